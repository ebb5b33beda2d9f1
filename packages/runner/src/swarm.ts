// The Swarm backend: one `replicated-job` service per run (one task, never restarted), labelled with
// agent, run and coordinator so a restarted coordinator finds its own. Habitat keeps the schedule;
// Swarm only places and runs the task. Credentials are swarm secrets (swarm-secrets.ts), so no value
// is ever part of the service spec. Output is followed live from the service's logs.
//
// Ending a run: Docker 20.10 keeps the task (and its container) of a removed job service forever once
// the task has ended (moby/moby#42789, fixed in swarmkit#3112 / Docker 23), but reaps a task that is
// still running when the job moves to a new iteration. So the task's entrypoint prelude runs the agent,
// reports its exit code on stderr (a marker line habitat takes out of the log) and then waits; habitat
// collects the output, moves the job to an iteration of zero completions (the task is stopped, SIGTERM
// then SIGKILL after the grace period, and reaped with its container, on whichever node it ran), and
// removes the service. Timeout and cancel do the same without waiting for the agent.

import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import type Docker from 'dockerode';
import type { Backend, BackendExit, BackendRun, LiveRun, OutputSink, RunSpec } from './backend.js';
import { DEFAULT_PIDS, docker, LABEL_AGENT, LABEL_RUN, LABEL_STATE } from './docker.js';
import { RunError } from './errors.js';
import { removeUnusedSecrets, type SecretMount, secretsFor, serialized } from './swarm-secrets.js';
import { type SwarmTask, watchTasks } from './swarm-tasks.js';

export const LABEL_COORDINATOR = 'habitat.coordinator';
/** On task containers (not services): lets a test or an operator find what a swarm run left on a node. */
export const LABEL_SWARM_RUN = 'habitat.swarm.run';

/** How long a task may sit unschedulable (no node satisfies its constraints) before the run fails. */
const UNSCHEDULABLE_MS = 3000;
/** How long to wait for a removed service's tasks (and containers) to go away. */
const GONE_MS = 20_000;

/** Who started a service: host and state dir (two coordinators may share a swarm and a path). */
export function coordinatorId(stateDir: string): string {
  return `${hostname()}:${stateDir}`;
}

let manager: { checkedAt: number; ok: Promise<void> } | undefined;
/** Fail clearly when DOCKER_HOST is not a swarm manager (checked once a minute at most). */
export function requireManager(engine: Docker): Promise<void> {
  if (manager && Date.now() - manager.checkedAt < 60_000) return manager.ok;
  const ok = (async () => {
    let info: { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
    try {
      info = (await engine.info()) as typeof info;
    } catch (error) {
      throw swarmError(error, '');
    }
    const where = process.env.DOCKER_HOST ? `DOCKER_HOST=${process.env.DOCKER_HOST}` : 'the local engine';
    if (info.Swarm?.LocalNodeState !== 'active')
      throw new RunError(
        'not-a-manager',
        `isolation.backend is swarm but ${where} is not part of a swarm (state: ${info.Swarm?.LocalNodeState ?? 'unknown'}): run \`docker swarm init\` there, or point DOCKER_HOST at a swarm manager`,
      );
    if (!info.Swarm.ControlAvailable)
      throw new RunError(
        'not-a-manager',
        `isolation.backend is swarm but ${where} is a swarm worker, not a manager: point DOCKER_HOST at a manager node (\`docker node ls\` on a manager lists them) or promote this node (\`docker node promote\`)`,
      );
  })();
  manager = { checkedAt: Date.now(), ok };
  ok.catch(() => (manager = undefined));
  return ok;
}

/** Map an engine error to a RunError that says what to do. */
export function swarmError(error: unknown, image: string): RunError {
  const e = error as { statusCode?: number; code?: string; message?: string; json?: { message?: string } };
  const message = e.json?.message ?? e.message ?? String(error);
  if (e.statusCode === 503 && /not a swarm manager|not part of a swarm/i.test(message)) {
    return new RunError(
      'not-a-manager',
      `isolation.backend is swarm but the Docker engine is not a swarm manager (${message.split('.')[0]}): point DOCKER_HOST at a manager node, or run \`docker swarm init\``,
    );
  }
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'EACCES') {
    return new RunError(
      'docker-unavailable',
      `no Docker engine answers (${e.code}): start dockerd or set DOCKER_HOST to a swarm manager`,
    );
  }
  return new RunError(
    'spawn-failed',
    `Swarm could not create the service${image ? ` for ${image}` : ''}: ${message}`,
  );
}

/**
 * The image as the tasks should reference it: pinned like `docker service create` pins it. A registry
 * image present here goes by its repo digest (every node pulls exactly that); a locally built or loaded
 * one by its id (no pull is attempted; on a multi-node swarm every node must have it, see
 * docs/scale-out.md); one this node does not have by its name (each node pulls it).
 */
async function pinImage(engine: Docker, image: string): Promise<{ ref: string; user?: string }> {
  try {
    const info = (await engine.getImage(image).inspect()) as {
      Id: string;
      RepoDigests?: string[];
      Config?: { User?: string };
    };
    const user = info.Config?.User || undefined;
    if (image.includes('@')) return { ref: image, ...(user ? { user } : {}) };
    const repo = image.replace(/:[^/:]+$/, '');
    const digest = info.RepoDigests?.find((d) => d.startsWith(`${repo}@`)) ?? info.RepoDigests?.[0];
    return { ref: digest ?? info.Id, ...(user ? { user } : {}) };
  } catch {
    // Not here: a registry must have it, or no node will (a rejected task would stay listed on
    // Docker 20.10, so a missing image is caught before anything is created).
    try {
      await engine.getImage(image).distribution();
    } catch (error) {
      throw new RunError(
        'image-missing',
        `Docker image "${image}" is neither on this swarm manager nor in a registry it can reach (${(error as Error).message.split('\n')[0]}). Push it to a registry every node can pull from, or load it on the nodes (docker load), or set isolation.image to an image you have`,
      );
    }
    return { ref: image };
  }
}

/** Numeric uid/gid the secrets are owned by: the agent's user, else the image's, else root. */
function ownerOf(user: string | undefined, hasSecrets: boolean): { uid: string; gid: string } {
  if (!user) return { uid: '0', gid: '0' };
  const m = /^(\d+)(?::(\d+))?$/.exec(user);
  if (m) return { uid: m[1]!, gid: m[2] ?? m[1]! };
  if (hasSecrets)
    throw new RunError(
      'spawn-failed',
      `swarm secrets are mounted mode 0400 for the agent's uid, but the user "${user}" is not numeric: set isolation.user to uid:gid (e.g. 1000:1000)`,
    );
  return { uid: '0', gid: '0' };
}

/** Parse `host:container[:ro|rw]` binds into service mounts. */
function mountsOf(
  binds: string[],
): Array<{ Type: 'bind'; Source: string; Target: string; ReadOnly: boolean }> {
  return binds.map((b) => {
    const [source, target, mode] = b.split(':');
    return { Type: 'bind', Source: source!, Target: target!, ReadOnly: mode === 'ro' };
  });
}

/** How long a finished task waits to be collected (a coordinator restarting in between adopts it). */
const HOLD_SECONDS = 86_400;

/** The stderr line the task prelude reports the agent's exit code with. */
export const exitMarker = (runId: string) => `\u001ehabitat-exit:${runId}:`;

/**
 * The command the task runs: a small sh prelude that exports `as: env` values from their secret files
 * and feeds a claude agent's prompt from its secret file to stdin (services have no stdin), so no value
 * is in the service spec; runs the agent, passing SIGTERM on; reports its exit code; and waits to be
 * collected (see the top of this file).
 */
export function taskCommand(
  cmd: string[],
  runId: string,
  envFiles: string[],
  stdinFile: string | undefined,
): string[] {
  const exports = envFiles.map((f) => {
    const name = f.slice(f.lastIndexOf('/habitat-env.') + '/habitat-env.'.length);
    return `${name}="$(cat '${f}')"; export ${name}`;
  });
  const script = [
    ...exports,
    `"$@" < ${stdinFile ? `'${stdinFile}'` : '/dev/null'} & pid=$!`,
    `trap 'stopped=1; kill -TERM $pid 2>/dev/null' TERM INT`,
    'wait $pid; code=$?',
    'while kill -0 $pid 2>/dev/null; do wait $pid; code=$?; done',
    `printf '${exitMarker(runId).replace('\u001e', '\\036')}%s\\n' "$code" >&2`,
    // stopped (timeout, cancel, the job ended): nothing to wait for
    '[ -n "$stopped" ] && exit "$code"',
    'trap - TERM INT',
    `exec sleep ${HOLD_SECONDS}`,
  ].join('\n');
  return ['/bin/sh', '-c', script, 'habitat', ...cmd];
}

/** Docker service names: [a-zA-Z0-9-_.], up to 63 characters; the run id makes it unique. */
function serviceName(agent: string, runId: string): string {
  const slug = agent.replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 30);
  return `habitat-${slug}-${runId.toLowerCase()}`.replace(/-+/g, '-');
}

function serviceSpec(
  spec: RunSpec,
  name: string,
  image: string,
  user: string | undefined,
  mounts: SecretMount[],
  envFiles: string[],
  stdinFile: string | undefined,
): Record<string, unknown> {
  const c = spec.container;
  const secretNames = new Set(Object.keys(spec.secretEnv));
  const env = Object.entries(c.env).filter(([k]) => !secretNames.has(k));
  const network = c.network;
  if (network === 'bridge')
    throw new RunError(
      'spawn-failed',
      'isolation.network: bridge is not available to swarm services: use host, none, or an overlay network (docker network create -d overlay --attachable NAME)',
    );
  const labels = {
    [LABEL_AGENT]: spec.agent.name,
    [LABEL_RUN]: spec.runId,
    [LABEL_STATE]: spec.stateDir,
    [LABEL_COORDINATOR]: coordinatorId(spec.stateDir),
  };
  return {
    Name: name,
    Labels: labels,
    Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Args: taskCommand(c.cmd, spec.runId, envFiles, stdinFile),
        Env: env.map(([k, v]) => `${k}=${v}`),
        Dir: c.workingDir,
        ...(user ? { User: user } : {}),
        Labels: { [LABEL_SWARM_RUN]: spec.runId, [LABEL_AGENT]: spec.agent.name },
        // Hardened like a Docker run (docker.ts `hardening`): no capabilities but those given back, a
        // read-only root with a tmpfs /tmp, a process limit. (no-new-privileges has no service field
        // before API 1.44; Docker 20.10 speaks 1.41.)
        Mounts: [
          ...mountsOf(c.binds),
          { Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 1024 ** 3, Mode: 0o1777 } },
        ],
        ReadOnly: true,
        CapabilityDrop: ['ALL'],
        ...(c.capAdd?.length ? { CapabilityAdd: c.capAdd } : {}),
        Secrets: mounts.map((m) => ({
          SecretID: m.id,
          SecretName: m.name,
          File: { Name: m.target, UID: m.uid, GID: m.gid, Mode: 0o400 },
        })),
        Init: true,
        StopGracePeriod: spec.graceMs * 1e6,
      },
      Resources: {
        Limits: {
          ...(c.memoryBytes ? { MemoryBytes: c.memoryBytes } : {}),
          ...(c.cpus ? { NanoCPUs: Math.round(c.cpus * 1e9) } : {}),
          Pids: c.pids ?? DEFAULT_PIDS,
        },
      },
      RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
      ...(c.placement?.length ? { Placement: { Constraints: c.placement } } : {}),
      ...(network ? { Networks: [{ Target: network }] } : {}),
    },
  };
}

export async function startSwarm(spec: RunSpec, onOutput: OutputSink): Promise<BackendRun> {
  const engine = await docker();
  await requireManager(engine);
  const c = spec.container;
  const pinned = await pinImage(engine, c.image);
  const user = c.user ?? pinned.user;
  const name = serviceName(spec.agent.name, spec.runId);
  const coordinator = coordinatorId(spec.stateDir);
  const files = [
    ...spec.credentialFiles.map((f) => ({
      credential: f.name,
      target: f.name,
      content: f.content,
    })),
    ...Object.entries(spec.secretEnv).map(([variable, value]) => {
      const credential =
        spec.agent.credentials.find((x) => x.as === 'env' && x.envName === variable)?.name ?? variable;
      return { credential, target: `habitat-env.${variable}`, content: value };
    }),
    ...(c.stdin !== undefined
      ? [{ credential: 'prompt', target: 'habitat-stdin', content: c.stdin, run: spec.runId }]
      : []),
  ];
  const owner = ownerOf(user, files.length > 0);
  let serviceId: string;
  let warnings: string[] = [];
  // Secrets and the service that uses them are made under one lock, so the clean-up of another run
  // never removes a secret between the two.
  try {
    const create = async () => {
      const mounts = await secretsFor(engine, {
        agent: spec.agent.name,
        coordinator,
        stateDir: spec.stateDir,
        owner,
        files,
      });
      const body = serviceSpec(
        spec,
        name,
        pinned.ref,
        user,
        mounts,
        mounts.filter((m) => m.target.startsWith('habitat-env.')).map((m) => `/run/secrets/${m.target}`),
        mounts.some((m) => m.target === 'habitat-stdin') ? '/run/secrets/habitat-stdin' : undefined,
      );
      try {
        const created = (await engine.createService(body as Docker.CreateServiceOptions)) as { id: string };
        return created.id;
      } catch (error) {
        const e = error as { statusCode?: number };
        if (e.statusCode !== 409) throw swarmError(error, c.image);
        // The same run id is already on the swarm (a coordinator that crashed between creating the
        // service and recording it, and now retries): follow that one instead of starting a second.
        const [existing] = (await engine.listServices({
          filters: { label: [`${LABEL_RUN}=${spec.runId}`, `${LABEL_COORDINATOR}=${coordinator}`] },
        })) as Array<{ ID: string }>;
        if (!existing) throw swarmError(error, c.image);
        warnings = [
          `run ${spec.runId} was already on the swarm (service ${existing.ID}): followed, not started twice`,
        ];
        return existing.ID;
      }
    };
    serviceId = files.length > 0 ? await serialized(create) : await create();
  } catch (error) {
    await removeUnusedSecrets(engine, coordinator).catch(() => []);
    throw error instanceof RunError ? error : swarmError(error, c.image);
  }
  const control = new AbortController();
  const exit = followService(
    engine,
    serviceId,
    spec.runId,
    coordinator,
    onOutput,
    control.signal,
    c.image,
    spec.graceMs,
  ).then((e) => ({ ...e, warnings: [...warnings, ...(e.warnings ?? [])] }));
  return {
    started: { ref: serviceId },
    exit,
    stop: () => control.abort(),
  };
}

/** The service's log stream (multiplexed frames, with task details), from its first line. */
function serviceLogs(engine: Docker, serviceId: string, follow: boolean): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    engine.modem.dial(
      {
        path: `/services/${serviceId}/logs?`,
        method: 'GET',
        options: { follow, stdout: true, stderr: true, details: true },
        isStream: true,
        statusCodes: {
          200: true,
          404: 'no such service',
          500: 'server error',
          503: 'node is not a swarm manager',
        },
      },
      (err: unknown, stream: unknown) => (err ? reject(err) : resolve(stream as IncomingMessage)),
    );
  });
}

/**
 * Split Docker's multiplexed log frames (8-byte header: stream, 0, 0, 0, big-endian length) whose
 * payload starts with the `details` attributes (`k=v,k=v `), into (stream, task id, bytes).
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  private readonly onFrame: (stream: 'stdout' | 'stderr', task: string, bytes: Buffer) => void;
  constructor(onFrame: (stream: 'stdout' | 'stderr', task: string, bytes: Buffer) => void) {
    this.onFrame = onFrame;
  }
  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const type = this.pending[0];
      const payload = this.pending.subarray(8, 8 + size);
      this.pending = this.pending.subarray(8 + size);
      const space = payload.indexOf(0x20);
      const attrs = space >= 0 ? payload.subarray(0, space).toString('utf8') : '';
      const task = /(?:^|,)com\.docker\.swarm\.task\.id=([^,]+)/.exec(attrs)?.[1] ?? '';
      this.onFrame(type === 2 ? 'stderr' : 'stdout', task, payload.subarray(space + 1));
    }
  }
}

/**
 * Follow a run's service to its end: live output of its (first) task until the prelude reports the
 * exit code (or the task ends without one: completed from the logs then); rejected or unplaceable
 * tasks become RunErrors with the task's error. A second task for the same run (a manager that lost
 * leadership may start a job again) is reported and ignored. Aborting `stop` ends the task at once
 * (timeout, cancel). On every path the job is ended, the service removed and unused secrets with it.
 */
async function followService(
  engine: Docker,
  serviceId: string,
  runId: string,
  coordinator: string,
  onOutput: OutputSink,
  stop: AbortSignal | undefined,
  image: string,
  graceMs: number,
): Promise<BackendExit> {
  const warnings: string[] = [];
  const marker = Buffer.from(exitMarker(runId));
  let primary: string | undefined;
  let reported: number | undefined;
  let wakeLoop: (() => void) | undefined;
  const seen = { stdout: 0, stderr: 0 };
  const early: Array<{ stream: 'stdout' | 'stderr'; task: string; bytes: Buffer }> = [];
  const deliver = (stream: 'stdout' | 'stderr', task: string, bytes: Buffer) => {
    if (!primary) {
      early.push({ stream, task, bytes });
      return;
    }
    if (task !== primary) return;
    seen[stream] += bytes.length;
    if (stream === 'stderr' && bytes.subarray(0, marker.length).equals(marker)) {
      reported = Number.parseInt(bytes.subarray(marker.length).toString('utf8'), 10);
      wakeLoop?.();
      return;
    }
    onOutput(stream, bytes);
  };
  let live: IncomingMessage | undefined;
  try {
    live = await serviceLogs(engine, serviceId, true);
    const reader = new FrameReader(deliver);
    live.on('data', (chunk: Buffer) => reader.push(chunk));
    live.on('error', () => {});
  } catch {
    // logs are best effort while running; the catch-up below reads them again
  }
  const extras = new Set<string>();
  const watch = watchTasks(engine, serviceId);
  let stopped = false;
  const onStop = () => {
    stopped = true;
    void endJob(engine, serviceId);
    wakeLoop?.();
  };
  if (stop?.aborted) onStop();
  else stop?.addEventListener('abort', onStop, { once: true });
  let last: SwarmTask | undefined;
  let unschedulableSince: number | undefined;
  const iterator = watch[Symbol.asyncIterator]();
  try {
    while (reported === undefined && !stopped) {
      // The next task list, or earlier if the exit marker arrives or the run is stopped.
      const next = await Promise.race([
        iterator.next(),
        new Promise<'woken'>((r) => (wakeLoop = () => r('woken'))),
      ]);
      wakeLoop = undefined;
      if (next === 'woken') continue;
      if (next.done) break;
      const sorted = [...next.value].sort((x, y) => x.createdAt.localeCompare(y.createdAt));
      if (!primary && sorted[0]) {
        primary = sorted[0].id;
        for (const e of early.splice(0)) deliver(e.stream, e.task, e.bytes);
      }
      for (const t of sorted) {
        if (t.id === primary || extras.has(t.id)) continue;
        extras.add(t.id);
        warnings.push(
          `the swarm started a second task (${t.id}) for run ${runId}: reported and ignored, not counted as another run`,
        );
      }
      last = sorted.find((t) => t.id === primary) ?? last;
      if (!last) continue;
      if (last.state === 'pending' && last.err && /no suitable node/i.test(last.err)) {
        unschedulableSince ??= Date.now();
        if (Date.now() - unschedulableSince >= UNSCHEDULABLE_MS)
          throw new RunError(
            'unschedulable',
            `the swarm cannot place run ${runId}: ${last.err}. Check isolation.placement against the nodes' labels (docker node ls; docker node inspect --format '{{.Spec.Labels}}' NODE)`,
          );
      } else unschedulableSince = undefined;
      if (isTerminal(last.state)) break;
    }
    if (stopped) {
      await waitGone(engine, serviceId, graceMs, true);
      return {
        exitCode: reported ?? null,
        signal: null,
        timedOut: false,
        cancelled: false,
        ref: serviceId,
        warnings,
      };
    }
    // Swarm's log broker keeps each stream's order but not the order between stdout and stderr: the
    // rest of stdout may still be on its way when stderr's exit marker arrives. Catch up from the
    // complete logs of the task (still there: its container waits to be collected).
    if (reported !== undefined) {
      live?.destroy();
      live = undefined;
      await catchUp(engine, serviceId, primary!, seen, onOutput, marker);
      return {
        exitCode: reported,
        signal: null,
        timedOut: false,
        cancelled: false,
        ref: serviceId,
        warnings,
      };
    }
    // The task ended without the prelude's report: it never ran, or its container died whole.
    const task = last!;
    if (task.state === 'rejected' || task.exitCode === undefined) {
      if (/no such image/i.test(task.err ?? ''))
        throw new RunError(
          'image-missing',
          `the swarm task for run ${runId} was rejected: ${task.err}. Push ${image || 'the image'} to a registry every node can pull from, or load it on the nodes (docker load), or set isolation.image to an image they have`,
        );
      throw new RunError(
        'task-failed',
        `the swarm task for run ${runId} ${task.state}: ${task.err ?? 'no reason given'}`,
      );
    }
    live?.destroy();
    live = undefined;
    if (primary) await catchUp(engine, serviceId, primary, seen, onOutput, marker);
    return {
      exitCode: task.exitCode,
      signal: null,
      timedOut: false,
      cancelled: false,
      ref: serviceId,
      warnings,
    };
  } finally {
    stop?.removeEventListener('abort', onStop);
    live?.destroy();
    watch.close();
    // The job is ended before the result is given (nothing of the run goes on); Swarm's reaping of the
    // stopped task takes a few seconds more, so the service and unused secrets are removed after it in
    // the background (`settleSwarm()` waits for that; a restarted coordinator's cleanup() sweeps it).
    await endJob(engine, serviceId);
    const tasks = [primary, ...extras].filter((t): t is string => !!t);
    track(
      (async () => {
        await waitGone(engine, serviceId, graceMs);
        await removeService(engine, serviceId, tasks);
        await serialized(() => removeUnusedSecrets(engine, coordinator)).catch(() => []);
      })(),
    );
  }
}

const pending = new Set<Promise<void>>();
function track(work: Promise<void>): void {
  const p = work.catch(() => {}).finally(() => pending.delete(p));
  pending.add(p);
}

/** Wait for the background removal of finished runs' services and secrets. */
export async function settleSwarm(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
}

function isTerminal(state: string): boolean {
  return ['complete', 'failed', 'rejected', 'shutdown', 'orphaned', 'remove'].includes(state);
}

/**
 * End the job: a new iteration of zero completions, so Swarm stops the task (SIGTERM, then SIGKILL
 * after StopGracePeriod) and reaps it with its container. Idempotent.
 */
async function endJob(engine: Docker, serviceId: string, again = false): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    let svc: {
      Version: { Index: number };
      Spec: {
        Mode?: { ReplicatedJob?: { TotalCompletions?: number } };
        TaskTemplate?: { ForceUpdate?: number };
      };
    };
    try {
      svc = (await engine.getService(serviceId).inspect()) as typeof svc;
    } catch {
      return; // gone already
    }
    if (svc.Spec.Mode?.ReplicatedJob?.TotalCompletions === 0 && !again) return;
    // `again`: a task created just as the job was ended can miss the new iteration; a forced update
    // starts another one, which moves it to removal too.
    const template = svc.Spec.TaskTemplate ?? {};
    const spec = {
      ...svc.Spec,
      Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 0 } },
      ...(again ? { TaskTemplate: { ...template, ForceUpdate: (template.ForceUpdate ?? 0) + 1 } } : {}),
    };
    try {
      await new Promise<void>((resolve, reject) =>
        engine.modem.dial(
          {
            path: `/services/${serviceId}/update?`,
            method: 'POST',
            options: { _query: { version: svc.Version.Index }, _body: spec },
            statusCodes: { 200: true, 404: 'no such service', 500: 'server error', 503: 'not a manager' },
          },
          (err: unknown) => (err ? reject(err) : resolve()),
        ),
      );
      return;
    } catch (error) {
      // a concurrent update moved the version on (`update out of sequence`): read it again
      if ((error as { statusCode?: number }).statusCode === 404) return;
    }
  }
}

/**
 * Wait until the service has no live task. Once Swarm has marked a task for removal, a container of
 * it on this engine is stopped right away (Swarm's own stop takes ~5 s to get there); on other nodes
 * Swarm stops it.
 */
async function waitGone(
  engine: Docker,
  serviceId: string,
  graceMs = 10_000,
  /** enough that the containers here have stopped (Swarm reports it ~3 s later) */
  stoppedOnly = false,
): Promise<void> {
  const deadline = Date.now() + GONE_MS + graceMs;
  const stopping = new Set<string>();
  let nudged = Date.now();
  // Swarm creates a new job's task a moment after the service: "no task yet" means nothing only once
  // the service is a few seconds old.
  const created = await engine
    .getService(serviceId)
    .inspect()
    .then(
      (s: { CreatedAt?: string }) => Date.parse(s.CreatedAt ?? ''),
      () => 0,
    );
  while (Date.now() < deadline) {
    const tasks = (await engine.listTasks({ filters: { service: [serviceId] } }).catch(() => [])) as Array<{
      ID: string;
      Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
      DesiredState?: string;
    }>;
    // Tasks that ended on their own (failed, rejected) stay listed on Docker 20.10; they run nothing.
    const live = tasks.filter((t) => !isTerminal(t.Status?.State ?? '') || t.DesiredState === 'running');
    if (live.length === 0 && (tasks.length > 0 || !(Date.now() - created < 3000))) return;
    if (live.some((t) => t.DesiredState !== 'remove') && Date.now() - nudged > 1500) {
      nudged = Date.now();
      await endJob(engine, serviceId, true);
    }
    if (stoppedOnly && live.every((t) => t.DesiredState === 'remove')) {
      const running = await Promise.all(
        live.map(async (t) => {
          const id = t.Status?.ContainerStatus?.ContainerID;
          if (!id) return t.Status?.State === 'running';
          const info = await engine
            .getContainer(id)
            .inspect()
            .catch(() => undefined);
          // not on this engine: trust Swarm's state
          return info ? info.State.Running : t.Status?.State === 'running';
        }),
      );
      if (!running.includes(true)) return;
    }
    for (const t of live) {
      const id = t.Status?.ContainerStatus?.ContainerID;
      if (t.DesiredState !== 'remove' || !id || stopping.has(id)) continue;
      stopping.add(id);
      void engine
        .getContainer(id)
        .stop({ t: Math.ceil(graceMs / 1000) })
        .catch(() => {}); // on another node, or already stopped
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Remove the service, and the containers of tasks that ended on their own if they are on this engine. */
async function removeService(engine: Docker, serviceId: string, tasks: string[]): Promise<void> {
  await engine
    .getService(serviceId)
    .remove()
    .catch(() => {});
  for (const task of tasks) {
    const containers = await engine
      .listContainers({ all: true, filters: { label: [`com.docker.swarm.task.id=${task}`] } })
      .catch(() => []);
    for (const c of containers)
      await engine
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {});
  }
}

async function catchUp(
  engine: Docker,
  serviceId: string,
  task: string,
  seen: { stdout: number; stderr: number },
  onOutput: OutputSink,
  marker: Buffer,
): Promise<void> {
  let stream: IncomingMessage;
  try {
    stream = await serviceLogs(engine, serviceId, false);
  } catch {
    return;
  }
  const offset = { stdout: 0, stderr: 0 };
  const reader = new FrameReader((s, t, bytes) => {
    if (t !== task) return;
    const start = offset[s];
    offset[s] += bytes.length;
    if (offset[s] <= seen[s]) return;
    const from = Math.max(0, seen[s] - start);
    seen[s] = offset[s];
    if (s === 'stderr' && bytes.subarray(0, marker.length).equals(marker)) return;
    onOutput(s, bytes.subarray(from));
  });
  await new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => reader.push(chunk));
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

interface ServiceInfo {
  ID: string;
  CreatedAt: string;
  Spec: {
    Labels?: Record<string, string>;
    TaskTemplate?: { ContainerSpec?: { StopGracePeriod?: number } };
  };
}

async function coordinatorServices(engine: Docker, stateDir: string): Promise<ServiceInfo[]> {
  return (await engine.listServices({
    filters: { label: [`${LABEL_COORDINATOR}=${coordinatorId(stateDir)}`] },
  })) as ServiceInfo[];
}

export const swarmBackend: Backend = {
  name: 'swarm',
  inContainer: true,
  start: startSwarm,
  async findLive({ stateDir }) {
    const engine = await docker();
    return (await coordinatorServices(engine, stateDir)).map(
      (s): LiveRun => ({
        backend: 'swarm',
        runId: s.Spec.Labels?.[LABEL_RUN] ?? '',
        agent: s.Spec.Labels?.[LABEL_AGENT] ?? '',
        ref: s.ID,
        state: 'service',
        createdAt: s.CreatedAt,
      }),
    );
  },
  async follow(run, onOutput) {
    const engine = await docker();
    const spec = ((await engine.getService(run.ref).inspect()) as ServiceInfo).Spec;
    const graceNs = spec.TaskTemplate?.ContainerSpec?.StopGracePeriod ?? 10e9;
    const coordinator = spec.Labels?.[LABEL_COORDINATOR] ?? '';
    return followService(engine, run.ref, run.runId, coordinator, onOutput, undefined, '', graceNs / 1e6);
  },
  async abandon(run) {
    if (!run.ref) return 'the coordinator restarted and the run service was no longer there';
    const engine = await docker();
    try {
      await engine.getService(run.ref).inspect();
    } catch {
      return 'the coordinator restarted and the run service was no longer there';
    }
    await endJob(engine, run.ref);
    await waitGone(engine, run.ref);
    await removeService(engine, run.ref, []);
    return `the coordinator restarted and could not follow this run's service ${run.ref}; it was stopped and removed`;
  },
  settle: settleSwarm,
  async cleanup({ stateDir, openRunIds }) {
    const engine = await docker();
    const notes: string[] = [];
    for (const s of await coordinatorServices(engine, stateDir)) {
      const runId = s.Spec.Labels?.[LABEL_RUN] ?? '';
      if (openRunIds.has(runId)) continue;
      // The coordinator's record says this run is over (or never was): a repeated or rescheduled job.
      await endJob(engine, s.ID);
      await waitGone(engine, s.ID);
      await removeService(engine, s.ID, []);
      notes.push(
        `removed swarm service ${s.ID} for run ${runId}: the run is already recorded as finished, so it is a repeated start and not counted`,
      );
    }
    const coordinator = coordinatorId(stateDir);
    for (const name of await serialized(() => removeUnusedSecrets(engine, coordinator)))
      notes.push(`removed unused swarm secret ${name}`);
    return notes;
  },
};
