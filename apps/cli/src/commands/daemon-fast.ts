/**
 * `habitat status`, `next` and `history` without commander or the rest of the CLI (as sessions-fast.ts does for
 * `sessions stats|search`): the flags these commands take are read here and the same functions as the full
 * commands print the answer (daemon-read.ts). Anything else — another flag, `--help`, a bad value — returns
 * false before anything is done, and the full CLI handles the command. An error once the command runs is
 * reported as main.ts reports it (same message, same exit code): running it again there would only wait twice
 * for a daemon that does not answer.
 */
import { configureOutput, exitCodeFor, printError } from '../output.js';

const COMMANDS = new Set(['status', 'next', 'history']);

/** Answer the command if it is one this path knows; false to let the full CLI run it. */
export async function daemonFast(argv: string[]): Promise<boolean> {
  if (process.env.HABITAT_DAEMON_FAST === '0') return false;
  let command: string | undefined;
  let dir: string | undefined;
  let utc = false;
  let json = false;
  let format: 'table' | 'tsv' = 'table';
  let limit = 20;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let value: string | undefined;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    if (eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const takeValue = () => value ?? argv[++i];
    if (arg === '-C' || arg === '--dir') {
      dir = takeValue();
      if (dir === undefined) return false;
    } else if (arg === '--utc' && value === undefined) utc = true;
    else if (arg === '--json' && value === undefined) json = true;
    else if (arg === '--format' && command !== undefined) {
      const f = takeValue();
      if (f !== 'table' && f !== 'tsv') return false;
      format = f;
    } else if ((arg === '-n' || arg === '--limit') && command === 'history') {
      const n = takeValue();
      if (n === undefined || !/^[1-9]\d*$/.test(n)) return false;
      limit = Number(n);
    } else if (arg.startsWith('-')) return false;
    else if (command === undefined) {
      if (!COMMANDS.has(arg)) return false;
      command = arg;
    } else words.push(arg);
  }
  if (command === undefined) return false;
  if (words.length > (command === 'history' ? 1 : 0)) return false;
  const [{ resolveCoordinator }, read] = await Promise.all([
    import('../coordinator.js'),
    import('./daemon-read.js'),
  ]);
  configureOutput({ utc, format });
  try {
    const root = resolveCoordinator(dir);
    if (command === 'status') await read.printStatus(root, { json });
    else if (command === 'next') await read.printNext(root, { json });
    else await read.printHistory(root, words[0], { limit, json });
  } catch (error) {
    printError(error);
    process.exitCode = exitCodeFor(error);
  }
  return true;
}
