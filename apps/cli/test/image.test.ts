// habitat image build as a new user meets it: what it needs is checked before the minute of assembling the image,
// and a failure says what is wrong in one line (not the docker command line). Building the image itself is the
// testkit's (its Docker test image is made by this command).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { testdir } from '@habitat/testkit';
import { expect, test } from 'vitest';

const CLI = path.resolve(__dirname, '../dist/index.js');

function build(args: string[], env: Record<string, string> = {}) {
  const started = performance.now();
  const out = spawnSync(process.execPath, [CLI, 'image', 'build', ...args], {
    cwd: testdir({}),
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  return { status: out.status, stderr: out.stderr, ms: performance.now() - started };
}

test('a tag Docker would refuse is refused first (exit 2), with the rule', () => {
  const out = build(['--tag', 'Habitat Agent:1', '--claude', process.execPath]);
  expect(out.status).toBe(2);
  expect(out.stderr).toBe(
    'error "Habitat Agent:1" is not an image tag Docker takes: [registry/]name[:tag], the name in lowercase letters, digits and . _ - (e.g. habitat-agent:dev)\n',
  );
});

test("an engine that does not answer fails at once, with the engine's own words", () => {
  const out = build(['--tag', 'habitat-agent:never', '--claude', process.execPath], {
    DOCKER_HOST: 'unix:///nonexistent/docker.sock',
  });
  expect(out.status).toBe(1);
  expect(out.stderr).toMatch(/^error no Docker engine answers: .*unix:\/\/\/nonexistent\/docker\.sock.*\n$/);
  expect(out.stderr).not.toContain('--change');
  expect(out.ms).toBeLessThan(10_000);
});

test("pnpm's wrapped offline-metadata error is read whole, wherever its 80-column box breaks the path", async () => {
  const { offlineMetaMissing } = await import('../src/commands/image.js');
  // two real answers of `pnpm deploy --offline` under an empty HOME: the break falls after the name or inside the path
  const afterName = `  × installing deployed dependencies
  ╰─▶ ERR_PNPM_NO_OFFLINE_META: Failed to resolve dunder-proto in package
      mirror /tmp/habitat-test-cvcd6b/.cache/pnpm/v12/metadata-full/
      https%3A+registry.npmjs.org/dunder-proto.jsonl
`;
  const insidePath = `  × installing deployed dependencies
  ╰─▶ ERR_PNPM_NO_OFFLINE_META: Failed to resolve accepts in package mirror /
      tmp/habitat-test-cvcd6b/.cache/pnpm/v12/metadata-full/
      https%3A+registry.npmjs.org/accepts.jsonl
`;
  expect(offlineMetaMissing(afterName)).toEqual({
    pkg: 'dunder-proto',
    mirror:
      '/tmp/habitat-test-cvcd6b/.cache/pnpm/v12/metadata-full/https%3A+registry.npmjs.org/dunder-proto.jsonl',
  });
  expect(offlineMetaMissing(insidePath)).toEqual({
    pkg: 'accepts',
    mirror:
      '/tmp/habitat-test-cvcd6b/.cache/pnpm/v12/metadata-full/https%3A+registry.npmjs.org/accepts.jsonl',
  });
  expect(offlineMetaMissing('ERR_PNPM_FETCH_404 something else')).toBeUndefined();
});

test("under a HOME whose pnpm store is empty, packing habitat fails in one sentence that names the fix (not pnpm's page)", async () => {
  const { habitatTree } = await import('../src/commands/image.js');
  const home = testdir({});
  // pnpm finds its store and cache from HOME unless told otherwise: nothing but HOME and PATH
  const env = { PATH: process.env.PATH, HOME: home };
  const error = await habitatTree(path.join(home, 'tree'), env, path.resolve(__dirname, '..')).then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string },
  );
  expect(error?.code).toBe('pnpm-store-empty');
  expect(error?.message).toMatch(
    new RegExp(
      `^habitat image build packs habitat's dependencies from this user's pnpm store \\(offline\\), and it has none of them \\(\\S+ is not in ${home}/\\S+\\): run \`bash scripts/setup.sh\` once as this user \\(HOME=${home}\\)`,
    ),
  );
  expect(error?.message).not.toMatch(/Command failed|╰─▶/);
}, 60_000);
