// A local run survives its coordinator (kill -9): the agent runs under a tiny /bin/sh that records, in the
// run dir, that it started (before the agent does anything) and the agent's exit code (after). A restarted
// coordinator finds the still-running wrapper by its exact command line (which names the run dir, so a
// recycled pid is never mistaken for it) and learns how a run that ended while it was down ended.
import { accessSync, constants, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RunError } from './errors.js';

/** Written by the wrapper before it runs the agent: its pid. */
export const STARTED_FILE = '.started';
/** Written by the wrapper after the agent exits: the exit status (128+N for a signal). */
export const EXIT_FILE = '.exit';

// $0 is the run dir, "$@" the agent's argv. A trapped (not ignored) TERM/INT/HUP lets the agent, which
// gets the same signal from the group kill, decide its own exit; the handler resets on exec.
// A run dir the agent's user cannot write (a state dir it cannot reach) only loses the marks: the runner
// writes `.started` too, right after the spawn.
// An agent killed by a signal is reported as killed by it (the wrapper re-raises it on itself).
export const WRAPPER_SCRIPT =
  '{ printf %s "$$" > "$0/.started"; } 2>/dev/null; trap : TERM INT HUP; "$@"; rc=$?; { printf %s "$rc" > "$0/.exit"; } 2>/dev/null; if [ "$rc" -gt 128 ] && [ "$rc" -lt 160 ]; then trap - TERM INT HUP; kill -$((rc - 128)) $$; fi; exit "$rc"';

export const SH = '/bin/sh';

/** The wrapped command line for `command args` in `runDir`. */
export function wrap(runDir: string, command: string, args: string[]): { command: string; args: string[] } {
  return { command: SH, args: ['-c', WRAPPER_SCRIPT, runDir, command, ...args] };
}

/** Resolve `command` like execvp would, so "not found" is still a start failure (not a shell's 127). */
export function checkCommand(command: string, cwd: string, env: Record<string, string>): void {
  const candidates = command.includes('/')
    ? [path.resolve(cwd, command)]
    : (env.PATH ?? process.env.PATH ?? '/usr/bin:/bin')
        .split(':')
        .filter(Boolean)
        .map((dir) => path.resolve(cwd, dir, command));
  for (const file of candidates) {
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return;
    } catch {
      // next
    }
  }
  throw new RunError(
    'spawn-failed',
    `cannot start ${command}: not found (is it installed and on PATH, or is the path right?)`,
  );
}

export interface LiveLocal {
  pid: number;
  runDir: string;
  runId: string;
}

/** Wrappers of runs under `stateDir` that are still alive (read from /proc). */
export function findLiveLocal(stateDir: string): LiveLocal[] {
  const runsDir = path.join(stateDir, 'runs') + path.sep;
  const out: LiveLocal[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const p of pids) {
    const live = wrapperOf(Number(p));
    if (live?.runDir.startsWith(runsDir)) out.push(live);
  }
  return out;
}

/** The run a process is the wrapper of, if it is one (not a zombie). */
export function wrapperOf(pid: number): LiveLocal | undefined {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv[0] !== SH || argv[1] !== '-c' || argv[2] !== WRAPPER_SCRIPT || !argv[3]) return undefined;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) [ZX]/.test(stat)) return undefined;
    return { pid, runDir: argv[3], runId: path.basename(argv[3]) };
  } catch {
    return undefined;
  }
}

/** What the wrapper left in a run dir. */
/**
 * Record a run's exit status in its run dir, as the wrapper does for a local run. Backends whose run
 * leaves no trace once collected (a removed container) write it before removing it: a coordinator killed
 * between the removal and the record then still learns how the run ended. Best effort: a run dir that is
 * gone only loses the mark.
 */
export function writeExitMark(runDir: string, exitCode: number): void {
  try {
    writeFileSync(path.join(runDir, EXIT_FILE), String(exitCode));
  } catch {
    // the run dir went (the run was already recorded and swept)
  }
}

export function wrapperMarks(runDir: string): { started: boolean; exitCode?: number } {
  const read = (f: string) => {
    try {
      return readFileSync(path.join(runDir, f), 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const exit = read(EXIT_FILE);
  const code = exit !== undefined && /^\d+$/.test(exit) ? Number(exit) : undefined;
  return { started: read(STARTED_FILE) !== undefined, ...(code !== undefined ? { exitCode: code } : {}) };
}
