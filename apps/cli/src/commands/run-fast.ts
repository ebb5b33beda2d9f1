/**
 * `habitat run <agent>` without commander (as daemon-fast.ts does for `status`): commander and the command tree
 * were ~20 ms of the CPU a `habitat run` of a trivial Docker agent spends before the container is created
 * (bench/docker-run.ts). The flags `run` takes are read here; anything else — another flag, `--help`, a
 * second agent, a bad value — returns false before anything is done, and the full CLI handles the command.
 * The build makes this one file, dist/fast/run.js (tsup.config.ts): with ~30 chunks a trivial Docker run took
 * ~25 ms more CPU (148 against 122 ms, interleaved, load 5).
 * Errors are reported as main.ts reports them (same message, same exit code). HABITAT_RUN_FAST=0 turns it off.
 */
import { configureOutput, exitCodeFor, printError } from '../output.js';
import { isOutsideRunFastPath } from '../run-fast-stub.js';

/** Defined (true) in the one-file build only, dist/fast/run.js, which has no dockerode. */
declare const __HABITAT_RUN_ONE_FILE__: boolean | undefined;

/** Run the agent if the command line is one this path knows; false to let the full CLI run it. */
export async function runFast(argv: string[]): Promise<boolean> {
  if (process.env.HABITAT_RUN_FAST === '0') return false;
  let command: string | undefined;
  let dir: string | undefined;
  let utc = false;
  const opts: { json?: boolean; quiet?: boolean; raw?: boolean } = {};
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let value: string | undefined;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    if (eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (arg === '-C' || arg === '--dir') {
      dir = value ?? argv[++i];
      if (dir === undefined || dir.startsWith('-')) return false;
    } else if (value !== undefined) return false;
    else if (arg === '--utc') utc = true;
    else if (arg === '--json' && command) opts.json = true;
    else if ((arg === '-q' || arg === '--quiet') && command) opts.quiet = true;
    else if (arg === '--raw' && command) opts.raw = true;
    else if (arg.startsWith('-')) return false;
    else if (command === undefined) {
      if (arg !== 'run') return false;
      command = arg;
    } else words.push(arg);
  }
  if (command === undefined || words.length !== 1) return false;
  const [{ resolveCoordinator }, { requireAgent, runCommand }, { usesDockerode }] = await Promise.all([
    import('../coordinator.js'),
    import('./run.js'),
    import('@habitat/runner'),
  ]);
  configureOutput({ utc, format: 'table' });
  try {
    const root = resolveCoordinator(dir);
    let found: Awaited<ReturnType<typeof requireAgent>>;
    try {
      found = await requireAgent(root, words[0]!);
    } catch (error) {
      // the one-file build stubs the full config load (YAML, zod): a coordinator whose config snapshot does not
      // hold (a changed file, a first run) is loaded by the full CLI; nothing was done yet when this is thrown
      if (isOutsideRunFastPath(error)) return false;
      throw error;
    }
    // dockerode is left out of dist/fast/run.js (tsup.config.ts): such runs go to the split build's copy of this
    // module (index.ts) before they start
    if (typeof __HABITAT_RUN_ONE_FILE__ !== 'undefined' && usesDockerode(found.agent.isolation.backend))
      return false;
    await runCommand(root, words[0]!, opts, found);
  } catch (error) {
    printError(error);
    process.exitCode = exitCodeFor(error);
  }
  return true;
}
