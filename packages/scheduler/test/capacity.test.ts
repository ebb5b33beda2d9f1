// The load estimate behind `habitat up`'s warning: fires from the schedules, run time from median durations.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentConfig } from '@habitat/config';
import { testAgent } from '@habitat/testkit';
import { expect, test } from 'vitest';
import { capacityWarning, checkCapacity, estimateCapacity } from '../src/capacity.js';
import { openStore } from '../src/store.js';

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

test("checkCapacity reads each agent's newest 20 finished runs from a real store", () => {
  const store = openStore(mkdtempSync(path.join(tmpdir(), 'habitat-capacity-')));
  try {
    let n = 0;
    const finished = (agent: string, durationMs: number) => {
      const id = `01RUN${String(n++).padStart(6, '0')}`;
      store.insertRun({ id, agent, trigger: 'schedule', status: 'queued', queued_at: n });
      store.finishRun(id, { status: 'succeeded', durationMs, exitCode: 0 });
    };
    // slow long ago, fast lately: the estimate follows the newest runs
    for (let i = 0; i < 30; i++) finished('a0', 60_000);
    for (let i = 0; i < 20; i++) finished('a0', 1000);
    store.insertRun({ id: '01RUNOPEN', agent: 'a1', trigger: 'schedule', status: 'queued', queued_at: n });
    const agents = fleet(2, { kind: 'every', everyMs: 10_000, jitterMs: 0 });
    const { estimate, warning } = checkCapacity(store, agents, 1, now);
    expect(estimate).toMatchObject({ firesPerHour: 720, runSecondsPerHour: 360, agentsWithoutHistory: 1 });
    expect(warning).toBeUndefined();
    for (let i = 0; i < 20; i++) finished('a0', 20_000);
    expect(checkCapacity(store, agents, 1, now).warning).toMatch(/2\.0x what maxConcurrentRuns 1 can run/);
  } finally {
    store.close();
  }
});
