// The local backend: the agent as a child process in its own process group, so a timeout or a
// cancel kills everything it started, grandchildren included.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Backend, BackendExit, BackendRun, OutputSink, RunSpec } from './backend.js';
import { RunError } from './errors.js';
import { checkCommand, findLiveLocal, STARTED_FILE, wrap, wrapperMarks, wrapperOf } from './local-wrapper.js';

export type { BackendExit, OutputSink } from './backend.js';

/** How often an adopted local run is checked for having ended. */
const FOLLOW_POLL_MS = 250;

function parseRef(ref: string): { pid: number; runDir: string } {
  const at = ref.indexOf('@');
  return { pid: Number(at < 0 ? ref : ref.slice(0, at)), runDir: at < 0 ? '' : ref.slice(at + 1) };
}

/** How long to wait for output pipes to close after the main process exits before killing stragglers. */
const DRAIN_MS = 2000;

export function startLocal(spec: RunSpec, onOutput: OutputSink): Promise<BackendRun> {
  const p = spec.process;
  const runDir = path.join(spec.stateDir, 'runs', spec.runId);
  return new Promise((resolveStart, rejectStart) => {
    try {
      checkCommand(p.command, p.cwd, p.env);
    } catch (error) {
      rejectStart(error);
      return;
    }
    const wrapped = wrap(runDir, p.command, p.args);
    const child = spawn(wrapped.command, wrapped.args, {
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
      try {
        writeFileSync(path.join(runDir, STARTED_FILE), String(child.pid), { flag: 'wx', mode: 0o600 });
      } catch {
        // the wrapper wrote it first (or the run dir is gone)
      }
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
  // A previous coordinator's run is found by its wrapper's command line (never by a bare pid, which may
  // have been recycled); its output went to that coordinator's pipes, but its end and exit code do not.
  findLive: async ({ stateDir }) =>
    findLiveLocal(stateDir).map((l) => ({
      backend: 'local',
      runId: l.runId,
      agent: '',
      ref: `${l.pid}@${l.runDir}`,
      state: 'running',
      createdAt: '',
    })),
  follow: async (run) => {
    const { pid, runDir } = parseRef(run.ref);
    while (wrapperOf(pid)?.runDir === runDir) await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    const marks = wrapperMarks(runDir);
    return {
      exitCode: marks.exitCode ?? null,
      signal: null,
      timedOut: false,
      cancelled: false,
      pid,
      ref: run.ref,
      warnings:
        marks.exitCode === undefined
          ? ['its output went to the previous coordinator; the process ended without an exit status']
          : ['its output went to the previous coordinator and was not kept'],
    };
  },
  abandon: async (run) => {
    // Only a process that is provably this run's wrapper is signalled: a recycled pid never is.
    const live = run.ref ? wrapperOf(parseRef(run.ref).pid) : run.pid ? wrapperOf(run.pid) : undefined;
    if (live && live.runId === run.runId) {
      try {
        process.kill(-live.pid, 'SIGKILL');
        return `the coordinator restarted while this run was in flight (pid ${live.pid}); it was stopped`;
      } catch {
        // already gone
      }
    }
    return 'the coordinator stopped while this run was in flight and its process is gone';
  },
  // A recorded pid means the spawn happened even if the wrapper's mark is missing.
  ended: (run) => {
    const marks = wrapperMarks(path.join(run.stateDir, 'runs', run.runId));
    return { ...marks, started: marks.started || Boolean(run.pid) };
  },
  cleanup: async () => [],
};
