// Pure planning: when each agent runs next, from its schedule, its wake requests and how its last run ended.
import { type AgentConfig, jitterFor, nextFireTime } from '@habitat/config';
import type { RunResult } from '@habitat/runner';
import type { PlanRow } from './store.js';

export type NextReason = 'schedule' | 'wake' | 'retry' | 'rate-limit' | 'missed' | 'first' | 'manual';

/** The next schedule slot strictly after `after` (epoch ms), and when it fires (slot + jitter). */
export function slotAfter(agent: AgentConfig, after: number): { slotAt: number; fireAt: number } | undefined {
  const next = nextFireTime(agent.schedule, new Date(after));
  if (!next) return undefined;
  const jitterMs = agent.schedule.kind === 'manual' ? 0 : agent.schedule.jitterMs;
  return { slotAt: next.getTime(), fireAt: next.getTime() + jitterFor(agent.name, next, jitterMs) };
}

/** Schedule slots in (from, to], at most `limit` of them (a long downtime of a 1s schedule is many). */
export function slotsBetween(agent: AgentConfig, from: number, to: number, limit = 1000): number[] {
  const slots: number[] = [];
  let cursor = from;
  while (slots.length < limit) {
    const next = slotAfter(agent, cursor);
    if (!next || next.slotAt > to) break;
    slots.push(next.slotAt);
    cursor = next.slotAt;
  }
  return slots;
}

/** A fresh plan for an agent the daemon has not planned before. `every` agents run once at first sight. */
export function initialPlan(agent: AgentConfig, now: number): PlanRow {
  const base: PlanRow = {
    agent: agent.name,
    next_at: null,
    next_reason: 'manual',
    slot_at: null,
    paused: 0,
    failures: 0,
    rate_limit_hits: 0,
    last_run_id: null,
  };
  if (agent.schedule.kind === 'every') return { ...base, next_at: now, next_reason: 'first' };
  const slot = slotAfter(agent, now);
  return slot ? { ...base, next_at: slot.fireAt, next_reason: 'schedule', slot_at: slot.slotAt } : base;
}

/** After firing: the plan moves on at once, so a crash after this point can never fire the same slot twice. */
export function planAfterFire(agent: AgentConfig, plan: PlanRow, firedAt: number): PlanRow {
  const from =
    plan.next_reason === 'schedule' && plan.slot_at !== null ? Math.max(plan.slot_at, firedAt - 1) : firedAt;
  const slot = slotAfter(agent, from);
  return slot
    ? { ...plan, next_at: slot.fireAt, next_reason: 'schedule', slot_at: slot.slotAt }
    : { ...plan, next_at: null, next_reason: 'manual', slot_at: null };
}

export interface Wake {
  at: number;
  reason: string;
  source: 'agent' | 'rate-limit' | 'credential';
}

const FAILED = new Set(['failed', 'timed-out', 'error-before-start', 'lost']);

/**
 * After a run ends: a wake request means "sleep until" (no scheduled run before it, one run at it); a
 * rate limit without one backs off exponentially (capped); a failure retries with back-off, bounded.
 */
export function planAfterRun(
  agent: AgentConfig,
  plan: PlanRow,
  result: Pick<RunResult, 'status' | 'wakeAt' | 'wakeReason' | 'runId'>,
  now: number,
): { plan: PlanRow; wake?: Wake } {
  const failures = FAILED.has(result.status) ? plan.failures + 1 : 0;
  const hits = result.status === 'rate-limited' ? plan.rate_limit_hits + 1 : 0;
  const next: PlanRow = { ...plan, failures, rate_limit_hits: hits, last_run_id: result.runId };
  const scheduled =
    plan.next_reason === 'schedule' && plan.next_at !== null && plan.next_at > now
      ? { fireAt: plan.next_at, slotAt: plan.slot_at ?? plan.next_at }
      : slotAfter(agent, now);
  const atSchedule = (): PlanRow =>
    scheduled
      ? { ...next, next_at: scheduled.fireAt, next_reason: 'schedule', slot_at: scheduled.slotAt }
      : { ...next, next_at: null, next_reason: 'manual', slot_at: null };

  // An unparsable time (a rate limit's resetsAt comes from the agent's own output) is no wake request.
  const wakeAt = result.wakeAt ? Date.parse(result.wakeAt) : Number.NaN;
  if (Number.isFinite(wakeAt) && agent.wake.mode === 'agent') {
    const at = wakeAt;
    const source =
      result.status === 'rate-limited' && !/requested/.test(result.wakeReason ?? '') ? 'rate-limit' : 'agent';
    return {
      plan: {
        ...next,
        next_at: at,
        next_reason: source === 'rate-limit' ? 'rate-limit' : 'wake',
        slot_at: null,
      },
      wake: { at, reason: result.wakeReason ?? 'requested by the agent', source },
    };
  }
  if (result.status === 'rate-limited') {
    const backoff = Math.min(agent.rateLimit.backoffMs * 2 ** (hits - 1), agent.rateLimit.maxBackoffMs);
    const at = now + backoff;
    return {
      plan: { ...next, next_at: at, next_reason: 'rate-limit', slot_at: null },
      wake: {
        at,
        reason: `rate limited ${hits}x: backing off ${Math.round(backoff / 1000)}s`,
        source: 'rate-limit',
      },
    };
  }
  if (failures > 0 && failures <= agent.retry.max) {
    const at = now + Math.min(agent.retry.backoffMs * 2 ** (failures - 1), agent.retry.maxBackoffMs);
    if (!scheduled || at < scheduled.fireAt)
      return { plan: { ...next, next_at: at, next_reason: 'retry', slot_at: null } };
  }
  return { plan: atSchedule() };
}

/** Credentials as keys shared across agents: the same file or variable is the same account. */
export function credentialKeys(agent: AgentConfig): string[] {
  return agent.credentials.map((c) =>
    c.source.kind === 'file' ? `file:${c.source.path}` : `env:${c.source.variable}`,
  );
}

/** Is a rate limit tied to the account (a Claude subscription's 5-hour or weekly window) rather than the run? */
export function isAccountLimit(result: Pick<RunResult, 'status' | 'summary'>): boolean {
  if (result.status !== 'rate-limited') return false;
  const limit = result.summary?.rateLimit;
  return Boolean(
    limit?.resetsAt &&
      (limit.type ? /hour|day|week|seven|five/i.test(limit.type) : limit.source !== 'api-error'),
  );
}
