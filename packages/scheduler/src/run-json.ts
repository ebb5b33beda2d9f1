// The run object of habitat's JSON contract (docs/json/run.schema.json): camelCase keys, ISO-8601 times,
// explicit nulls. It lives here, beside the store it maps, so the CLI's `--json` and the HTTP API serve one shape.
import type { RunRow } from './store.js';

/** One run, the same in `history`, `run`, `up --once` and the daemon's events. */
export interface RunJson {
  runId: string;
  agent: string;
  /** schedule | manual | wake | retry | missed | ... */
  trigger: string;
  /** queued | running | succeeded | failed | timed-out | cancelled | error-before-start | lost | skipped */
  status: string;
  backend: string | null;
  queuedAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  /** the agent's own exit code; null when it did not exit by itself (a signal, or it never started) */
  exitCode: number | null;
  /** the signal that ended the agent (SIGTERM, SIGKILL, ...), when one did */
  signal: string | null;
  wakeAt: string | null;
  wakeReason: string | null;
  costUsd: number | null;
  logPath: string | null;
  containerId: string | null;
  /** why habitat could not run it or it failed around the agent (scrubbed) */
  error: string | null;
}

/** An epoch-ms or ISO time as ISO-8601 UTC; null stays null. */
export const iso = (v: number | string | null | undefined): string | null =>
  v === null || v === undefined ? null : new Date(v).toISOString();

/** The signal in a row's stored RunResult (`result`, JSON), if the row carries one. */
function signalOf(r: RunRow & { result?: string | null }): string | null {
  if (typeof r.result !== 'string') return null;
  try {
    const signal = (JSON.parse(r.result) as { signal?: unknown }).signal;
    return typeof signal === 'string' ? signal : null;
  } catch {
    return null;
  }
}

/** A row of the scheduler's store (what `history` reads). */
export function runFromRow(r: RunRow & { result?: string | null }): RunJson {
  return {
    runId: r.id,
    agent: r.agent,
    trigger: r.trigger,
    status: r.status,
    backend: r.backend ?? null,
    queuedAt: iso(r.queued_at),
    startedAt: iso(r.started_at),
    endedAt: iso(r.ended_at),
    durationMs: r.duration_ms ?? null,
    exitCode: r.exit_code ?? null,
    signal: signalOf(r),
    wakeAt: iso(r.wake_at),
    wakeReason: r.wake_reason ?? null,
    costUsd: r.cost_usd ?? null,
    logPath: r.log_path ?? null,
    containerId: r.container_id ?? null,
    error: r.error ?? null,
  };
}
