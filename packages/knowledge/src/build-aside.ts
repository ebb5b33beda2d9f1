// A first build into a file of its own next to the index, renamed over it once complete. The index is derived
// from the files, so while it is being built nothing needs a journal: with journal_mode OFF and no syncs SQLite
// writes each page once (in WAL mode a 100,000-learning build wrote ~190 MB to the WAL, then again into the
// database at the checkpoint, and synced both), and a build that dies half way leaves a stray file, never a
// half-built index. Only an index that holds nothing yet is replaced: the served record and cached vectors of
// an index being rebuilt after a layout change stay where they are (that build runs in place).
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { betterSqlite3 } from './sqlite-read.js';

const SUFFIX = '.build-';

/**
 * Whether `db` is a database file with no data in it yet, so a first build may replace it: no rows in any table
 * but FTS5's own and meta's `derivedMeta` keys.
 */
export function replaceable(db: Database.Database, derivedMeta: string[]): boolean {
  if (db.readonly || db.memory || !db.name) return false;
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
  )
    .map((t) => t.name)
    .filter((name) => !name.startsWith('fts_') && name !== 'fts');
  return tables.every((name) =>
    // (table names come from the schema itself, not from input)
    name === 'meta'
      ? db
          .prepare('SELECT 1 FROM meta WHERE key NOT IN (SELECT value FROM json_each(?)) LIMIT 1')
          .get(JSON.stringify(derivedMeta)) === undefined
      : db.prepare(`SELECT 1 FROM "${name}" LIMIT 1`).get() === undefined,
  );
}

/** A new, empty database file next to `target` to build in, with `schema` and `version`; stale ones removed. */
export function openAside(target: string, schema: string, version: number): Database.Database {
  removeStale(target);
  const file = `${target}${SUFFIX}${process.pid}`;
  rmSync(file, { force: true });
  const db = new (betterSqlite3())(file);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.exec(schema);
  db.pragma(`user_version = ${version}`);
  return db;
}

/**
 * Make the built file the index: WAL mode (as the index runs), its pages on disk, then renamed over `target`.
 * `db` is closed; returns a connection to `target`.
 */
export function finishAside(db: Database.Database, target: string): Database.Database {
  const file = db.name;
  db.pragma('journal_mode = WAL');
  db.close();
  // on disk before it replaces the index, or a crash could leave a torn file where a whole one was
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // The replaced index's WAL and shared memory belong to the old file: left beside the new one, SQLite would
  // read the old WAL's pages into it. (A process still reading the old, empty index keeps its open files.)
  rmSync(`${target}-wal`, { force: true });
  rmSync(`${target}-shm`, { force: true });
  renameSync(file, target);
  const index = new (betterSqlite3())(target);
  index.pragma('synchronous = NORMAL');
  return index;
}

/** Drop a build that failed: `db` closed and its file removed. */
export function abandonAside(db: Database.Database): void {
  const file = db.name;
  if (db.open) db.close();
  rmSync(file, { force: true });
}

/** Files of builds whose process is gone (killed half way). */
function removeStale(target: string): void {
  const dir = path.dirname(target);
  const prefix = `${path.basename(target)}${SUFFIX}`;
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(prefix));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) continue;
    rmSync(path.join(dir, name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
