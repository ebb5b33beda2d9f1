import Database from 'better-sqlite3';
import { expect, test } from 'vitest';
import { RowBatch } from '../src/row-batch.js';
import type { DB } from '../src/store.js';

test('a row batch writes every pushed row once, in order, whatever the count (64-, 8- and 1-row statements)', () => {
  const db = new Database(':memory:') as unknown as DB;
  db.exec('CREATE TABLE t (n INTEGER PRIMARY KEY, a TEXT, b)');
  const batch = new RowBatch(db, 'INSERT INTO t (n, a, b) VALUES', 3);
  let n = 0;
  // counts around each statement size: 0, 1, 7, 8, 9, 63, 64, 65, 127, 128, 137, 600
  for (const count of [0, 1, 7, 8, 9, 63, 64, 65, 127, 128, 137, 600]) {
    const first = n;
    for (let i = 0; i < count; i++, n++) batch.push(n, `row ${n}`, n % 3 ? null : n * 0.5);
    batch.flush();
    const rows = db.prepare('SELECT n, a, b FROM t WHERE n >= ? ORDER BY n').raw().all(first);
    expect(rows).toEqual(
      Array.from({ length: count }, (_, i) => [
        first + i,
        `row ${first + i}`,
        (first + i) % 3 ? null : (first + i) * 0.5,
      ]),
    );
  }
  expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(n);
  // nothing is left behind to be written twice
  batch.flush();
  expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(n);
});
