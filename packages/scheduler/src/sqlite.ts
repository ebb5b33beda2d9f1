// Which SQLite a store opens. The daemon (the only writer) uses better-sqlite3. A read-only open — `habitat
// status`, `next`, `history`, the TUI — uses Node's built-in node:sqlite where it loads quietly (the adapter is
// config's, shared with the knowledge and sessions indexes: @habitat/config/core sqlite-read.ts).
import { createRequire } from 'node:module';
import { openNodeWritable, openReadOnlyDatabase } from '@habitat/config/core';
import type Database from 'better-sqlite3';

// A local require (not the bundler's): better-sqlite3 is resolved from this package's dependencies and loaded only
// when a store opens with it.
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

/**
 * Open `file` (it must exist) read-write with node:sqlite where it loads quietly, else undefined (the caller opens it
 * with better-sqlite3). For a short-lived writer only: the daemon keeps better-sqlite3.
 */
export function openLeanWriter(file: string): Database.Database | undefined {
  return openNodeWritable(file) as unknown as Database.Database | undefined;
}
