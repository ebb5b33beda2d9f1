// The Docker backend (dockerode): one container per run, labelled so a restarted coordinator can find
// it, its output saved as it arrives, removed once the output is on disk.
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { RunError } from './errors.js';
import type { BackendExit, OutputSink } from './local.js';

export const LABEL_AGENT = 'habitat.agent';
export const LABEL_RUN = 'habitat.run';
export const LABEL_STATE = 'habitat.stateDir';

export interface ContainerSpec {
  image: string;
  cmd: string[];
  workingDir: string;
  env: Record<string, string>;
  binds: string[];
  user?: string;
  network: string;
  memoryBytes?: number;
  cpus?: number;
  pids?: number;
  labels: Record<string, string>;
  stdin?: string;
  timeoutMs: number;
  graceMs: number;
  signal: AbortSignal;
}

let shared: Promise<Docker> | undefined;
/**
 * The engine at DOCKER_HOST or the default socket. dockerode is imported on first use, not at load:
 * it costs ~33 MB of RSS (measured: 41 -> 74 MB in a bare node), which a coordinator whose agents all
 * run on the local backend should not pay (bench/README.md, scheduler daemon RSS figure).
 */
export function docker(): Promise<Docker> {
  shared ??= import('dockerode').then(({ default: Engine }) => new Engine());
  return shared;
}

/** Is a Docker engine answering? */
export async function dockerAvailable(): Promise<boolean> {
  try {
    await (await docker()).ping();
    return true;
  } catch {
    return false;
  }
}

export async function runContainer(
  spec: ContainerSpec,
  onOutput: OutputSink,
  onStart: (containerId: string) => void,
): Promise<BackendExit> {
  const engine = await docker();
  let container: Docker.Container;
  try {
    container = await engine.createContainer({
      Image: spec.image,
      Cmd: spec.cmd,
      WorkingDir: spec.workingDir,
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      Labels: spec.labels,
      ...(spec.user ? { User: spec.user } : {}),
      OpenStdin: spec.stdin !== undefined,
      StdinOnce: spec.stdin !== undefined,
      AttachStdin: spec.stdin !== undefined,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      HostConfig: {
        Binds: spec.binds,
        NetworkMode: spec.network,
        ...(spec.memoryBytes ? { Memory: spec.memoryBytes } : {}),
        ...(spec.cpus ? { NanoCpus: Math.round(spec.cpus * 1e9) } : {}),
        ...(spec.pids ? { PidsLimit: spec.pids } : {}),
        Init: true,
      },
    });
  } catch (error) {
    throw dockerError(error, spec.image);
  }
  const stream = await container.attach({
    stream: true,
    stdout: true,
    stderr: true,
    stdin: spec.stdin !== undefined,
    hijack: spec.stdin !== undefined,
  });
  const ended = followStream(engine, stream, onOutput);
  let timedOut = false;
  let cancelled = false;
  const stop = async () => {
    try {
      await container.stop({ t: Math.ceil(spec.graceMs / 1000) });
    } catch {
      // already stopped
    }
  };
  const onAbort = () => {
    cancelled = !timedOut;
    void stop();
  };
  const timer =
    spec.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          void stop();
        }, spec.timeoutMs)
      : undefined;
  try {
    await container.start();
    onStart(container.id);
    if (spec.stdin !== undefined) stream.end(spec.stdin);
    if (spec.signal.aborted) onAbort();
    else spec.signal.addEventListener('abort', onAbort, { once: true });
    const status = (await container.wait()) as { StatusCode: number };
    await ended;
    return { exitCode: status.StatusCode, signal: null, timedOut, cancelled, containerId: container.id };
  } finally {
    if (timer) clearTimeout(timer);
    spec.signal.removeEventListener('abort', onAbort);
    await container.remove({ force: true }).catch(() => {});
  }
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
  const list = await (await docker()).listContainers({ all: true, filters: { label: labels } });
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
export async function followContainer(id: string, onOutput: OutputSink): Promise<BackendExit> {
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
    return { exitCode: status.StatusCode, signal: null, timedOut: false, cancelled: false, containerId: id };
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}
