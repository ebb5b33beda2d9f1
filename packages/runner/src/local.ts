// The local backend: the agent as a child process in its own process group, so a timeout or a
// cancel kills everything it started, grandchildren included.
import { execFile, spawn } from 'node:child_process';
import { chownSync, closeSync, constants, openSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Backend, BackendExit, BackendRun, OutputSink, RunSpec } from './backend.js';
import { takeLeftoverOutput } from './drain-handoff.js';
import { RunError } from './errors.js';
import {
  attachOutput,
  checkCommand,
  DRAIN_MS,
  ERR_FIFO,
  FOLLOW_POLL_MS,
  findLiveLocal,
  OUT_FIFO,
  openFifoReaders,
  readFifos,
  STARTED_FILE,
  wrap,
  wrapperMarks,
  wrapperOf,
} from './local-wrapper.js';
import { spawnTurn } from './spawn-turn.js';
import { startThroughSpawner } from './spawned.js';
import { activeSpawner } from './spawner.js';

export type { BackendExit, OutputSink } from './backend.js';

const execFileAsync = promisify(execFile);

function parseRef(ref: string): { pid: number; runDir: string } {
  const at = ref.indexOf('@');
  return { pid: Number(at < 0 ? ref : ref.slice(0, at)), runDir: at < 0 ? '' : ref.slice(at + 1) };
}

/**
 * The FIFOs the agent's stdout and stderr go through, made in its run dir (owned by the agent's user, whose
 * wrapper opens them too), with our read ends and the agent's write ends (blocking, as an agent expects of its
 * stdout). Undefined when they cannot be made (no mkfifo): plain pipes then, and an adopted run's later output
 * is not kept.
 */
async function outputFifos(
  runDir: string,
  owner: { uid?: number; gid?: number },
): Promise<{ read: [number, number]; write: [number, number] } | undefined> {
  const files = [path.join(runDir, OUT_FIFO), path.join(runDir, ERR_FIFO)] as const;
  try {
    // A kill -9 between making them and the spawn left them: this start of the run makes its own.
    for (const f of files) rmSync(f, { force: true });
    await spawnTurn();
    await execFileAsync('mkfifo', ['-m', '600', ...files]);
    if (owner.uid !== undefined) for (const f of files) chownSync(f, owner.uid, owner.gid ?? owner.uid);
  } catch {
    return undefined;
  }
  const read = openFifoReaders(runDir);
  if (!read) return undefined;
  try {
    const out = openSync(files[0], constants.O_WRONLY | constants.O_NOFOLLOW);
    try {
      return { read, write: [out, openSync(files[1], constants.O_WRONLY | constants.O_NOFOLLOW)] };
    } catch (error) {
      closeSync(out);
      throw error;
    }
  } catch {
    for (const fd of read) closeSync(fd);
    return undefined;
  }
}

export async function startLocal(spec: RunSpec, onOutput: OutputSink): Promise<BackendRun> {
  const p = spec.process;
  const runDir = path.join(spec.stateDir, 'runs', spec.runId);
  checkCommand(p.command, p.cwd, p.env);
  const spawner = activeSpawner();
  if (spawner) {
    const run = await startThroughSpawner(spawner, spec, onOutput);
    if (run) return run;
    // no FIFOs could be made: plain pipes, forked here
  }
  const fifos = await outputFifos(runDir, p);
  const writeFds = fifos?.write;
  // Our write ends are open: reading cannot see a premature end.
  const output = fifos ? readFifos(fifos.read, onOutput) : undefined;
  await spawnTurn();
  return new Promise((resolveStart, rejectStart) => {
    const wrapped = wrap(runDir, p.command, p.args);
    const child = spawn(wrapped.command, wrapped.args, {
      cwd: p.cwd,
      env: p.env,
      detached: true,
      stdio: [
        p.stdin === undefined ? 'ignore' : 'pipe',
        writeFds ? writeFds[0] : 'pipe',
        writeFds ? writeFds[1] : 'pipe',
      ],
      ...(p.uid !== undefined ? { uid: p.uid } : {}),
      ...(p.gid !== undefined ? { gid: p.gid } : {}),
    });
    // The child has its copies now (spawn returns after the exec): ours would keep the FIFOs from ending.
    for (const fd of writeFds ?? []) closeSync(fd);
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
      void output?.closed(0);
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
    child.stdout?.on('data', (chunk: Buffer) => onOutput('stdout', chunk));
    child.stderr?.on('data', (chunk: Buffer) => onOutput('stderr', chunk));
    // Ended: the wrapper exited and its output is all read (every writer of the FIFOs or pipes gone).
    const finish = (end: { code: number | null; signal: string | null }) => {
      cleanup();
      if (output) takeLeftoverOutput(runDir, onOutput);
      resolveExit({
        exitCode: end.code,
        signal: end.signal,
        timedOut: false,
        cancelled: false,
        pid: child.pid!,
      });
    };
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      // Stragglers that keep our pipes open would hang the run: give them a moment, then kill the group.
      timers.push(setTimeout(() => killGroup('SIGKILL'), stopping ? 0 : DRAIN_MS).unref());
      if (output) void output.ended.then(() => finish(exited!));
    });
    child.once('close', (code, signal) => {
      if (!output) finish(exited ?? { code, signal });
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
  // have been recycled); its output from then on is read from the same pipes (attachOutput), its end and
  // exit code from the wrapper's marks.
  findLive: async ({ stateDir }) =>
    findLiveLocal(stateDir).map((l) => ({
      backend: 'local',
      runId: l.runId,
      agent: '',
      ref: `${l.pid}@${l.runDir}`,
      state: 'running',
      createdAt: '',
    })),
  follow: async (run, onOutput) => {
    const { pid, runDir } = parseRef(run.ref);
    const output = wrapperOf(pid)?.runDir === runDir ? attachOutput(runDir, onOutput) : undefined;
    while (wrapperOf(pid)?.runDir === runDir) await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    // The wrapper is gone; stragglers of the agent's may still hold the pipes for a moment.
    await output?.closed(DRAIN_MS);
    // What it drained when the agent ended, past what this one had read.
    takeLeftoverOutput(runDir, onOutput);
    const attached = output !== undefined;
    const marks = wrapperMarks(runDir);
    return {
      exitCode: marks.exitCode ?? null,
      signal: null,
      timedOut: false,
      cancelled: false,
      pid,
      ref: run.ref,
      warnings: [
        attached
          ? 'its output until the previous coordinator was killed was logged by that one (an unfinished line may be missing); the rest by this one'
          : 'its output went to the previous coordinator and was not kept',
        ...(marks.exitCode === undefined ? ['the process ended without an exit status'] : []),
      ],
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
