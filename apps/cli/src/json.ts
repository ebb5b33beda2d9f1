// The `--json` contract (docs/json/): camelCase keys, ISO-8601 times in UTC, explicit nulls (a key is never
// left out), and one run object wherever a run appears. Library shapes (SQLite rows, RunResult, the status
// report) are mapped here, so they may change without breaking scripts; the schemas in docs/json/ are
// generated from test/contract.ts and checked against these types and real output.
import type { Diagnostic } from '@habitat/config';
import type { RunResult } from '@habitat/runner';
import type { AgentState, AgentStats, NextRun, StatusReport } from '@habitat/scheduler';
// Imported, then exported: the CLI bundle splits `import { … } from '@habitat/x'` into the modules named, and
// would load the whole scheduler for an `export … from` of its index.
import { iso, type RunJson, runFromRow } from '@habitat/scheduler';

export { type RunJson, runFromRow };

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
  /** slots skipped in the last hour because the agent's previous run was still queued or running */
  skippedLastHour: number;
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
    skippedLastHour: s.skippedLastHour,
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
