// A read-only store answers the same whichever SQLite opened it: node:sqlite (where it loads without a warning)
// or better-sqlite3 (HABITAT_SQLITE=better-sqlite3, or an older Node). Real databases written by the daemon's store.
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunResult } from '@habitat/runner';
import { testAgent } from '@habitat/testkit';
import { afterEach, expect, test } from 'vitest';
import { buildStatus, computeStats, openStore, recordForegroundRun } from '../src/index.js';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const nodeSqliteUsed = major > 24 || (major === 24 && minor >= 15);

afterEach(() => {
  delete process.env.HABITAT_SQLITE;
});

function written(): string {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'habitat-sqlite-'));
  const store = openStore(stateDir);
  const t = Date.now();
  for (let i = 0; i < 30; i++) {
    const id = `01RUN${String(i).padStart(4, '0')}`;
    const agent = i % 3 === 0 ? 'a' : 'b';
    store.insertRun({ id, agent, trigger: 'schedule', status: 'queued', queued_at: t - 1000 * (30 - i) });
    store.markStarted(id, t - 1000 * (30 - i), 'local', null);
    if (i < 28)
      store.finishRun(id, {
        status: i % 5 === 0 ? 'failed' : 'succeeded',
        startedAt: new Date(t - 1000 * (30 - i)).toISOString(),
        endedAt: new Date(t - 1000 * (30 - i) + 100 + i).toISOString(),
        durationMs: 100 + i,
        exitCode: i % 5 === 0 ? 1 : 0,
        summary: { costUsd: 0.01 * i } as never,
      });
  }
  store.upsertPlan({
    agent: 'a',
    next_at: t + 60_000,
    next_reason: 'schedule',
    slot_at: t + 60_000,
    paused: 0,
    failures: 0,
    rate_limit_hits: 0,
    last_run_id: '01RUN0027',
  });
  store.skip('b', t - 500, 'running', t - 500);
  store.pauseCredential('env:TOKEN', t + 3_600_000, 'rate limit');
  store.close();
  return stateDir;
}

function readAll(stateDir: string) {
  const store = openStore(stateDir, { readonly: true });
  try {
    const now = Date.now();
    return {
      // better-sqlite3's Database, or the node:sqlite adapter (a plain object)
      engine: store.db.constructor.name === 'Database' ? 'better-sqlite3' : 'node:sqlite',
      readonly: store.db.readonly,
      history: store.history(undefined, 100).map((r) => ({ ...r })),
      historyOfA: store.history('a', 3).map((r) => ({ ...r })),
      stats: computeStats(store),
      statsSince: computeStats(store, { agent: 'b', since: now - 10_000 }),
      skipped: store.skippedSince(now - 3_600_000),
      status: buildStatus({
        store,
        agents: [testAgent({ name: 'a' }), testAgent({ name: 'b' })],
        diagnostics: [],
        root: '/r',
        stateDir,
        daemon: { live: false },
        now,
      }),
    };
  } finally {
    store.close();
  }
}

test.skipIf(!nodeSqliteUsed)(
  'node:sqlite and better-sqlite3 read the same answers from the same state',
  () => {
    const stateDir = written();
    const viaNode = readAll(stateDir);
    process.env.HABITAT_SQLITE = 'better-sqlite3';
    const viaAddon = readAll(stateDir);
    expect(viaNode.history).toHaveLength(30);
    expect(viaNode.skipped).toBe(1);
    expect(viaNode.stats.find((s) => s.agent === 'a')?.runs).toBeGreaterThan(0);
    expect(viaNode.status.credentialPauses).toHaveLength(1);
    expect([viaNode.engine, viaAddon.engine]).toEqual(['node:sqlite', 'better-sqlite3']);
    expect({ ...viaNode, engine: '' }).toEqual({ ...viaAddon, engine: '' });
  },
);

test('a read-only store refuses writes whichever SQLite opened it', () => {
  const stateDir = written();
  for (const engine of ['node', 'better-sqlite3']) {
    if (engine === 'better-sqlite3') process.env.HABITAT_SQLITE = 'better-sqlite3';
    const store = openStore(stateDir, { readonly: true });
    try {
      expect(store.db.readonly).toBe(true);
      expect(() => store.db.exec("DELETE FROM runs WHERE agent = 'a'")).toThrow(/readonly|read-only/i);
    } finally {
      store.close();
    }
  }
});

test.skipIf(!nodeSqliteUsed)(
  'a foreground run recorded through node:sqlite (the lean writer) leaves the state better-sqlite3 leaves',
  () => {
    const agent = testAgent({ name: 'a' });
    const now = Date.now();
    const result = {
      runId: '01RUN9999',
      agent: 'a',
      trigger: 'manual',
      backend: 'docker',
      status: 'failed',
      startedAt: new Date(now - 2000).toISOString(),
      endedAt: new Date(now - 500).toISOString(),
      durationMs: 1500,
      exitCode: 3,
      signal: null,
      warnings: [],
      logPath: '/dev/null',
      summary: { toolsUsed: {}, unknownEvents: 0, costUsd: 0.25 },
    } as unknown as RunResult;
    const viaNode = written();
    const viaAddon = mkdtempSync(path.join(tmpdir(), 'habitat-sqlite-'));
    cpSync(viaNode, viaAddon, { recursive: true }); // the same state (its times too) on both sides
    recordForegroundRun(viaNode, agent, result, now);
    process.env.HABITAT_SQLITE = 'better-sqlite3';
    recordForegroundRun(viaAddon, agent, result, now);
    delete process.env.HABITAT_SQLITE;
    const lean = openStore(viaNode, { lean: true });
    try {
      expect(lean.db.constructor.name).not.toBe('Database'); // the adapter, not better-sqlite3's
      expect(lean.run('01RUN9999')).toMatchObject({ status: 'failed', exit_code: 3, backend: 'docker' });
      expect(lean.plan('a')?.last_run_id).toBe('01RUN9999');
      // a transaction that throws leaves nothing; an inner one that throws is undone alone when it is caught
      const queued = (id: string) => ({
        id,
        agent: 'a',
        trigger: 'manual',
        status: 'queued' as const,
        queued_at: now,
      });
      expect(() =>
        lean.transaction(() => {
          lean.insertRun(queued('01RUNX'));
          lean.transaction(() => lean.insertRun(queued('01RUNY')));
          throw new Error('undo');
        }),
      ).toThrow('undo');
      expect([lean.run('01RUNX'), lean.run('01RUNY')]).toEqual([undefined, undefined]);
      lean.transaction(() => {
        lean.insertRun(queued('01RUNX'));
        expect(() =>
          lean.transaction(() => {
            lean.insertRun(queued('01RUNY'));
            throw new Error('inner');
          }),
        ).toThrow('inner');
      });
      expect([lean.run('01RUNX')?.id, lean.run('01RUNY')]).toEqual(['01RUNX', undefined]);
      lean.db.exec("DELETE FROM runs WHERE id = '01RUNX'");
    } finally {
      lean.close();
    }
    const state = (dir: string) => {
      const all = readAll(dir);
      return { ...all, engine: '', status: { ...all.status, stateDir: '' } };
    };
    expect(state(viaNode).history[0]).toMatchObject({ id: '01RUN9999', exit_code: 3, cost_usd: 0.25 });
    expect(state(viaNode)).toEqual(state(viaAddon));
  },
);
