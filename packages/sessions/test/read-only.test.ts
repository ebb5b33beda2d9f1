/**
 * The read-only open (read-only.ts: node:sqlite where it loads quietly) answers as the ordinary better-sqlite3 open
 * does, on the real transcripts and on a generated corpus where every word is common: every query path of
 * query-rank.ts (probes, prefix seeks, the own bm25 over blobs and hex docsizes), stats by every group, listings.
 * And it declines (undefined) whenever the ordinary open would write.
 */
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateCorpus } from '../bench/gen-corpus.js';
import { indexSessions, openSessionIndexIfReady } from '../src/index.js';
import { SessionIndex } from '../src/query.js';
import type { RankTuning } from '../src/query-rank.js';
import { openDatabase } from '../src/store.js';

const real = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'real-sessions', 'claude');
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const quietSqlite = major > 24 || (major === 24 && minor >= 15);
let dir: string;
let realDb: string;
let genDb: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sessions-read-only-'));
  realDb = join(dir, 'real.db');
  indexSessions({ dbPath: realDb, sources: { claude: [real], defaults: false } });
  const corpus = join(dir, 'corpus');
  generateCorpus({ out: corpus, bytes: 2 << 20, files: 8, seed: 11 });
  genDb = join(dir, 'gen.db');
  indexSessions({ dbPath: genDb, sources: { claude: [corpus], defaults: false } });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Plain data (node:sqlite's rows have no prototype; the comparison is of values). */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

const QUERIES = [
  'error',
  'the',
  'docker timeout',
  '"git status"',
  'sess*',
  'te*',
  'file OR test',
  'zzqxv',
  'the and of',
  'container',
];

describe('read-only open', () => {
  test.skipIf(!quietSqlite)('is node:sqlite where it loads quietly', () => {
    const ix = openSessionIndexIfReady(realDb)!;
    try {
      const addon = openDatabase(realDb);
      expect(addon.constructor.name).toBe('Database');
      addon.close();
      expect(ix.db.constructor.name).not.toBe('Database');
    } finally {
      ix.close();
    }
  });

  for (const [name, tuning] of [
    ['defaults', {}],
    // every word "common": the own ranking (blobs, hex docsizes, tf counting) over small windows
    ['own ranking', { exactBelow: 20, window: 60, ftsBudget: 0 }],
    ['FTS5 only', { path: 'fts' }],
  ] as Array<[string, RankTuning]>)
    test(`search, stats and list equal the ordinary open's (${name})`, () => {
      for (const db of [realDb, genDb]) {
        const ro = openSessionIndexIfReady(db)!;
        const rw = openDatabase(db);
        const a = new SessionIndex(ro.db, tuning);
        const b = new SessionIndex(rw, tuning);
        try {
          let hits = 0;
          for (const q of QUERIES)
            for (const sort of ['relevance', 'recent'] as const) {
              const mine = a.search(q, { limit: 15, sort });
              hits += mine.hits.length;
              expect(plain(mine), `${db} ${q} ${sort}`).toEqual(plain(b.search(q, { limit: 15, sort })));
            }
          expect(hits).toBeGreaterThan(100);
          for (const by of ['day', 'project', 'model', 'agent', 'source'] as const)
            expect(plain(a.stats({ by, timezone: 'Asia/Kolkata' })), by).toEqual(
              plain(b.stats({ by, timezone: 'Asia/Kolkata' })),
            );
          expect(plain(a.listSessions({ limit: 1000 }))).toEqual(plain(b.listSessions({ limit: 1000 })));
          expect(a.listSessions({ limit: 1000 }).length).toBeGreaterThan(5);
        } finally {
          ro.close();
          rw.close();
        }
      }
    }, 60_000);

  test('opens with better-sqlite3 where node:sqlite is not used (HABITAT_SQLITE=better-sqlite3): the same answers', () => {
    const viaNode = openSessionIndexIfReady(realDb)!;
    process.env.HABITAT_SQLITE = 'better-sqlite3';
    const viaAddon = openSessionIndexIfReady(realDb)!;
    delete process.env.HABITAT_SQLITE;
    try {
      expect(viaAddon.db.constructor.name).toBe('Database');
      expect(viaAddon.db.readonly).toBe(true);
      expect(plain(viaNode.search('error', { limit: 10 }))).toEqual(
        plain(viaAddon.search('error', { limit: 10 })),
      );
      expect(plain(viaNode.stats({ by: 'day' }))).toEqual(plain(viaAddon.stats({ by: 'day' })));
    } finally {
      viaNode.close();
      viaAddon.close();
    }
  });

  test('declines whenever the ordinary open would write: no file, a cold build, another schema, a wide mode', () => {
    const copy = join(dir, 'copy.db');
    copyFileSync(realDb, copy);
    chmodSync(copy, 0o600);
    const ok = openSessionIndexIfReady(copy);
    expect(ok).toBeInstanceOf(SessionIndex);
    ok?.close();
    expect(openSessionIndexIfReady(join(dir, 'none.db'))).toBeUndefined();
    writeFileSync(`${copy}.building`, String(process.pid));
    expect(openSessionIndexIfReady(copy)).toBeUndefined();
    rmSync(`${copy}.building`);
    chmodSync(copy, 0o644);
    expect(openSessionIndexIfReady(copy)).toBeUndefined();
    chmodSync(copy, 0o600);
    const db = openDatabase(copy);
    const version = db.pragma('user_version', { simple: true }) as number;
    db.pragma(`user_version = ${version - 1}`);
    db.close();
    expect(openSessionIndexIfReady(copy)).toBeUndefined();
    writeFileSync(join(dir, 'junk.db'), 'not a database');
    chmodSync(join(dir, 'junk.db'), 0o600);
    expect(openSessionIndexIfReady(join(dir, 'junk.db'))).toBeUndefined();
  });
});
