// One poller for the tasks of every swarm run this process follows: a single `GET /tasks` per tick,
// whatever the number of runs (Swarm has no task events; 50 runs must not mean 50 pollers).
import type Docker from 'dockerode';

export interface SwarmTask {
  id: string;
  serviceId: string;
  createdAt: string;
  state: string;
  desiredState: string;
  err?: string;
  /** set once the task had a container */
  exitCode?: number;
}

interface RawTask {
  ID: string;
  ServiceID: string;
  CreatedAt: string;
  DesiredState: string;
  Status?: { State?: string; Err?: string; ContainerStatus?: { ContainerID?: string; ExitCode?: number } };
}

/** How often the tasks are read while any run is followed. */
const POLL_MS = 100;

interface Watcher {
  latest?: SwarmTask[];
  wake?: () => void;
  closed: boolean;
}

const watchers = new Map<string, Set<Watcher>>();
/** a poll is scheduled (one chain of polls for all watchers) */
let scheduled = false;
let engineOf: Docker | undefined;

function toTask(t: RawTask): SwarmTask {
  const cs = t.Status?.ContainerStatus;
  return {
    id: t.ID,
    serviceId: t.ServiceID,
    createdAt: t.CreatedAt,
    state: t.Status?.State ?? 'new',
    desiredState: t.DesiredState,
    ...(t.Status?.Err ? { err: t.Status.Err } : {}),
    ...(cs?.ContainerID && cs.ExitCode !== undefined ? { exitCode: cs.ExitCode } : {}),
  };
}

async function poll(): Promise<void> {
  scheduled = false;
  const ids = [...watchers.keys()];
  if (ids.length === 0 || !engineOf) return;
  try {
    const raw = (await engineOf.listTasks({ filters: { service: ids } })) as RawTask[];
    const byService = new Map<string, SwarmTask[]>(ids.map((id) => [id, []]));
    for (const t of raw) byService.get(t.ServiceID)?.push(toTask(t));
    for (const [id, tasks] of byService) {
      for (const w of watchers.get(id) ?? []) {
        w.latest = tasks;
        w.wake?.();
      }
    }
  } catch {
    // the engine hiccuped: the next tick tries again
  }
  if (watchers.size > 0 && !scheduled) {
    scheduled = true;
    setTimeout(() => void poll(), POLL_MS);
  }
}

/** The tasks of a service, as they change (each step yields the latest full list). */
export function watchTasks(
  engine: Docker,
  serviceId: string,
): AsyncIterable<SwarmTask[]> & { close(): void } {
  engineOf = engine;
  const w: Watcher = { closed: false };
  const set = watchers.get(serviceId) ?? new Set<Watcher>();
  watchers.set(serviceId, set);
  set.add(w);
  if (!scheduled) {
    scheduled = true;
    setTimeout(() => void poll(), 0);
  }
  const close = () => {
    w.closed = true;
    set.delete(w);
    if (set.size === 0) watchers.delete(serviceId);
    w.wake?.();
  };
  return {
    close,
    async *[Symbol.asyncIterator]() {
      try {
        while (!w.closed) {
          if (!w.latest) await new Promise<void>((r) => (w.wake = r));
          w.wake = undefined;
          const latest = w.latest;
          w.latest = undefined;
          if (latest) yield latest;
        }
      } finally {
        close();
      }
    },
  };
}
