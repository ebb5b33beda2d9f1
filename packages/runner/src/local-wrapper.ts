// A local run survives its coordinator (kill -9): the agent runs under a tiny /bin/sh that records, in the
// run dir, that it started (before the agent does anything) and the agent's exit code (after). A restarted
// coordinator finds the still-running wrapper by its exact command line (which names the run dir, so a
// recycled pid is never mistaken for it) and learns how a run that ended while it was down ended.
import {
  accessSync,
  closeSync,
  constants,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { OutputSink } from './backend.js';
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
// The agent's stdout and stderr are FIFOs in the run dir (`.out`, `.err`; see local.ts), and the wrapper holds
// each open (fds 3 and 4, which the agent does not inherit): when the coordinator reading them is killed, they
// stay open — the agent gets no SIGPIPE, its output waits in the pipe — and the next coordinator opens the
// same FIFOs and carries on writing the run's log (`attachOutput`). Read-write, which never blocks on a FIFO
// (read-only would wait for a writer); `command exec`: a failure is not fatal. When the agent has ended, what is
// still in the pipes would die with the wrapper: it is always drained into `.out.rest`/`.err.rest` (GNU dd,
// non-blocking), and whichever coordinator records the run adds them to its log, exactly once (drain-handoff.ts).
// Always, not only once the coordinator looks gone: a "has my coordinator gone?" check raced with a kill -9
// landing between the check and the coordinator's read of the tail (and a killed process keeps its children
// until after its descriptors are closed), and the run's last lines went with it. A coordinator that read some of it first
// holds only what came before the drain, so the log keeps the order.
export const WRAPPER_SCRIPT =
  '{ printf %s "$$" > "$0/.started"; } 2>/dev/null; f=; [ -p "$0/.out" ] && [ -p "$0/.err" ] && command exec 3<>"$0/.out" 4<>"$0/.err" && f=1; trap : TERM INT HUP; "$@" 3<&- 4<&-; rc=$?; if [ -n "$f" ]; then dd iflag=nonblock bs=65536 <&3 >> "$0/.out.rest" 2>/dev/null; dd iflag=nonblock bs=65536 <&4 >> "$0/.err.rest" 2>/dev/null; fi; { printf %s "$rc" > "$0/.exit"; } 2>/dev/null; if [ "$rc" -gt 128 ] && [ "$rc" -lt 160 ]; then trap - TERM INT HUP; kill -$((rc - 128)) $$; fi; exit "$rc"';

/** The FIFOs a local run's stdout and stderr go through, in its run dir. */
export const OUT_FIFO = '.out';
export const ERR_FIFO = '.err';
/** What the wrapper drained from them after the agent ended (no coordinator had read it yet). */
export const REST_FILES = { stdout: '.out.rest', stderr: '.err.rest' } as const;

/** Wrappers of earlier versions, still recognised (their runs are adopted, without their later output). */
const EARLIER_SCRIPTS = [
  '{ printf %s "$$" > "$0/.started"; } 2>/dev/null; cp=${HABITAT_COORDINATOR_PID:-$PPID}; sp=${HABITAT_SPAWNER_PID:-}; unset HABITAT_COORDINATOR_PID HABITAT_SPAWNER_PID; [ -p "$0/.out" ] && [ -p "$0/.err" ] && command exec 3<>"$0/.out" 4<>"$0/.err"; trap : TERM INT HUP; "$@" 3<&- 4<&-; rc=$?; read -r _ _ _ pp _ < /proc/$$/stat; if [ -n "$sp" ] && [ "$pp" = "$sp" ]; then { read -r _ _ _ pp _ < "/proc/$sp/stat"; } 2>/dev/null || pp=; fi; if [ "$pp" != "$cp" ] && [ -p "$0/.out" ]; then dd iflag=nonblock bs=65536 <&3 >> "$0/.out.rest" 2>/dev/null; dd iflag=nonblock bs=65536 <&4 >> "$0/.err.rest" 2>/dev/null; fi; { printf %s "$rc" > "$0/.exit"; } 2>/dev/null; if [ "$rc" -gt 128 ] && [ "$rc" -lt 160 ]; then trap - TERM INT HUP; kill -$((rc - 128)) $$; fi; exit "$rc"',
  '{ printf %s "$$" > "$0/.started"; } 2>/dev/null; cp=${HABITAT_COORDINATOR_PID:-$PPID}; unset HABITAT_COORDINATOR_PID; [ -p "$0/.out" ] && [ -p "$0/.err" ] && command exec 3<>"$0/.out" 4<>"$0/.err"; trap : TERM INT HUP; "$@" 3<&- 4<&-; rc=$?; read -r _ _ _ pp _ < /proc/$$/stat; if [ "$pp" != "$cp" ] && [ -p "$0/.out" ]; then dd iflag=nonblock bs=65536 <&3 >> "$0/.out.rest" 2>/dev/null; dd iflag=nonblock bs=65536 <&4 >> "$0/.err.rest" 2>/dev/null; fi; { printf %s "$rc" > "$0/.exit"; } 2>/dev/null; if [ "$rc" -gt 128 ] && [ "$rc" -lt 160 ]; then trap - TERM INT HUP; kill -$((rc - 128)) $$; fi; exit "$rc"',
  '{ printf %s "$$" > "$0/.started"; } 2>/dev/null; [ -p "$0/.out" ] && [ -p "$0/.err" ] && command exec 3<>"$0/.out" 4<>"$0/.err"; trap : TERM INT HUP; "$@" 3<&- 4<&-; rc=$?; { printf %s "$rc" > "$0/.exit"; } 2>/dev/null; if [ "$rc" -gt 128 ] && [ "$rc" -lt 160 ]; then trap - TERM INT HUP; kill -$((rc - 128)) $$; fi; exit "$rc"',
  '{ printf %s "$$" > "$0/.started"; } 2>/dev/null; trap : TERM INT HUP; "$@"; rc=$?; read -r _ _ _ pp _ < /proc/$$/stat; if [ "$pp" != "$PPID" ] && [ -p "$0/.out" ]; then dd iflag=nonblock bs=65536 <&3 >> "$0/.out.rest" 2>/dev/null; dd iflag=nonblock bs=65536 <&4 >> "$0/.err.rest" 2>/dev/null; fi; { printf %s "$rc" > "$0/.exit"; } 2>/dev/null; if [ "$rc" -gt 128 ] && [ "$rc" -lt 160 ]; then trap - TERM INT HUP; kill -$((rc - 128)) $$; fi; exit "$rc"',
];

export const SH = '/bin/sh';

/** How often an adopted local run is checked for having ended. */
export const FOLLOW_POLL_MS = 250;

/** How long to wait for output pipes to close after the main process exits before killing stragglers. */
export const DRAIN_MS = 2000;

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
    const script = argv[2] ?? '';
    if (argv[0] !== SH || argv[1] !== '-c' || !argv[3]) return undefined;
    if (script !== WRAPPER_SCRIPT && !EARLIER_SCRIPTS.includes(script)) return undefined;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) [ZX]/.test(stat)) return undefined;
    return { pid, runDir: argv[3], runId: path.basename(argv[3]) };
  } catch {
    return undefined;
  }
}

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

/** What the wrapper left in a run dir; `endedAt` is when the exit status was written (its mtime). */
export function wrapperMarks(runDir: string): { started: boolean; exitCode?: number; endedAt?: number } {
  const read = (f: string) => {
    try {
      return readFileSync(path.join(runDir, f), 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const exit = read(EXIT_FILE);
  const code = exit !== undefined && /^\d+$/.test(exit) ? Number(exit) : undefined;
  let endedAt: number | undefined;
  if (code !== undefined)
    try {
      endedAt = statSync(path.join(runDir, EXIT_FILE)).mtimeMs;
    } catch {
      // went in between
    }
  return {
    started: read(STARTED_FILE) !== undefined,
    ...(code !== undefined ? { exitCode: code } : {}),
    ...(endedAt !== undefined ? { endedAt } : {}),
  };
}

/**
 * Open the read ends of a local run's output FIFOs (`.out`, `.err` in `runDir`), both or neither. Only FIFOs
 * (O_NOFOLLOW, fstat: the agent owns its run dir). Non-blocking: a FIFO needs a reader before a writer can
 * open it, and no writer may exist yet.
 */
export function openFifoReaders(runDir: string): [number, number] | undefined {
  const fds: number[] = [];
  try {
    for (const name of [OUT_FIFO, ERR_FIFO]) {
      const fd = openSync(
        path.join(runDir, name),
        constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW,
      );
      fds.push(fd);
      if (!fstatSync(fd).isFIFO()) throw new Error('not a FIFO');
    }
    return fds as [number, number];
  } catch {
    for (const fd of fds) closeQuietly(fd);
    return undefined; // not there (an earlier wrapper, plain pipes) or not a FIFO
  }
}

/**
 * Open and close a write end of a run's FIFOs once, right after opening their read ends where every writer may
 * already be gone (a run forked elsewhere that ended at once). Linux reports a FIFO's end (EPOLLHUP) only to a
 * reader opened before the last writer closed it: without this such a reader would wait for ever. A live
 * writer keeps the FIFO going as before.
 */
export function touchWriters(runDir: string): void {
  for (const name of [OUT_FIFO, ERR_FIFO]) {
    try {
      closeSync(
        openSync(path.join(runDir, name), constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW),
      );
    } catch {
      // no reader (then nothing waits) or no FIFO
    }
  }
}

/**
 * Read a run's output from its FIFOs' read ends (stdout, stderr) into `onOutput`. Start only once a writer has
 * them open (a FIFO without any writer reads as ended). `ended` resolves when both have ended on their own
 * (every writer gone); `closed(ms)` waits up to `ms` for that, then stops reading.
 */
export function readFifos(
  fds: [number, number],
  onOutput: OutputSink,
): { ended: Promise<void>; closed: (ms: number) => Promise<void> } {
  const sockets = fds.map((fd, i) => {
    const socket = new net.Socket({ fd, readable: true, writable: false });
    socket.on('data', (chunk: Buffer) => onOutput(i === 0 ? 'stdout' : 'stderr', chunk));
    socket.on('error', () => {});
    return socket;
  });
  const ended = Promise.all(sockets.map((s) => new Promise((r) => s.once('close', r)))).then(() => {});
  return {
    ended,
    closed: async (ms) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ended, new Promise((r) => (timer = setTimeout(r, ms)))]);
      clearTimeout(timer);
      for (const s of sockets) s.destroy();
    },
  };
}

/**
 * The rest of a live wrapper's output, for a coordinator adopting its run: from where the killed one stopped
 * reading (what that one had read but not yet written out, an unfinished line, went with it). Undefined when
 * the run has no FIFOs.
 */
export function attachOutput(
  runDir: string,
  onOutput: OutputSink,
): { closed: (ms: number) => Promise<void> } | undefined {
  const fds = openFifoReaders(runDir);
  return fds ? readFifos(fds, onOutput) : undefined;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/**
 * The output the wrapper drained into its run dir after the agent ended (regular files only, up to 1 MiB each),
 * for the coordinator that records the run.
 */
export function leftoverOutput(runDir: string): { stream: 'stdout' | 'stderr'; bytes: Buffer }[] {
  const out: { stream: 'stdout' | 'stderr'; bytes: Buffer }[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    let fd: number | undefined;
    try {
      fd = openSync(
        path.join(runDir, REST_FILES[stream]),
        constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
      );
      const st = fstatSync(fd);
      if (!st.isFile() || st.size === 0) continue;
      const bytes = Buffer.alloc(Math.min(st.size, 1024 * 1024));
      const n = readSync(fd, bytes, 0, bytes.length, 0);
      out.push({ stream, bytes: bytes.subarray(0, n) });
    } catch {
      // none
    } finally {
      if (fd !== undefined) closeQuietly(fd);
    }
  }
  return out;
}
