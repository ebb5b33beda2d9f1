// A read-only store answers the same whichever SQLite opened it: node:sqlite (where it loads without a warning)
// or better-sqlite3 (HABITAT_SQLITE=better-sqlite3, or an older Node). Real databases written by the daemon's store.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testAgent } from '@habitat/testkit';
import { afterEach, expect, test } from 'vitest';
import { buildStatus, computeStats, openStore } from '../src/index.js';

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
