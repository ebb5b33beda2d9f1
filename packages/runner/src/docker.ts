// The Docker backend: one container per run (over the engine's socket with docker-engine.ts, else with
// dockerode), labelled so a restarted coordinator can find it, its output saved as it arrives, removed once the output is on disk and its exit status is marked in
// the run dir (a coordinator killed after the removal but before recording the run reads it there).
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { Backend, BackendExit, BackendRun, LiveRun, OutputSink, RunSpec } from './backend.js';
import { demultiplex, type Engine, engineAt, engineSocket } from './docker-engine.js';
import { RunError } from './errors.js';
import { wrapperMarks, writeExitMark } from './local-wrapper.js';

export const LABEL_AGENT = 'habitat.agent';
export const LABEL_RUN = 'habitat.run';
export const LABEL_STATE = 'habitat.stateDir';

let shared: Promise<Docker> | undefined;
/**
 * The engine at DOCKER_HOST or the default socket, through dockerode: what an engine at a tcp:// or ssh://
 * address, and Swarm, use. dockerode is imported on first use, not at load: it costs ~33 MB of RSS (measured:
 * 41 -> 74 MB in a bare node), which a coordinator whose agents all run on the local backend should not pay
 * (bench/README.md, scheduler daemon RSS figure). It is an optional peer dependency (it brings gRPC,
 * protobufjs and ssh2, with their install scripts): missing, this says what to install.
 */
export function docker(): Promise<Docker> {
  shared ??= import('dockerode').then(
    ({ default: Engine }) => new Engine(),
    (error: NodeJS.ErrnoException) => {
      shared = undefined;
      if (error.code !== 'ERR_MODULE_NOT_FOUND') throw error;
      const where = process.env.DOCKER_HOST
        ? `the engine at DOCKER_HOST=${process.env.DOCKER_HOST}`
        : 'Docker Swarm';
      throw new RunError(
        'docker-unavailable',
        `${where} is reached through the dockerode package, which is not installed: run \`npm install dockerode\` next to @habitat/runner (the engine's Unix socket needs nothing more)`,
      );
    },
  );
  return shared;
}

/** The engine's Unix socket with the lean client, unless DOCKER_HOST names another address or dockerode is asked for. */
function lean(): Engine | undefined {
  const socket = process.env.HABITAT_DOCKER_CLIENT === 'dockerode' ? undefined : engineSocket();
  return socket ? engineAt(socket) : undefined;
}

/**
 * Whether a run on `backend` reaches the engine through dockerode: Swarm always; the docker backend when DOCKER_HOST
 * is not a Unix socket or HABITAT_DOCKER_CLIENT=dockerode. The CLI's one-file `run` leaves dockerode out for this.
 */
export function usesDockerode(backend: string): boolean {
  return backend === 'swarm' || (backend === 'docker' && lean() === undefined);
}

/** Is a Docker engine answering? */
export async function dockerAvailable(): Promise<boolean> {
  try {
    const engine = lean();
    if (engine) await engine.call('GET', '/_ping');
    else await (await docker()).ping();
    return true;
  } catch {
    return false;
  }
}

/** The engine's create body for a run's container (the same for both clients). */
function createBody(spec: RunSpec) {
  const c = spec.container;
  return {
    Image: c.image,
    Cmd: c.cmd,
    WorkingDir: c.workingDir,
    Env: Object.entries(c.env).map(([k, v]) => `${k}=${v}`),
    Labels: c.labels,
    ...(c.user ? { User: c.user } : {}),
    OpenStdin: c.stdin !== undefined,
    StdinOnce: c.stdin !== undefined,
    AttachStdin: c.stdin !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    HostConfig: {
      Binds: [...c.binds, ...spec.credentialFiles.map((f) => `${f.hostPath}:${f.containerPath}:ro`)],
      NetworkMode: c.network,
      ...(c.memoryBytes ? { Memory: c.memoryBytes } : {}),
      ...(c.cpus ? { NanoCpus: Math.round(c.cpus * 1e9) } : {}),
      ...hardening(c),
      Init: true,
    },
  };
}

/**
 * One container for the run: over the engine's Unix socket with the lean client (docker-engine.ts), else
 * (DOCKER_HOST tcp:// or ssh://, or HABITAT_DOCKER_CLIENT=dockerode) with dockerode.
 */
export function startContainer(spec: RunSpec, onOutput: OutputSink): Promise<BackendRun> {
  const engine = lean();
  return engine ? startOnSocket(engine, spec, onOutput) : startWithDockerode(spec, onOutput);
}

async function startWithDockerode(spec: RunSpec, onOutput: OutputSink): Promise<BackendRun> {
  const c = spec.container;
  const engine = await docker();
  let container: Docker.Container;
  try {
    container = await engine.createContainer(createBody(spec));
  } catch (error) {
    throw dockerError(error, c.image);
  }
  const remove = () => container.remove({ force: true }).catch(() => {});
  try {
    const stream = await container.attach({
      stream: true,
      stdout: true,
      stderr: true,
      stdin: c.stdin !== undefined,
      hijack: c.stdin !== undefined,
    });
    const ended = followStream(engine, stream, onOutput);
    await container.start();
    if (c.stdin !== undefined) stream.end(c.stdin);
    const exit = (async (): Promise<BackendExit> => {
      try {
        const status = (await container.wait()) as { StatusCode: number };
        await ended;
        writeExitMark(runDirOf(spec.stateDir, spec.runId), status.StatusCode);
        return containerExit(container.id, status.StatusCode);
      } finally {
        await remove();
      }
    })();
    const stop = () => {
      container.stop({ t: Math.ceil(spec.graceMs / 1000) }).catch(() => {}); // already stopped
    };
    return { started: { containerId: container.id, ref: container.id }, exit, stop };
  } catch (error) {
    await remove();
    throw error;
  }
}

/**
 * The same run with the lean client. As `docker run` does, the wait for the exit is asked for before the start,
 * so the exit is known as soon as the engine has it (not one round trip after the start's answer). The exit is
 * then recorded exactly as above: output drained, exit status marked in the run dir, container removed.
 */
async function startOnSocket(engine: Engine, spec: RunSpec, onOutput: OutputSink): Promise<BackendRun> {
  const c = spec.container;
  let id: string;
  try {
    id = (await engine.call<{ Id: string }>('POST', '/containers/create', createBody(spec))).Id;
  } catch (error) {
    throw dockerError(error, c.image);
  }
  const remove = () => engine.call('DELETE', `/containers/${id}?force=1`).catch(() => {});
  try {
    const stream = await engine.attach(id, c.stdin !== undefined);
    const ended = demultiplex(stream, onOutput);
    const { exited } = await engine.waitNextExit(id);
    exited.catch(() => {}); // a failed start removes the container, which ends this wait (handled below)
    await engine.call('POST', `/containers/${id}/start`);
    if (c.stdin !== undefined) stream.end(c.stdin);
    const exit = (async (): Promise<BackendExit> => {
      try {
        const exitCode = await exited;
        await ended;
        writeExitMark(runDirOf(spec.stateDir, spec.runId), exitCode);
        return containerExit(id, exitCode);
      } finally {
        await remove();
      }
    })();
    const stop = () => {
      // already stopped: 304, or gone: 404
      engine.call('POST', `/containers/${id}/stop?t=${Math.ceil(spec.graceMs / 1000)}`).catch(() => {});
    };
    return { started: { containerId: id, ref: id }, exit, stop };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** Where startRun put the run's dir (runPaths), which the container sees as /habitat/run. */
const runDirOf = (stateDir: string, runId: string) => path.join(stateDir, 'runs', runId);

/** How a container run ended: its exit status (Docker reports a signal as 128+N). */
const containerExit = (id: string, exitCode: number): BackendExit => ({
  exitCode,
  signal: null,
  timedOut: false,
  cancelled: false,
  containerId: id,
  ref: id,
});

/** Default process limit of a container (`isolation.pids` overrides). */
export const DEFAULT_PIDS = 512;

/**
 * Containers are hardened by default: every capability dropped (the agent file adds back what it needs,
 * `isolation.capAdd`), no privilege gain through setuid binaries, a process limit, and a read-only root
 * filesystem where only /tmp (a tmpfs, also $HOME) and the mounted repo, run dir and Claude home are writable.
 */
export function hardening(c: RunSpec['container']) {
  return {
    CapDrop: ['ALL'],
    ...(c.capAdd?.length ? { CapAdd: c.capAdd } : {}),
    SecurityOpt: ['no-new-privileges'],
    PidsLimit: c.pids ?? DEFAULT_PIDS,
    ReadonlyRootfs: true,
    Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=1g,mode=1777' },
  };
}

/** Demultiplex a container's output stream into stdout/stderr chunks; resolves when it ends. */
function followStream(engine: Docker, stream: NodeJS.ReadWriteStream, onOutput: OutputSink): Promise<void> {
  const out = new PassThrough();
  const err = new PassThrough();
  out.on('data', (c: Buffer) => onOutput('stdout', c));
  err.on('data', (c: Buffer) => onOutput('stderr', c));
  engine.modem.demuxStream(stream, out, err);
  return new Promise((resolve) => {
    const done = () => resolve();
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
  });
}

function dockerError(error: unknown, image: string): RunError {
  const e = error as { statusCode?: number; code?: string; message?: string };
  if (e.statusCode === 404 && /image/i.test(e.message ?? '')) {
    return new RunError(
      'image-missing',
      `Docker image "${image}" is not present on this engine. Build or load it first (e.g. \`docker build -t ${image} .\` or \`docker load -i image.tar\`), or set isolation.image to an image you have (\`docker images\`).`,
    );
  }
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'EACCES') {
    return new RunError(
      'docker-unavailable',
      `no Docker engine answers (${e.code}): start dockerd, or use isolation.backend: local`,
    );
  }
  return new RunError('spawn-failed', `Docker could not create the container: ${e.message ?? String(error)}`);
}

/** A container a coordinator started, found by its labels. */
export interface RunContainer {
  id: string;
  agent: string;
  runId: string;
  stateDir?: string;
  state: string;
  createdAt: string;
}

/** Containers habitat started (optionally for one state dir), running or not. */
export async function findRunContainers(filter: { stateDir?: string } = {}): Promise<RunContainer[]> {
  const labels = [LABEL_RUN, ...(filter.stateDir ? [`${LABEL_STATE}=${filter.stateDir}`] : [])];
  const engine = lean();
  const list = engine
    ? await engine.call<Docker.ContainerInfo[]>(
        'GET',
        `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: labels }))}`,
      )
    : await (await docker()).listContainers({ all: true, filters: { label: labels } });
  return list.map((c) => ({
    id: c.Id,
    agent: c.Labels[LABEL_AGENT] ?? '',
    runId: c.Labels[LABEL_RUN] ?? '',
    ...(c.Labels[LABEL_STATE] ? { stateDir: c.Labels[LABEL_STATE] } : {}),
    state: c.State,
    createdAt: new Date(c.Created * 1000).toISOString(),
  }));
}

/**
 * Follow an existing container to its end (adoption after a coordinator restart): its whole output
 * from the start, then its exit code; the container is removed afterwards.
 */
export async function followContainer(
  id: string,
  onOutput: OutputSink,
  runDir?: string,
): Promise<BackendExit> {
  const socket = lean();
  if (socket) {
    const ended = demultiplex(
      await socket.stream(`/containers/${id}/logs?follow=1&stdout=1&stderr=1&since=0`),
      onOutput,
    );
    try {
      const { StatusCode } = await socket.call<{ StatusCode: number }>('POST', `/containers/${id}/wait`);
      await ended;
      if (runDir) writeExitMark(runDir, StatusCode);
      return containerExit(id, StatusCode);
    } finally {
      await socket.call('DELETE', `/containers/${id}?force=1`).catch(() => {});
    }
  }
  const engine = await docker();
  const container = engine.getContainer(id);
  const stream = (await container.logs({
    follow: true,
    stdout: true,
    stderr: true,
    since: 0,
  })) as unknown as NodeJS.ReadWriteStream;
  const ended = followStream(engine, stream, onOutput);
  try {
    const status = (await container.wait()) as { StatusCode: number };
    await ended;
    if (runDir) writeExitMark(runDir, status.StatusCode);
    return containerExit(id, status.StatusCode);
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

export const dockerBackend: Backend = {
  name: 'docker',
  inContainer: true,
  start: startContainer,
  findLive: async ({ stateDir }) =>
    (await findRunContainers({ stateDir })).map(
      (c): LiveRun => ({
        backend: 'docker',
        runId: c.runId,
        agent: c.agent,
        ref: c.id,
        state: c.state,
        createdAt: c.createdAt,
      }),
    ),
  follow: (run, onOutput, scope) =>
    followContainer(run.ref, onOutput, scope ? runDirOf(scope.stateDir, run.runId) : undefined),
  // A container habitat created is removed on every path: an adopted run past its timeout, or one that
  // was created but never started when its coordinator died, is removed here.
  abandon: async (run) => {
    if (run.ref) {
      const engine = lean();
      const removed = await (engine
        ? engine.call('DELETE', `/containers/${run.ref}?force=1`)
        : (await docker()).getContainer(run.ref).remove({ force: true })
      ).then(
        () => true,
        () => false,
      );
      if (removed) return `its container ${run.ref.slice(0, 12)} was stopped and removed`;
    }
    return 'the coordinator restarted and the run container was no longer there';
  },
  // A run whose container id was recorded had started. Its container is removed only after its exit
  // status is marked in the run dir, so a run that ended is never taken for a lost one.
  ended: (run) => {
    const { exitCode, endedAt } = wrapperMarks(runDirOf(run.stateDir, run.runId));
    return {
      started: Boolean(run.ref),
      ...(exitCode !== undefined ? { exitCode } : {}),
      ...(endedAt !== undefined ? { endedAt } : {}),
    };
  },
  // Every path of startContainer/followContainer removes its container.
  cleanup: async () => [],
};
