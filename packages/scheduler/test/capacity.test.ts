// The load estimate behind `habitat up`'s warning: fires from the schedules, run time from median durations.
import type { AgentConfig } from '@habitat/config';
import { testAgent } from '@habitat/testkit';
import { expect, test } from 'vitest';
import { capacityWarning, estimateCapacity } from '../src/capacity.js';

const fleet = (n: number, schedule: AgentConfig['schedule']) =>
  Array.from({ length: n }, (_, i) => ({ ...testAgent({ name: `a${i}` }), schedule }) as AgentConfig);
const now = Date.parse('2026-12-01T10:00:00Z');

test('1,000 agents every 10 s at a median of 1 s ask for 100x what 4 concurrent runs give', () => {
  const agents = fleet(1000, { kind: 'every', everyMs: 10_000, jitterMs: 0 });
  const medians = new Map(agents.map((a) => [a.name, 1000]));
  const e = estimateCapacity({ agents, maxConcurrentRuns: 4, medianDurationMs: medians, now });
  expect(e).toMatchObject({
    firesPerHour: 360_000,
    runSecondsPerHour: 360_000,
    capacitySecondsPerHour: 14_400,
  });
  expect(capacityWarning(e)).toMatch(/25\.0x what maxConcurrentRuns 4 can run/);
});

test('cron schedules are counted from their next fires; a fleet that fits gets no warning', () => {
  const agents = fleet(10, { kind: 'cron', cron: '*/5 * * * *', timezone: 'UTC', jitterMs: 0 });
  const medians = new Map(agents.map((a) => [a.name, 60_000]));
  const e = estimateCapacity({ agents, maxConcurrentRuns: 4, medianDurationMs: medians, now });
  expect(e.firesPerHour).toBe(120);
  expect(e.runSecondsPerHour).toBe(7200);
  expect(capacityWarning(e)).toBeUndefined();
});

test('agents without a run history are counted as such, not guessed', () => {
  const agents = fleet(3, { kind: 'every', everyMs: 60_000, jitterMs: 0 });
  const e = estimateCapacity({ agents, maxConcurrentRuns: 1, medianDurationMs: new Map(), now });
  expect(e).toMatchObject({ firesPerHour: 180, runSecondsPerHour: 0, agentsWithoutHistory: 3 });
  expect(capacityWarning(e)).toBeUndefined();
});
