// Which SQLite a store opens. The daemon (the only writer) uses better-sqlite3. A read-only open — `habitat
// status`, `next`, `history`, the TUI — uses Node's built-in node:sqlite where it is stable enough to load
// without a warning: loading better-sqlite3 (its JS and the native addon) was ~14 ms of CPU of a ~30 ms
// `node -e 0`, node:sqlite ~2 ms. The read-only store needs only prepare/get/all/pragma/close, which both have.
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

// A local require (not the bundler's): better-sqlite3 is resolved and loaded only when a store opens with it.
const requireHere = createRequire(import.meta.url);

/** better-sqlite3's constructor, loaded on first use. */
export function betterSqlite3(): typeof Database {
  return requireHere('better-sqlite3') as typeof Database;
}

type NodeSqlite = typeof import('node:sqlite');

/**
 * node:sqlite where it loads quietly: Node 24.15 made it a release candidate; before that (22.13-24.14) loading it
 * prints an ExperimentalWarning on stderr, and before 22.13 it needs a flag. `HABITAT_SQLITE=better-sqlite3`
 * forces the addon.
 */
function nodeSqlite(): NodeSqlite | undefined {
  if (process.env.HABITAT_SQLITE === 'better-sqlite3') return undefined;
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 24 || (major === 24 && minor < 15)) return undefined;
  return process.getBuiltinModule?.('node:sqlite') as NodeSqlite | undefined;
}

/** SQLite's primary result codes by number, for errors named as better-sqlite3 names them (`code`). */
const CODES: Record<number, string> = {
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  8: 'SQLITE_READONLY',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  26: 'SQLITE_NOTADB',
};

/** node:sqlite's errors carry `errcode`; callers look at better-sqlite3's `code` (SQLITE_NOTADB, ...). */
function named<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    const errcode = (error as { errcode?: unknown }).errcode;
    if (typeof errcode === 'number' && CODES[errcode & 0xff])
      Object.assign(error as object, { code: CODES[errcode & 0xff] });
    throw error;
  }
}

/**
 * Open `file` read-only (it must exist). With node:sqlite the result is a thin adapter with the part of
 * better-sqlite3's Database the read-only store and its readers use: `readonly`, `prepare` (get/all/iterate),
 * `pragma`, `exec`, `close`.
 */
export function openReadOnly(file: string): Database.Database {
  const sqlite = nodeSqlite();
  if (!sqlite) return new (betterSqlite3())(file, { readonly: true, fileMustExist: true });
  const db = named(() => new sqlite.DatabaseSync(file, { readOnly: true }));
  const adapter = {
    readonly: true,
    name: file,
    get open() {
      return db.isOpen;
    },
    prepare: (sql: string) => named(() => db.prepare(sql)),
    exec: (sql: string) => {
      named(() => db.exec(sql));
      return adapter;
    },
    pragma: (source: string, options: { simple?: boolean } = {}) =>
      named(() => {
        const rows = db.prepare(`PRAGMA ${source}`).all();
        if (!options.simple) return rows;
        const first = rows[0];
        return first === undefined ? undefined : Object.values(first)[0];
      }),
    close: () => {
      db.close();
      return adapter;
    },
  };
  // The store's readers call only these members; the cast states that they are better-sqlite3's shape.
  return adapter as unknown as Database.Database;
}
