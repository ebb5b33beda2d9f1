// A local run forked by the spawner process (spawner.ts) rather than by the coordinator: the same wrapper, the
// same FIFOs, the same marks as a run forked in-process (local.ts), so adoption after a kill -9 is unchanged.
// The spawner tells how the wrapper ended; if the spawner dies first, the run is followed like an adopted one
// (its end from /proc, its exit code from the wrapper's mark). If it dies with a start in flight, what happened
// is read from the run's FIFOs and marks: a forked wrapper holds the FIFOs' write ends from the fork on, so none
// left once the spawner is gone (and no `.started` mark) means nothing was forked and nothing will be — the
// start fails, and is never retried here (a slot never runs twice).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BackendExit, BackendRun, OutputSink, RunSpec } from './backend.js';
import { takeLeftoverOutput } from './drain-handoff.js';
import { RunError } from './errors.js';
import {
  DRAIN_MS,
  FOLLOW_POLL_MS,
  findLiveLocal,
  openFifoReaders,
  readFifos,
  STARTED_FILE,
  touchWriters,
  wrap,
  wrapperMarks,
  wrapperOf,
} from './local-wrapper.js';
import type { SpawnExit, Spawner } from './spawner.js';

type Output = ReturnType<typeof readFifos>;

const notFound = 'not found (is it installed and on PATH, or is the path right?)';
const LOST = 'the spawner process died while this run was going';

/** Start a local run through `spawner`; undefined when it could make no FIFOs (the caller forks in-process). */
export async function startThroughSpawner(
  spawner: Spawner,
  spec: RunSpec,
  onOutput: OutputSink,
): Promise<BackendRun | undefined> {
  const p = spec.process;
  const runDir = path.join(spec.stateDir, 'runs', spec.runId);
  const wrapped = wrap(runDir, p.command, p.args);
  let onExit!: (e: SpawnExit) => void;
  const exited = new Promise<SpawnExit>((resolve) => (onExit = resolve));
  const reply = await spawner.start(
    {
      runDir,
      command: wrapped.command,
      args: wrapped.args,
      cwd: p.cwd,
      env: p.env,
      ...(p.stdin !== undefined ? { stdin: p.stdin } : {}),
      ...(p.uid !== undefined ? { uid: p.uid } : {}),
      ...(p.gid !== undefined ? { gid: p.gid } : {}),
    },
    onExit,
  );
  if (reply.op === 'nofifo') return undefined;
  if (reply.op === 'error')
    throw new RunError(
      'spawn-failed',
      `cannot start ${p.command}: ${reply.code === 'ENOENT' ? notFound : reply.message}`,
    );
  if (reply.op === 'lost') return settleLostStart(spec, runDir, onOutput);
  const read = openFifoReaders(runDir);
  if (read) touchWriters(runDir); // the run may have ended already
  reply.attached(); // our read ends are open: the spawner's can go
  try {
    writeFileSync(path.join(runDir, STARTED_FILE), String(reply.pid), { flag: 'wx', mode: 0o600 });
  } catch {
    // the wrapper wrote it first (or the run dir is gone)
  }
  return track(spec, runDir, reply.pid, read ? readFifos(read, onOutput) : undefined, exited, onOutput);
}

function track(
  spec: RunSpec,
  runDir: string,
  pid: number,
  output: Output | undefined,
  exited: Promise<SpawnExit>,
  onOutput: OutputSink,
): BackendRun {
  let stopping = false;
  const timers: NodeJS.Timeout[] = [];
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  const exit = (async (): Promise<BackendExit> => {
    // The output's end is the wrapper's exit (it holds the FIFOs to the last); its mark then has a plain exit
    // code, so the run is over without waiting for the spawner's word, which may come later on a busy machine
    // (the run's last output is recorded that much sooner). A code above 128 may be a signal: that waits.
    const first = await Promise.race([exited, output?.ended.then(() => 'ended' as const) ?? exited]);
    if (first === 'ended') {
      const code = wrapperMarks(runDir).exitCode;
      if (code !== undefined && code <= 128) {
        takeLeftoverOutput(runDir, onOutput);
        return { exitCode: code, signal: null, timedOut: false, cancelled: false, pid };
      }
    }
    const end = await exited;
    try {
      if (end === 'lost') return await followLost(pid, runDir, output, onOutput);
      // Stragglers that keep the FIFOs open would hang the run: give them a moment, then kill the group.
      timers.push(setTimeout(() => killGroup('SIGKILL'), stopping ? 0 : DRAIN_MS).unref());
      await output?.ended;
      if (output) takeLeftoverOutput(runDir, onOutput);
      return { exitCode: end.code, signal: end.signal, timedOut: false, cancelled: false, pid };
    } finally {
      for (const t of timers) clearTimeout(t);
    }
  })();
  return {
    started: { pid },
    exit,
    stop: () => {
      stopping = true;
      killGroup('SIGTERM');
      timers.push(setTimeout(() => killGroup('SIGKILL'), spec.graceMs).unref());
    },
  };
}

/** The spawner died with the run going: wait for the wrapper to end, as for an adopted run. */
async function followLost(
  pid: number,
  runDir: string,
  output: Output | undefined,
  onOutput: OutputSink,
): Promise<BackendExit> {
  while (wrapperOf(pid)?.runDir === runDir) await sleep(FOLLOW_POLL_MS);
  await output?.closed(DRAIN_MS);
  // What the wrapper drained from its pipes when the agent ended.
  takeLeftoverOutput(runDir, onOutput);
  const marks = wrapperMarks(runDir);
  return {
    exitCode: marks.exitCode ?? null,
    signal: null,
    timedOut: false,
    cancelled: false,
    pid,
    warnings: [
      `${LOST}: its exit code is the one its wrapper recorded`,
      ...(marks.exitCode === undefined ? ['the process ended without an exit status'] : []),
    ],
  };
}

/**
 * The spawner died before answering a start (and is gone: every descriptor it held is closed). Read the FIFOs:
 * while a forked wrapper lives it holds their write ends, so reading them ends only once it has; meanwhile its
 * pid is looked for (its `.started` mark, or /proc). Ended with no `.started` mark: nothing ran.
 */
async function settleLostStart(spec: RunSpec, runDir: string, onOutput: OutputSink): Promise<BackendRun> {
  const read = openFifoReaders(runDir);
  if (read) touchWriters(runDir);
  const output = read ? readFifos(read, onOutput) : undefined;
  let ended = output === undefined;
  void output?.ended.then(() => (ended = true));
  for (;;) {
    const pid = livePid(spec.stateDir, runDir);
    if (pid !== undefined)
      return track(spec, runDir, pid, output, Promise.resolve<SpawnExit>('lost'), onOutput);
    if (ended) break;
    await sleep(50);
  }
  const marks = wrapperMarks(runDir);
  const startedPid = Number(readQuietly(path.join(runDir, STARTED_FILE)));
  if (!marks.started || !Number.isInteger(startedPid) || startedPid <= 0)
    throw new RunError(
      'spawn-failed',
      'the spawner process died while starting this run: it was not started',
    );
  takeLeftoverOutput(runDir, onOutput);
  return {
    started: { pid: startedPid },
    exit: Promise.resolve({
      exitCode: marks.exitCode ?? null,
      signal: null,
      timedOut: false,
      cancelled: false,
      pid: startedPid,
      warnings: [
        `${LOST}: it had started and ended; its exit code is the one its wrapper recorded, its output may be missing`,
        ...(marks.exitCode === undefined ? ['the process ended without an exit status'] : []),
      ],
    }),
    stop: () => {},
  };
}

/** The pid of the live wrapper of `runDir`: its `.started` mark if that names it, else a look through /proc. */
function livePid(stateDir: string, runDir: string): number | undefined {
  const marked = Number(readQuietly(path.join(runDir, STARTED_FILE)));
  if (Number.isInteger(marked) && marked > 0 && wrapperOf(marked)?.runDir === runDir) return marked;
  return findLiveLocal(stateDir).find((l) => l.runDir === runDir)?.pid;
}

function readQuietly(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
