// In-process daemon with a stand-in launcher: a rate limit tied to a shared credential holds every agent using it.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentConfig } from '@habitat/config';
import type { RunHandle, RunResult, StartRunOptions } from '@habitat/runner';
import { expect, test } from 'vitest';
import { startDaemon } from '../src/index.js';

test('an account-level rate limit pauses every agent sharing the credential until it resets', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'habitat-cred-'));
  mkdirSync(path.join(root, 'agents'));
  process.env.HABITAT_TEST_SHARED_KEY = 'shared-key-value';
  const cred = 'credentials: [{ name: claude, env: HABITAT_TEST_SHARED_KEY }]\n';
  writeFileSync(
    path.join(root, 'agents', 'first.yaml'),
    `run: { command: ["true"] }\nschedule: { every: 1h }\n${cred}`,
  );
  writeFileSync(
    path.join(root, 'agents', 'second.yaml'),
    `run: { command: ["true"] }\nschedule: { every: 1h }\n${cred}`,
  );
  writeFileSync(
    path.join(root, 'agents', 'other.yaml'),
    'run: { command: ["true"] }\nschedule: { every: 1h }\n',
  );
  const resetsAt = new Date(Date.now() + 3_600_000).toISOString();
  const launched: string[] = [];
  // The first agent to run hits the subscription's 5-hour window; everything else succeeds.
  const launch = (agent: AgentConfig, options: StartRunOptions): RunHandle => {
    launched.push(agent.name);
    const now = new Date().toISOString();
    const limited = agent.name === 'first';
    const result: RunResult = {
      runId: options.runId!,
      agent: agent.name,
      trigger: options.trigger ?? 'schedule',
      backend: 'local',
      startedAt: now,
      endedAt: now,
      durationMs: 1,
      exitCode: limited ? 1 : 0,
      signal: null,
      status: limited ? 'rate-limited' : 'succeeded',
      ...(limited ? { wakeAt: resetsAt, wakeReason: 'rate limit (five_hour) resets' } : {}),
      warnings: [],
      logPath: '',
      summary: {
        toolsUsed: {},
        unknownEvents: 0,
        ...(limited
          ? { rateLimit: { status: 'rejected', resetsAt, type: 'five_hour', source: 'event' as const } }
          : {}),
      },
    };
    return {
      runId: result.runId,
      agent,
      events: (async function* () {})(),
      on: () => () => {},
      result: Promise.resolve(result),
      cancel: () => {},
    };
  };
  // One at a time, so `first` finishes (and pauses the credential) before `second` would start.
  writeFileSync(path.join(root, 'habitat.yaml'), 'maxConcurrentRuns: 1\n');
  const daemon = await startDaemon({ root, launch, socket: false, watch: false });
  await new Promise((r) => setTimeout(r, 300));
  await daemon.idle();
  const status = daemon.status();
  const held = daemon.store.history('second', 10);
  await daemon.stop(0);
  expect(held.map((r) => [r.status, r.error])).toEqual([
    ['cancelled', `not started: its credential is paused until ${resetsAt}`],
  ]);
  expect(launched).toEqual(['first', 'other']);
  expect(status.credentialPauses).toEqual([
    { credential: 'env:HABITAT_TEST_SHARED_KEY', until: resetsAt, reason: 'first: five_hour' },
  ]);
  // `second` was already queued when the limit hit: it is not started, and runs no sooner than the reset.
  const second = status.agents.find((a) => a.agent === 'second')!;
  expect(Date.parse(second.nextAt!)).toBeGreaterThanOrEqual(Date.parse(resetsAt));
  expect(second.lastRun).toBeUndefined();
  expect(status.agents.find((a) => a.agent === 'first')!.nextAt).toBe(resetsAt);
});
