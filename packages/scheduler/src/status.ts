// What `habitat status`, `next` and `stats` show: derived from the store (and the daemon's live view).
import { type AgentConfig, type Diagnostic, describeSchedule } from '@habitat/config';
import { initialPlan } from './plan.js';
import type { RunRow, Store } from './store.js';

export type AgentState = 'idle' | 'running' | 'queued' | 'sleeping' | 'paused' | 'failed';

export interface AgentStatus {
  agent: string;
  state: AgentState;
  schedule: string;
  backend: string;
  /** ISO: the next fire time, if any */
  nextAt?: string;
  /** why that time: schedule | wake | retry | rate-limit | missed | first */
  nextReason?: string;
  /** for sleeping agents: the agent's own reason, or the rate limit */
  sleepReason?: string;
  running?: { runId: string; startedAt?: string; trigger: string };
  lastRun?: {
    runId: string;
    status: string;
    exitCode: number | null;
    durationMs: number | null;
    endedAt?: string;
  };
  costToday: number;
}

export interface StatusReport {
  /** `problem`: why the daemon is not starting runs (e.g. the disk is full) */
  daemon: { live: boolean; pid?: number; startedAt?: string; problem?: string };
  root: string;
  stateDir: string;
  agents: AgentStatus[];
  running: number;
  queued: number;
  /** slots agents skipped in the last hour because their previous run was still queued or running */
  skippedLastHour: number;
  diagnostics: Diagnostic[];
  credentialPauses: { credential: string; until: string; reason: string | null }[];
}

const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? undefined : new Date(ms).toISOString();
const FAILED = new Set(['failed', 'timed-out', 'error-before-start', 'lost']);

export function startOfDay(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function buildStatus(input: {
  store: Store;
  agents: AgentConfig[];
  diagnostics: Diagnostic[];
  root: string;
  stateDir: string;
  daemon: StatusReport['daemon'];
  now: number;
}): StatusReport {
  const { store, now } = input;
  const plans = new Map(store.plans().map((p) => [p.agent, p]));
  const wakes = new Map(store.wakes().map((w) => [w.agent, w]));
  const open = store.openRuns();
  const openBy = new Map<string, RunRow>();
  for (const r of open) if (!openBy.has(r.agent) || r.status === 'running') openBy.set(r.agent, r);
  const last = new Map(store.lastRuns().map((r) => [r.agent, r]));
  const cost = store.costSince(startOfDay(now));
  const agents = input.agents.map((agent): AgentStatus => {
    // Not planned yet (the daemon has not seen it): what the daemon will plan at first sight, so status, next
    // and list agree (an `every` agent is due now, not "-").
    const plan = plans.get(agent.name) ?? initialPlan(agent, now);
    const wake = wakes.get(agent.name);
    const run = openBy.get(agent.name);
    const lastRun = last.get(agent.name);
    let state: AgentState = 'idle';
    if (run) state = run.status === 'running' ? 'running' : 'queued';
    else if (plan?.paused) state = 'paused';
    else if (
      plan &&
      (plan.next_reason === 'wake' || plan.next_reason === 'rate-limit') &&
      (plan.next_at ?? 0) > now
    )
      state = 'sleeping';
    else if (lastRun && FAILED.has(lastRun.status)) state = 'failed';
    return {
      agent: agent.name,
      state,
      schedule: describeSchedule(agent.schedule),
      backend: agent.isolation.backend,
      ...(plan?.next_at != null ? { nextAt: iso(plan.next_at), nextReason: plan.next_reason } : {}),
      ...(state === 'sleeping' && wake
        ? {
            sleepReason:
              `${wake.source === 'agent' ? 'own request' : wake.source}: ${wake.reason ?? ''}`.trim(),
          }
        : {}),
      ...(run
        ? {
            running: {
              runId: run.id,
              ...(run.started_at ? { startedAt: iso(run.started_at) } : {}),
              trigger: run.trigger,
            },
          }
        : {}),
      ...(lastRun
        ? {
            lastRun: {
              runId: lastRun.id,
              status: lastRun.status,
              exitCode: lastRun.exit_code,
              durationMs: lastRun.duration_ms,
              ...(lastRun.ended_at ? { endedAt: iso(lastRun.ended_at) } : {}),
            },
          }
        : {}),
      costToday: cost.get(agent.name) ?? 0,
    };
  });
  return {
    daemon: input.daemon,
    root: input.root,
    stateDir: input.stateDir,
    agents,
    running: open.filter((r) => r.status === 'running').length,
    queued: open.filter((r) => r.status === 'queued').length,
    skippedLastHour: store.skippedSince(now - 3_600_000),
    diagnostics: input.diagnostics,
    credentialPauses: store
      .credentialPauses()
      .filter((p) => p.until > now)
      .map((p) => ({ credential: p.credential, until: new Date(p.until).toISOString(), reason: p.reason })),
  };
}

export interface AgentStats {
  agent: string;
  runs: number;
  succeeded: number;
  successRate: number;
  p50DurationMs: number | null;
  p95DurationMs: number | null;
  rateLimitHits: number;
  /** total time between a run's end and the wake-up it asked for (or its rate limit imposed) */
  sleptMs: number;
  costUsd: number;
  failures: Record<string, number>;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The run records as a dataset: per agent, over finished runs (optionally since a time). */
export function computeStats(store: Store, options: { agent?: string; since?: number } = {}): AgentStats[] {
  const rows = store.db
    .prepare(
      `SELECT agent, status, duration_ms, cost_usd, wake_at, ended_at FROM runs
       WHERE status NOT IN ('queued', 'running') AND (@agent IS NULL OR agent = @agent) AND (@since IS NULL OR queued_at >= @since)`,
    )
    .all({ agent: options.agent ?? null, since: options.since ?? null }) as {
    agent: string;
    status: string;
    duration_ms: number | null;
    cost_usd: number | null;
    wake_at: number | null;
    ended_at: number | null;
  }[];
  const by = new Map<string, typeof rows>();
  for (const r of rows) {
    // push, not a copy per row: copying made this quadratic in an agent's run count
    const list = by.get(r.agent);
    if (list) list.push(r);
    else by.set(r.agent, [r]);
  }
  return [...by.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([agent, list]) => {
      const durations = list
        .flatMap((r) => (r.duration_ms === null ? [] : [r.duration_ms]))
        .sort((a, b) => a - b);
      const succeeded = list.filter((r) => r.status === 'succeeded').length;
      const failures: Record<string, number> = {};
      for (const r of list) if (r.status !== 'succeeded') failures[r.status] = (failures[r.status] ?? 0) + 1;
      return {
        agent,
        runs: list.length,
        succeeded,
        successRate: list.length ? succeeded / list.length : 0,
        p50DurationMs: percentile(durations, 50),
        p95DurationMs: percentile(durations, 95),
        rateLimitHits: list.filter((r) => r.status === 'rate-limited').length,
        sleptMs: list.reduce(
          (sum, r) => sum + (r.wake_at && r.ended_at ? Math.max(0, r.wake_at - r.ended_at) : 0),
          0,
        ),
        costUsd: list.reduce((sum, r) => sum + (r.cost_usd ?? 0), 0),
        failures,
      };
    });
}

/** One agent's next run, for `habitat next`. */
export interface NextRun {
  agent: string;
  nextAt: string;
  reason?: string;
  state: AgentState;
}

/** The agents that have a next run, soonest first. */
export function nextRuns(status: Pick<StatusReport, 'agents'>): NextRun[] {
  return status.agents
    .filter((a): a is AgentStatus & { nextAt: string } => a.nextAt !== undefined)
    .sort((a, b) => a.nextAt.localeCompare(b.nextAt))
    .map((a) => ({
      agent: a.agent,
      nextAt: a.nextAt,
      ...(a.nextReason ? { reason: a.nextReason } : {}),
      state: a.state,
    }));
}
