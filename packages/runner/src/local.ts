// The local backend: the agent as a child process in its own process group, so a timeout or a
// cancel kills everything it started, grandchildren included.
import { spawn } from 'node:child_process';
import type { Backend, BackendExit, BackendRun, OutputSink, RunSpec } from './backend.js';
import { RunError } from './errors.js';

export type { BackendExit, OutputSink } from './backend.js';

/** How long to wait for output pipes to close after the main process exits before killing stragglers. */
const DRAIN_MS = 2000;

export function startLocal(spec: RunSpec, onOutput: OutputSink): Promise<BackendRun> {
  const p = spec.process;
  return new Promise((resolveStart, rejectStart) => {
    const child = spawn(p.command, p.args, {
      cwd: p.cwd,
      env: p.env,
      detached: true,
      stdio: [p.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(p.uid !== undefined ? { uid: p.uid } : {}),
      ...(p.gid !== undefined ? { gid: p.gid } : {}),
    });
    let stopping = false;
    let exited: { code: number | null; signal: string | null } | undefined;
    const timers: NodeJS.Timeout[] = [];
    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const stop = () => {
      stopping = true;
      killGroup('SIGTERM');
      timers.push(setTimeout(() => killGroup('SIGKILL'), spec.graceMs).unref());
    };
    let resolveExit!: (exit: BackendExit) => void;
    const exit = new Promise<BackendExit>((r) => (resolveExit = r));
    child.once('error', (error: NodeJS.ErrnoException) => {
      cleanup();
      rejectStart(
        new RunError(
          'spawn-failed',
          `cannot start ${p.command}: ${error.code === 'ENOENT' ? 'not found (is it installed and on PATH, or is the path right?)' : error.message}`,
        ),
      );
    });
    child.once('spawn', () => {
      if (p.stdin !== undefined && child.stdin) {
        child.stdin.on('error', () => {}); // the agent may exit without reading its prompt
        child.stdin.end(p.stdin);
      }
      resolveStart({ started: { pid: child.pid! }, exit, stop: () => stop() });
    });
    child.stdout!.on('data', (chunk: Buffer) => onOutput('stdout', chunk));
    child.stderr!.on('data', (chunk: Buffer) => onOutput('stderr', chunk));
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      // Stragglers that keep our pipes open would hang the run: give them a moment, then kill the group.
      timers.push(setTimeout(() => killGroup('SIGKILL'), stopping ? 0 : DRAIN_MS).unref());
    });
    child.once('close', (code, signal) => {
      cleanup();
      const end = exited ?? { code, signal };
      resolveExit({
        exitCode: end.code,
        signal: end.signal,
        timedOut: false,
        cancelled: false,
        pid: child.pid!,
      });
    });
    function cleanup() {
      for (const t of timers) clearTimeout(t);
    }
  });
}

export const localBackend: Backend = {
  name: 'local',
  inContainer: false,
  start: startLocal,
  // A child process cannot be re-attached after the coordinator that owned its pipes is gone.
  findLive: async () => [],
  follow: async () => {
    throw new RunError('spawn-failed', 'a local run cannot be followed by another coordinator process');
  },
  abandon: async (run) => {
    if (run.pid) {
      try {
        process.kill(-run.pid, 'SIGKILL');
        return `the coordinator restarted while this run was in flight (pid ${run.pid}); its output pipe was gone, so it was stopped`;
      } catch {
        // already gone
      }
    }
    return 'the coordinator stopped while this run was in flight and its process is gone';
  },
  cleanup: async () => [],
};
