import type { AgentConfig } from '@habitat/config';
import { testAgent } from '@habitat/testkit';
import { describe, expect, test } from 'vitest';
import { initialPlan, planAfterFire, planAfterRun, slotAfter, slotsBetween } from '../src/plan.js';
import type { PlanRow } from '../src/store.js';

function agent(overrides: Partial<AgentConfig> = {}): AgentConfig {
  return testAgent({
    name: 'a',
    schedule: { kind: 'every', everyMs: 60_000, jitterMs: 0 },
    retry: { max: 2, backoffMs: 10_000, maxBackoffMs: 15_000 },
    rateLimit: { backoffMs: 60_000, maxBackoffMs: 200_000 },
    missed: { policy: 'skip', deadlineMs: 3_600_000 },
    ...overrides,
  });
}

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());
const cron = (expr: string, timezone: string): AgentConfig['schedule'] => ({
  kind: 'cron',
  cron: expr,
  timezone,
  jitterMs: 0,
});

describe('DST', () => {
  test('spring forward: a 02:30 daily job in the gap fires once, at the first valid time', () => {
    // Europe/Berlin jumps 02:00 -> 03:00 on 2026-03-29.
    const a = agent({ schedule: cron('30 2 * * *', 'Europe/Berlin') });
    const slots = slotsBetween(a, Date.parse('2026-03-28T12:00:00Z'), Date.parse('2026-03-30T12:00:00Z'));
    expect(slots.map(iso)).toHaveLength(2);
    expect(iso(slots[0])).toBe('2026-03-29T01:00:00.000Z'); // 03:00 CEST: the gap is not skipped
    expect(iso(slots[1])).toBe('2026-03-30T00:30:00.000Z'); // 02:30 CEST
  });

  test('fall back: a job at 02:30 during the repeated hour fires once, not twice', () => {
    // Europe/Berlin repeats 02:00-03:00 on 2026-10-25.
    const a = agent({ schedule: cron('30 2 * * *', 'Europe/Berlin') });
    const slots = slotsBetween(a, Date.parse('2026-10-24T12:00:00Z'), Date.parse('2026-10-25T12:00:00Z'));
    expect(slots.map(iso)).toEqual(['2026-10-25T00:30:00.000Z']);
  });

  test('an hourly job across fall-back keeps one run per real hour', () => {
    const a = agent({ schedule: cron('0 * * * *', 'Europe/Berlin') });
    const slots = slotsBetween(a, Date.parse('2026-10-24T22:30:00Z'), Date.parse('2026-10-25T03:30:00Z'));
    expect(new Set(slots).size).toBe(slots.length);
    for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBe(3_600_000);
  });
});

describe('planning after a run', () => {
  const now = Date.parse('2026-06-01T12:00:00Z');
  const base = (a: AgentConfig): PlanRow => planAfterFire(a, initialPlan(a, now - 1), now);

  test('a wake request means sleep until: the next run is exactly at it, not at the schedule', () => {
    const a = agent();
    const wakeAt = new Date(now + 46 * 60_000).toISOString();
    const { plan, wake } = planAfterRun(
      a,
      base(a),
      { runId: 'r', status: 'succeeded', wakeAt, wakeReason: 'x-rate-limit-remaining: 3' },
      now,
    );
    expect(iso(plan.next_at)).toBe(wakeAt);
    expect(plan.next_reason).toBe('wake');
    expect(wake).toMatchObject({ source: 'agent', reason: 'x-rate-limit-remaining: 3' });
  });

  test('a wake policy of ignore keeps the schedule', () => {
    const a = agent({ wake: { mode: 'ignore', minMs: 0, maxMs: 0 } });
    const { plan } = planAfterRun(
      a,
      base(a),
      { runId: 'r', status: 'succeeded', wakeAt: new Date(now + 3_600_000).toISOString() },
      now,
    );
    expect(plan.next_reason).toBe('schedule');
    expect(plan.next_at).toBe(now + 60_000);
  });

  test('rate limits without a reset time back off exponentially, capped', () => {
    const a = agent();
    let plan = base(a);
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      plan = planAfterRun(a, plan, { runId: `r${i}`, status: 'rate-limited' }, now).plan;
      waits.push(plan.next_at! - now);
    }
    expect(waits).toEqual([60_000, 120_000, 200_000, 200_000]);
    expect(planAfterRun(a, plan, { runId: 'ok', status: 'succeeded' }, now).plan.rate_limit_hits).toBe(0);
  });

  test('failures retry with back-off, at most retry.max times, then the schedule resumes', () => {
    const a = agent({ schedule: { kind: 'every', everyMs: 3_600_000, jitterMs: 0 } });
    let plan = base(a);
    const reasons: string[] = [];
    for (let i = 0; i < 3; i++) {
      plan = planAfterRun(a, plan, { runId: `r${i}`, status: 'failed' }, now).plan;
      reasons.push(`${plan.next_reason}+${(plan.next_at! - now) / 1000}s`);
    }
    expect(reasons).toEqual(['retry+10s', 'retry+15s', 'schedule+3600s']);
  });

  test('firing moves the plan to the following slot at once (a crash cannot fire the same slot twice)', () => {
    const a = agent({ schedule: cron('*/5 * * * *', 'UTC') });
    const plan = initialPlan(a, Date.parse('2026-06-01T12:01:00Z'));
    expect(iso(plan.slot_at)).toBe('2026-06-01T12:05:00.000Z');
    const moved = planAfterFire(a, plan, plan.next_at!);
    expect(iso(moved.slot_at)).toBe('2026-06-01T12:10:00.000Z');
  });

  test('jitter delays a slot deterministically, within its bound', () => {
    const a = agent({ schedule: { kind: 'cron', cron: '0 * * * *', timezone: 'UTC', jitterMs: 120_000 } });
    const s1 = slotAfter(a, now)!;
    const s2 = slotAfter(a, now)!;
    expect(s1).toEqual(s2);
    expect(s1.fireAt - s1.slotAt).toBeGreaterThanOrEqual(0);
    expect(s1.fireAt - s1.slotAt).toBeLessThan(120_000);
  });
});
