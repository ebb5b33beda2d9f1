// The local backend: the agent as a child process in its own process group, so a timeout or a
// cancel kills everything it started, grandchildren included.
import { spawn } from 'node:child_process';
import { RunError } from './errors.js';

export interface ProcessSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  stdin?: string;
  uid?: number;
  gid?: number;
  timeoutMs: number;
  graceMs: number;
  signal: AbortSignal;
}

export interface BackendExit {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  pid?: number;
  containerId?: string;
}

export type OutputSink = (stream: 'stdout' | 'stderr', chunk: Buffer) => void;

/** How long to wait for output pipes to close after the main process exits before killing stragglers. */
const DRAIN_MS = 2000;

export function runLocal(
  spec: ProcessSpec,
  onOutput: OutputSink,
  onStart: (pid: number) => void,
): Promise<BackendExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
      ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
    });
    let timedOut = false;
    let cancelled = false;
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
      killGroup('SIGTERM');
      timers.push(setTimeout(() => killGroup('SIGKILL'), spec.graceMs).unref());
    };
    const onAbort = () => {
      cancelled = !timedOut;
      stop();
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      cleanup();
      reject(
        new RunError(
          'spawn-failed',
          `cannot start ${spec.command}: ${error.code === 'ENOENT' ? 'not found (is it installed and on PATH, or is the path right?)' : error.message}`,
        ),
      );
    });
    child.once('spawn', () => {
      onStart(child.pid!);
      if (spec.signal.aborted) onAbort();
      else spec.signal.addEventListener('abort', onAbort, { once: true });
      if (spec.timeoutMs > 0) {
        timers.push(
          setTimeout(() => {
            timedOut = true;
            stop();
          }, spec.timeoutMs),
        );
      }
      if (spec.stdin !== undefined && child.stdin) {
        child.stdin.on('error', () => {}); // the agent may exit without reading its prompt
        child.stdin.end(spec.stdin);
      }
    });
    child.stdout!.on('data', (chunk: Buffer) => onOutput('stdout', chunk));
    child.stderr!.on('data', (chunk: Buffer) => onOutput('stderr', chunk));
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      // Stragglers that keep our pipes open would hang the run: give them a moment, then kill the group.
      timers.push(setTimeout(() => killGroup('SIGKILL'), timedOut || cancelled ? 0 : DRAIN_MS).unref());
    });
    child.once('close', (code, signal) => {
      cleanup();
      const end = exited ?? { code, signal };
      resolve({ exitCode: end.code, signal: end.signal, timedOut, cancelled, pid: child.pid! });
    });
    function cleanup() {
      for (const t of timers) clearTimeout(t);
      spec.signal.removeEventListener('abort', onAbort);
    }
  });
}
