// Entry point: refuse an old Node with a clear message before loading anything that needs a new one.
import { readFileSync } from 'node:fs';
import module from 'node:module';

declare const __HABITAT_VERSION__: string;

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `habitat needs Node.js 22 or newer (this is ${process.version}). Run \`bash scripts/setup.sh\` and \`source scripts/env.sh\` in the habitat checkout, or install Node 24 LTS.\n`,
  );
  process.exit(2);
}
// Compiled code is cached on disk (NODE_COMPILE_CACHE picks the directory, NODE_DISABLE_COMPILE_CACHE=1 turns
// it off): the second start of a command skips most of V8's parsing.
module.enableCompileCache?.();

/**
 * `habitat --help` as the build printed it (dist/help.txt, 80 columns): the live help needs every command family
 * loaded. A terminal narrower than that gets the live help, wrapped to its width.
 */
function builtHelp(): string | undefined {
  if (process.env.HABITAT_FULL_HELP === '1') return undefined;
  if (process.stdout.isTTY && process.stdout.columns < 80) return undefined;
  try {
    return readFileSync(new URL('./help.txt', import.meta.url), 'utf8');
  } catch {
    return undefined;
  }
}

// A closed pipe (`habitat status | head -1`) ends any command quietly, including the fast paths below.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });

const args = process.argv.slice(2);
const only = args.length === 1 ? args[0] : undefined;
const help = only === '--help' || only === '-h' ? builtHelp() : undefined;
if (only === '--version' || only === '-V') {
  // Answered before anything else loads: scripts call it to check an install.
  process.stdout.write(`${__HABITAT_VERSION__}\n`);
} else if (help !== undefined) {
  process.stdout.write(help);
} else if (
  !args.slice(0, 3).includes('sessions') ||
  !(await (await import('./commands/sessions-fast.js')).sessionsFast(args))
) {
  // (`sessions stats|search --json` on an existing index answer without the rest of the CLI: sessions-fast.ts)
  await import('./main.js');
}
