/**
 * The sessions index opened for reading only, for `habitat sessions stats|search|list` on an index that is ready:
 * node:sqlite where it loads quietly (no better-sqlite3, no schema statements), one pragma read. Whenever the
 * ordinary open would write something — a first index, an interrupted cold build to clear, a migration, a file
 * mode to narrow — this returns undefined and the caller opens it the ordinary way (openSessionIndex).
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { openReadOnlyDatabase } from '@habitat/config/core';
import { SessionIndex } from './query.js';
import { type DB, schemaVersion } from './store.js';

const requireHere = createRequire(import.meta.url);

/** Whether `file` (if it exists) is readable by others than its owner: openDatabase narrows such a mode. */
function wider(file: string): boolean {
  try {
    return (statSync(file).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

/** The index at `dbPath` for reading, or undefined when opening it would write (see above) or it cannot be read. */
export function openSessionIndexIfReady(dbPath: string): SessionIndex | undefined {
  if (!existsSync(dbPath) || existsSync(`${dbPath}.building`)) return undefined;
  if ([dbPath, `${dbPath}-wal`, `${dbPath}-shm`].some(wider)) return undefined;
  let db: DB | undefined;
  try {
    // better-sqlite3 (where node:sqlite is not quiet) from this package's own dependencies
    db = openReadOnlyDatabase(dbPath, requireHere) as unknown as DB;
    // as openDatabase: a writer's transaction in progress is waited for, not an error; the same page cache and
    // in-memory sorting as the ordinary open (connection settings, nothing written)
    db.pragma('busy_timeout = 5000');
    db.pragma('cache_size = -32768');
    db.pragma('temp_store = MEMORY');
    if (db.pragma('user_version', { simple: true }) !== schemaVersion()) {
      db.close();
      return undefined;
    }
    return new SessionIndex(db);
  } catch {
    db?.close();
    return undefined;
  }
}
