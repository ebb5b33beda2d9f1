// Entry point: refuse an old Node with a clear message before loading anything that needs a new one.
import { existsSync, readFileSync } from 'node:fs';
import module from 'node:module';

declare const __HABITAT_VERSION__: string;

const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
if (major < 22 || (major === 22 && minor < 12)) {
  // A clone has scripts/setup.sh (it provisions Node 24 in .tools/); an npm install does not: say what applies.
  const checkout = existsSync(new URL('../../../scripts/setup.sh', import.meta.url));
  process.stderr.write(
    `habitat needs Node.js 22.12 or newer (this is ${process.version}). ${
      checkout
        ? 'In the habitat checkout, run `bash scripts/setup.sh` and `source scripts/env.sh`, or install Node 24 LTS.'
        : 'Install Node.js 24 LTS (https://nodejs.org, or `nvm install 24`, `fnm install 24`, `volta install node@24`), then run habitat again.'
    }\n`,
  );
  process.exit(2);
}
// `habitat up`: a SIGTERM from here on stops the daemon gracefully, however early (stop-signals.ts). This file
// imports nothing of its own statically, so that an old Node reaches the check above.
if (process.argv.includes('up')) (await import('./stop-signals.js')).holdStopSignalsFor(process.argv);
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

/**
 * Read-only commands people run all the time answer without commander and the rest of the CLI:
 * `sessions stats|search --json` on an existing index (sessions-fast.ts), `knowledge search|context`
 * (knowledge-fast.ts), `status`, `next`, `history` (daemon-fast.ts), `run` (run-fast.ts). Each returns false for anything it does not handle exactly as the full command would.
 */
async function fastPath(argv: string[]): Promise<boolean> {
  const first = argv.slice(0, 3);
  if (first.includes('sessions')) return (await import('./commands/sessions-fast.js')).sessionsFast(argv);
  if (argv.slice(0, 4).includes('knowledge'))
    return (await import('./commands/knowledge-fast.js')).knowledgeFast(argv);
  if (first.some((a) => a === 'status' || a === 'next' || a === 'history'))
    return (await import('./commands/daemon-fast.js')).daemonFast(argv);
  if (first.includes('run')) {
    // dist/fast/run.js leaves dockerode out: an engine it reaches (a tcp:// or ssh:// DOCKER_HOST,
    // HABITAT_DOCKER_CLIENT=dockerode), a Swarm agent, or a config to load in full, take the same fast path from
    // the split build (dist/run-split.js, the same module), before the full CLI
    const dockerode =
      process.env.HABITAT_DOCKER_CLIENT === 'dockerode' || /^(?!unix:)./.test(process.env.DOCKER_HOST ?? '');
    if (!dockerode && (await (await import('./commands/run-fast.js')).runFast(argv))) return true;
    const split: string = './run-split.js'; // not a source file: the build's entry of that name
    return ((await import(split)) as typeof import('./commands/run-fast.js')).runFast(argv);
  }
  return false;
}

const args = process.argv.slice(2);
const only = args.length === 1 ? args[0] : undefined;
const help = only === '--help' || only === '-h' ? builtHelp() : undefined;
if (only === '--version' || only === '-V') {
  // Answered before anything else loads: scripts call it to check an install.
  process.stdout.write(`${__HABITAT_VERSION__}\n`);
} else if (help !== undefined) {
  process.stdout.write(help);
} else if (!(await fastPath(args))) {
  await import('./main.js');
}
