/**
 * The two-thread cold build (`pipeline.ts`) runs from the built package: the parser thread is `dist/parse-worker.js`
 * (from the sources every pass stays on one thread). turbo builds before it tests.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateCorpus } from '../bench/gen-corpus.js';

const distPath = join(import.meta.dirname, '..', 'dist', 'index.js');
const real = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'real-sessions', 'claude');
type Lib = typeof import('../src/index.js');
let lib: Lib;
let dir: string;
let corpus: string;

beforeAll(async () => {
  if (!existsSync(join(import.meta.dirname, '..', 'dist', 'parse-worker.js')))
    throw new Error(
      'packages/sessions/dist is not built: run `pnpm turbo run build --filter @habitat/sessions`',
    );
  lib = (await import(distPath)) as Lib;
  dir = mkdtempSync(join(tmpdir(), 'sessions-pipeline-'));
  corpus = join(dir, 'corpus');
  generateCorpus({ out: corpus, bytes: 4 * 1024 * 1024, files: 16, seed: 11, days: 6 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every row of every table (and the full-text ranking of two queries), to compare two builds. */
function dump(path: string): Record<string, unknown[]> {
  const db = new Database(path, { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    const out: Record<string, unknown[]> = {};
    for (const t of ['events', 'usage', 'usage_keys', 'sessions', 'touches', 'commands', 'tools', 'rollup'])
      out[t] = db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).raw().all();
    for (const q of ['error OR timeout', 'docker'])
      out[q] = db
        .prepare('SELECT rowid, rank FROM events_fts WHERE events_fts MATCH ? ORDER BY rank, rowid')
        .raw()
        .all(q);
    return out;
  } finally {
    db.close();
  }
}

test('two threads build the same index as one, on a generated corpus and on the real transcripts', () => {
  for (const [name, source] of [
    ['generated', corpus],
    ['real', real],
  ] as const) {
    const reports = ([1, 2] as const).map((threads) =>
      lib.indexSessions({
        dbPath: join(dir, `${name}-${threads}.db`),
        sources: { claude: [source], defaults: false },
        threads,
      }),
    );
    expect(reports[1]?.errors).toEqual([]);
    expect(reports[1]?.events).toBe(reports[0]?.events);
    expect(reports[1]?.events).toBeGreaterThan(1000);
    expect(dump(join(dir, `${name}-2.db`))).toEqual(dump(join(dir, `${name}-1.db`)));
  }
});

test('the full-text index filled batch by batch during a cold build ranks as one filled at once', () => {
  const path = join(dir, 'batched.db');
  process.env.HABITAT_SESSIONS_BATCH_BYTES = String(256 << 10);
  try {
    lib.indexSessions({ dbPath: path, sources: { claude: [corpus], defaults: false }, threads: 2 });
  } finally {
    delete process.env.HABITAT_SESSIONS_BATCH_BYTES;
  }
  const queries = [
    'docker',
    'error OR timeout',
    '"retry backoff"',
    'sess*',
    'flaky NOT snapshot',
    'build migration',
  ];
  const ranks = (file: string, merge = false) => {
    const db = new Database(file, { readonly: !merge });
    try {
      if (merge) db.exec("INSERT INTO events_fts (events_fts) VALUES ('optimize')");
      const segments = db.prepare('SELECT count(DISTINCT segid) FROM events_fts_idx').pluck().get();
      const hits = queries.map((q) =>
        db
          .prepare('SELECT rowid, rank FROM events_fts WHERE events_fts MATCH ? ORDER BY rank, rowid')
          .raw()
          .all(q),
      );
      return { segments, hits };
    } finally {
      db.close();
    }
  };
  // the one-thread build of the same corpus fills the index once, at the end (4 MB is one batch)
  const once = ranks(join(dir, 'generated-1.db'));
  const batched = ranks(path);
  expect(once.hits.every((h) => h.length > 0)).toBe(true);
  // a segment per batch (merging waits for later passes): the batches did happen
  expect(batched.segments).toBeGreaterThan(4);
  expect(batched.hits).toEqual(once.hits);
  // merged into one segment, the same again
  const merged = ranks(path, true);
  expect(merged.segments).toBe(1);
  expect(merged.hits).toEqual(once.hits);
  // and every table equals the one-thread build's
  expect(dump(path)).toEqual(dump(join(dir, 'generated-1.db')));
});

test('a file that fails on the parser thread is rolled back alone', () => {
  const copy = join(dir, 'corpus-failing');
  cpSync(corpus, copy, { recursive: true });
  // the last two files planned (sessions are created in plan order), far behind the parser thread's lead
  const ref = new Database(join(dir, 'generated-1.db'), { readonly: true });
  const last = (
    ref.prepare('SELECT path FROM sessions ORDER BY sid DESC LIMIT 2').pluck().all() as string[]
  ).map((p) => p.replace(corpus, copy));
  const all = ref.prepare('SELECT count(*) FROM sessions').pluck().get() as number;
  ref.close();
  const report = lib.indexSessions({
    dbPath: join(dir, 'failing.db'),
    sources: { claude: [copy], defaults: false },
    threads: 2,
    onProgress: (p) => {
      if (p.files === 1) for (const f of last) unlinkSync(f);
    },
  });
  expect(report.errors.map((e) => e.path).sort()).toEqual([...last].sort());
  expect(report.errors.every((e) => /ENOENT/.test(e.message))).toBe(true);
  const db = new Database(join(dir, 'failing.db'), { readonly: true });
  // their sessions were planned (created empty) but hold no events; every other file is whole
  const withEvents = db.prepare('SELECT count(*) FROM sessions WHERE events > 0').pluck().get();
  const missing = db
    .prepare('SELECT count(*) FROM sources WHERE path IN (?, ?)')
    .pluck()
    .get(...last);
  db.close();
  expect(withEvents).toBe(all - 2);
  expect(missing).toBe(0);
});

test('kill -9 in the middle of a two-thread cold build: no half index is served, the next pass builds it whole', async () => {
  const db = join(dir, 'killed.db');
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(distPath)});
       m.indexSessions({ dbPath: ${JSON.stringify(db)}, sources: { claude: [${JSON.stringify(corpus)}], defaults: false },
         threads: 2, onProgress: (p) => { if (p.files === 8) process.stdout.write('half\\n'); } });
       process.stdout.write('finished\\n');`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const said = await new Promise<string>((resolve) =>
    child.stdout.on('data', (d: Buffer) => {
      child.kill('SIGKILL');
      resolve(d.toString());
    }),
  );
  await new Promise((resolve) => child.on('exit', resolve));
  expect(said).toMatch(/half/);
  expect(existsSync(`${db}.building`)).toBe(true);
  // a reader opening it now finds the build abandoned and starts the index over: nothing half-built is listed
  const ix = lib.openSessionIndex(db);
  expect(ix.listSessions({ limit: 1000 })).toEqual([]);
  ix.close();
  const report = lib.indexSessions({
    dbPath: db,
    sources: { claude: [corpus], defaults: false },
    threads: 2,
  });
  expect(report.errors).toEqual([]);
  expect(existsSync(`${db}.building`)).toBe(false);
  const check = new Database(db, { readonly: true });
  expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
  check.close();
  expect(dump(db)).toEqual(dump(join(dir, 'generated-1.db')));
});
