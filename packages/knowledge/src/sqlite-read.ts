// Which SQLite the index opens. Writing (a sync that has something to do, `knowledge add`, the served record)
// uses better-sqlite3. A read-only open — `habitat knowledge search|context` when the index is current — uses
// Node's built-in node:sqlite where it loads quietly (the adapter is config's, shared with the scheduler's store and
// the sessions index: @habitat/config/core sqlite-read.ts).
import { createRequire } from 'node:module';
import { openReadOnlyDatabase } from '@habitat/config/core';
import type Database from 'better-sqlite3';

// A local require (not a static import): better-sqlite3 is resolved from this package's dependencies and loaded
// only when something writes.
const requireHere = createRequire(import.meta.url);

/** better-sqlite3's constructor, loaded on first use. */
export function betterSqlite3(): typeof Database {
  return requireHere('better-sqlite3') as typeof Database;
}

/** Open `file` read-only (it must exist): node:sqlite's adapter, else better-sqlite3 `readonly`. */
export function openReadOnly(file: string): Database.Database {
  // the adapter has the members of better-sqlite3's Database that the readers call
  return openReadOnlyDatabase(file, requireHere) as unknown as Database.Database;
}
