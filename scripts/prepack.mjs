#!/usr/bin/env node
// `prepack` of every published package: pack only what can be installed. npm does not rewrite pnpm's
// `workspace:` ranges (a tarball with them cannot be installed), so only pnpm packs; the package must be
// built; @habitat/testkit is never packed. Run with the package directory as the working directory.
import { existsSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const fail = (message) => {
  process.stderr.write(`prepack ${pkg.name}: ${message}\n`);
  process.exit(1);
};
if (pkg.name === '@habitat/testkit') fail('the testkit is private test tooling and is never packed or published');
const agent = process.env.npm_config_user_agent ?? '';
const workspace = Object.entries({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies })
  .filter(([, range]) => String(range).startsWith('workspace:'))
  .map(([name]) => name);
if (workspace.length > 0 && !agent.startsWith('pnpm/'))
  fail(
    `${workspace.join(', ')} ${workspace.length === 1 ? 'is a' : 'are'} workspace: dependenc${workspace.length === 1 ? 'y' : 'ies'} that only pnpm rewrites to versions: pack with \`pnpm pack\` (or publish with \`pnpm changeset publish\`), not npm`,
  );
for (const file of [pkg.main, pkg.types, ...Object.values(pkg.bin ?? {})].filter(Boolean))
  if (!existsSync(file)) fail(`${file} is missing: build first (pnpm turbo run build)`);
if (!existsSync('LICENSE')) fail('LICENSE is missing');
