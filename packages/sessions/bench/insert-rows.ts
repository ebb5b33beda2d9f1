/**
 * The events INSERT of a cold build in isolation: every event row of an existing index inserted into a fresh file
 * with the build's page size, cache and commit rhythm, one `run()` per row (what the writer did) against multi-row
 * `VALUES` statements and one `json_each(?)` statement per chunk, interleaved round by round; CPU of this thread
 * (ms), medians. The rows are read into memory first and kept as the chunks the parser thread hands over.
 *
 *   node packages/sessions/bench/insert-rows.ts --db <an index's sessions.db> --work <dir> [--rounds 3] [--rows 64]
 *     [--variants perRow,multiRow,jsonEach]
 */
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    work: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    rows: { type: 'string', default: '64' },
    variants: { type: 'string', default: 'perRow,multiRow,jsonEach' },
  },
});
if (!values.db || !values.work) {
  process.stderr.write('usage: insert-rows.ts --db <sessions.db> --work <dir> [--rounds 3] [--rows 64]\n');
  process.exit(2);
}
const Database = createRequire(join(import.meta.dirname, '..', 'package.json'))('better-sqlite3');
const COLS =
  'id, sid, seq, ts, role, kind, uuid, parent_uuid, sidechain, tool_name, tool_use_id, is_error, model, text, thinking, input';
const N = Number(values.rows);

const src = new Database(values.db, { readonly: true });
const all: unknown[][] = src.prepare(`SELECT ${COLS} FROM events ORDER BY id`).raw().all();
src.close();
const chunks: unknown[][][] = [];
for (let i = 0; i < all.length; i += 1000) chunks.push(all.slice(i, i + 1000));
const textBytes = all.reduce(
  (n, r) =>
    n +
    ((r[13] as string)?.length ?? 0) +
    ((r[14] as string)?.length ?? 0) +
    ((r[15] as string)?.length ?? 0),
  0,
);
process.stdout.write(
  `${all.length} rows, ${(textBytes / 1e6).toFixed(0)} M chars of text, ${chunks.length} chunks\n`,
);

function open(file: string) {
  rmSync(file, { force: true });
  const db = new Database(file);
  db.pragma('page_size = 16384');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -32768');
  db.pragma('temp_store = MEMORY');
  db.exec(`CREATE TABLE events (id INTEGER PRIMARY KEY, sid INTEGER NOT NULL, seq INTEGER NOT NULL, ts INTEGER,
    role TEXT NOT NULL, kind TEXT NOT NULL, uuid TEXT, parent_uuid TEXT, sidechain INTEGER NOT NULL DEFAULT 0,
    tool_name TEXT, tool_use_id TEXT, is_error INTEGER NOT NULL DEFAULT 0, model TEXT, text TEXT, thinking TEXT, input TEXT);
    CREATE INDEX events_sid ON events(sid, seq);`);
  return db;
}

const place = `(${Array(16).fill('?').join(',')})`;
type Insert = (db: InstanceType<typeof Database>) => (chunk: unknown[][]) => void;
const variants: Record<string, Insert> = {
  perRow: (db) => {
    const s = db.prepare(`INSERT INTO events (${COLS}) VALUES ${place}`);
    return (chunk) => {
      for (const r of chunk) s.run(r);
    };
  },
  multiRow: (db) => {
    const full = db.prepare(`INSERT INTO events (${COLS}) VALUES ${Array(N).fill(place).join(',')}`);
    const one = db.prepare(`INSERT INTO events (${COLS}) VALUES ${place}`);
    const flat: unknown[] = new Array(16 * N);
    return (chunk) => {
      let i = 0;
      for (; i + N <= chunk.length; i += N) {
        for (let j = 0; j < N; j++) {
          const r = chunk[i + j];
          for (let c = 0; c < 16; c++) flat[j * 16 + c] = r[c];
        }
        full.run(flat);
      }
      for (; i < chunk.length; i++) one.run(chunk[i]);
    };
  },
  jsonEach: (db) => {
    const s = db.prepare(
      `INSERT INTO events (${COLS}) SELECT ${Array.from({ length: 16 }, (_, c) => `value->>${c}`).join(', ')} FROM json_each(?)`,
    );
    return (chunk) => {
      s.run(JSON.stringify(chunk));
    };
  },
};

const results: Record<string, number[]> = {};
mkdirSync(values.work, { recursive: true });
for (let round = 0; round < Number(values.rounds); round++) {
  const order = values.variants.split(',');
  if (round % 2) order.reverse();
  for (const name of order) {
    const db = open(join(values.work, `${name}.db`));
    const insert = variants[name](db);
    const t = process.cpuUsage();
    db.exec('BEGIN');
    chunks.forEach((c, i) => {
      insert(c);
      if (i % 27 === 26) db.exec('COMMIT; BEGIN');
    });
    db.exec('COMMIT');
    const u = process.cpuUsage(t);
    const ms = (u.user + u.system) / 1000;
    const n = db.prepare('SELECT count(*) FROM events').pluck().get();
    if (n !== all.length) throw new Error(`${name}: ${n} rows, expected ${all.length}`);
    db.close();
    results[name] = [...(results[name] ?? []), ms];
    process.stdout.write(`round ${round + 1} ${name}: ${ms.toFixed(0)} ms CPU\n`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(results.perRow);
for (const [name, xs] of Object.entries(results))
  process.stdout.write(
    `${name}: median ${median(xs).toFixed(0)} ms CPU (${((median(xs) * 1000) / all.length).toFixed(2)} µs a row), ${(median(xs) / base).toFixed(2)}x per-row\n`,
  );
