// The registry of backends by `isolation.backend` name, and the one place that drives a run on any of
// them (timeout and cancel are the same for all: the backend only knows how to stop).
import type { Backend, BackendExit, BackendName, BackendStarted, OutputSink, RunSpec } from './backend.js';
import { dockerBackend } from './docker.js';
import { RunError } from './errors.js';
import { localBackend } from './local.js';
import { swarmBackend } from './swarm.js';

const registry = new Map<string, Backend>([
  [localBackend.name, localBackend],
  [dockerBackend.name, dockerBackend],
  [swarmBackend.name, swarmBackend],
]);

/** Add (or replace) a backend: how a new isolation kind plugs in. */
export function registerBackend(backend: Backend): void {
  registry.set(backend.name, backend);
}

/** The backend for an `isolation.backend` name (or a run record's `backend`). */
export function backendFor(name: BackendName | string | null | undefined): Backend {
  const backend = registry.get(name ?? 'local');
  if (!backend)
    throw new RunError(
      'spawn-failed',
      `no backend "${name}" (known: ${[...registry.keys()].join(', ')}); check isolation.backend`,
    );
  return backend;
}

/** Every registered backend. */
export function allBackends(): Backend[] {
  return [...registry.values()];
}

/**
 * Start `spec` on `backend`, stop it on timeout or abort, and resolve with how it ended. The first of
 * timeout and cancel decides the status.
 */
export async function driveRun(
  backend: Backend,
  spec: RunSpec,
  signal: AbortSignal,
  onOutput: OutputSink,
  onStart: (started: BackendStarted) => void,
): Promise<BackendExit> {
  const run = await backend.start(spec, onOutput);
  onStart(run.started);
  let stopped: 'timeout' | 'cancel' | undefined;
  const stop = (why: 'timeout' | 'cancel') => {
    if (stopped) return;
    stopped = why;
    run.stop(why);
  };
  const onAbort = () => stop('cancel');
  const timer = spec.timeoutMs > 0 ? setTimeout(() => stop('timeout'), spec.timeoutMs) : undefined;
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    const exit = await run.exit;
    return { ...exit, timedOut: stopped === 'timeout', cancelled: stopped === 'cancel' };
  } finally {
    if (timer) clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}
