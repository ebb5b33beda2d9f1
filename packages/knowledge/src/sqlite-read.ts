// Which SQLite the index opens. Writing (a sync that has something to do, `knowledge add`, the served record)
// uses better-sqlite3. A read-only open — `habitat knowledge search|context` when the index is current — uses
// Node's built-in node:sqlite where it loads without a warning: loading better-sqlite3 (its 15 modules and the
// native addon) is ~10-14 ms of CPU, about a third of `node -e 0`; node:sqlite ~0. The scheduler's read-only
// store makes the same choice (packages/scheduler/src/sqlite.ts).
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

// A local require (not a static import): better-sqlite3 is resolved and loaded only when something writes.
const requireHere = createRequire(import.meta.url);

/** better-sqlite3's constructor, loaded on first use. */
export function betterSqlite3(): typeof Database {
  return requireHere('better-sqlite3') as typeof Database;
}

type NodeSqlite = typeof import('node:sqlite');

/**
 * node:sqlite where it loads quietly: Node 24.15 made it a release candidate (before, loading it printed an
 * ExperimentalWarning). `HABITAT_SQLITE=better-sqlite3` forces the addon.
 */
function nodeSqlite(): NodeSqlite | undefined {
  if (process.env.HABITAT_SQLITE === 'better-sqlite3') return undefined;
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 24 || (major === 24 && minor < 15)) return undefined;
  return process.getBuiltinModule?.('node:sqlite') as NodeSqlite | undefined;
}

/**
 * Open `file` read-only (it must exist). With node:sqlite the result is a thin adapter with the part of
 * better-sqlite3's Database that reading the index uses: `prepare` (get/all), `pragma`, `exec`, `close`. Named parameters (`@name` with `{ name }`) and numbers work alike in both.
 */
export function openReadOnly(file: string): Database.Database {
  const sqlite = nodeSqlite();
  if (!sqlite) return new (betterSqlite3())(file, { readonly: true, fileMustExist: true });
  const db = new sqlite.DatabaseSync(file, { readOnly: true });
  const adapter = {
    readonly: true,
    inTransaction: false,
    name: file,
    prepare: (sql: string) => db.prepare(sql),
    exec: (sql: string) => {
      db.exec(sql);
      return adapter;
    },
    pragma: (source: string, options: { simple?: boolean } = {}) => {
      const rows = db.prepare(`PRAGMA ${source}`).all();
      if (!options.simple) return rows;
      const first = rows[0];
      return first === undefined ? undefined : Object.values(first)[0];
    },
    close: () => {
      db.close();
      return adapter;
    },
  };
  // Reading the index calls only these members; the cast states that they are better-sqlite3's shape.
  return adapter as unknown as Database.Database;
}
