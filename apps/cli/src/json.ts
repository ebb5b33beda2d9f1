// The `--json` contract (docs/json/): camelCase keys, ISO-8601 times in UTC, explicit nulls (a key is never
// left out), and one run object wherever a run appears. Library shapes (SQLite rows, RunResult, the status
// report) are mapped here, so they may change without breaking scripts; the schemas in docs/json/ are
// generated from test/contract.ts and checked against these types and real output.
import type { Diagnostic } from '@habitat/config';
import type { RunResult } from '@habitat/runner';
import type { AgentState, AgentStats, NextRun, RunRow, StatusReport } from '@habitat/scheduler';

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

const iso = (v: number | string | null | undefined): string | null =>
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

/** A finished run as the runner reports it (`run`, `up --once`). */
export function runFromResult(r: RunResult, queuedAt?: string): RunJson {
  return {
    runId: r.runId,
    agent: r.agent,
    trigger: r.trigger,
    status: r.status,
    backend: r.backend ?? null,
    queuedAt: iso(queuedAt),
    startedAt: iso(r.startedAt),
    endedAt: iso(r.endedAt),
    durationMs: r.durationMs ?? null,
    exitCode: r.exitCode ?? null,
    signal: r.signal ?? null,
    wakeAt: iso(r.wakeAt),
    wakeReason: r.wakeReason ?? null,
    costUsd: r.summary?.costUsd ?? null,
    logPath: r.logPath ?? null,
    containerId: r.containerId ?? null,
    error: r.error?.message ?? null,
  };
}

export interface DiagnosticJson {
  code: string;
  severity: 'error' | 'warning';
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
  hint: string | null;
}

export function diagnosticJson(d: Diagnostic): DiagnosticJson {
  return {
    code: d.code,
    severity: d.severity,
    file: d.file,
    line: d.line,
    column: d.column,
    path: d.path,
    message: d.message,
    hint: d.hint ?? null,
  };
}

export interface AgentStatusJson {
  agent: string;
  state: AgentState;
  schedule: string;
  backend: string;
  nextAt: string | null;
  nextReason: string | null;
  sleepReason: string | null;
  running: { runId: string; startedAt: string | null; trigger: string } | null;
  lastRun: {
    runId: string;
    status: string;
    exitCode: number | null;
    durationMs: number | null;
    endedAt: string | null;
  } | null;
  costToday: number;
}

export interface StatusJson {
  daemon: { live: boolean; pid: number | null; startedAt: string | null };
  root: string;
  stateDir: string;
  agents: AgentStatusJson[];
  running: number;
  queued: number;
  diagnostics: DiagnosticJson[];
  credentialPauses: { credential: string; until: string; reason: string | null }[];
}

export function statusJson(s: StatusReport): StatusJson {
  return {
    daemon: { live: s.daemon.live, pid: s.daemon.pid ?? null, startedAt: iso(s.daemon.startedAt) },
    root: s.root,
    stateDir: s.stateDir,
    agents: s.agents.map((a) => ({
      agent: a.agent,
      state: a.state,
      schedule: a.schedule,
      backend: a.backend,
      nextAt: iso(a.nextAt),
      nextReason: a.nextReason ?? null,
      sleepReason: a.sleepReason ?? null,
      running: a.running
        ? { runId: a.running.runId, startedAt: iso(a.running.startedAt), trigger: a.running.trigger }
        : null,
      lastRun: a.lastRun
        ? {
            runId: a.lastRun.runId,
            status: a.lastRun.status,
            exitCode: a.lastRun.exitCode ?? null,
            durationMs: a.lastRun.durationMs ?? null,
            endedAt: iso(a.lastRun.endedAt),
          }
        : null,
      costToday: a.costToday,
    })),
    running: s.running,
    queued: s.queued,
    diagnostics: s.diagnostics.map(diagnosticJson),
    credentialPauses: (s.credentialPauses ?? []).map((p) => ({
      credential: p.credential,
      until: iso(p.until) ?? p.until,
      reason: p.reason ?? null,
    })),
  };
}

export interface NextJson {
  agent: string;
  nextAt: string;
  reason: string | null;
  state: string;
}

export function nextJson(n: NextRun): NextJson {
  return { agent: n.agent, nextAt: iso(n.nextAt) ?? n.nextAt, reason: n.reason ?? null, state: n.state };
}

export interface StatsJson {
  agent: string;
  runs: number;
  succeeded: number;
  successRate: number;
  p50DurationMs: number | null;
  p95DurationMs: number | null;
  rateLimitHits: number;
  sleptMs: number;
  costUsd: number;
  failures: Record<string, number>;
}

export function statsJson(s: AgentStats): StatsJson {
  return {
    agent: s.agent,
    runs: s.runs,
    succeeded: s.succeeded,
    successRate: s.successRate,
    p50DurationMs: s.p50DurationMs ?? null,
    p95DurationMs: s.p95DurationMs ?? null,
    rateLimitHits: s.rateLimitHits,
    sleptMs: s.sleptMs,
    costUsd: s.costUsd,
    failures: s.failures,
  };
}

/** One agent in `habitat list`. */
export interface AgentJson {
  name: string;
  file: string;
  schedule: string;
  /** the daemon's plan when it has one, else the schedule's next fire time; null for manual agents */
  next: string | null;
  /** where `next` comes from: `plan` (the daemon's) or `schedule` */
  nextSource: 'plan' | 'schedule' | null;
  backend: string;
  run: string;
  /** names only, never values */
  credentials: string[];
}

export interface ValidateJson {
  valid: boolean;
  agents: string[];
  diagnostics: DiagnosticJson[];
}
