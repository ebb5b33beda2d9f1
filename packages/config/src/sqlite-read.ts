// Read-only SQLite through Node's built-in node:sqlite, shared by the three indexes that are read far more often
// than written: the scheduler's store (`status`, `next`, `history`, the TUI), the knowledge index (`knowledge
// search|context`) and the sessions index (`sessions stats|search|list`). Writers keep better-sqlite3. Loading
// better-sqlite3 (its 15 modules and the native addon) is ~10-14 ms of CPU, about a third of `node -e 0`;
// node:sqlite ~0-2 ms. This module knows nothing of better-sqlite3: each package loads its own (from its own
// dependencies) when this returns undefined, and casts the adapter to the Database type it already uses.

type NodeSqlite = typeof import('node:sqlite');

/**
 * node:sqlite where it loads quietly: Node 24.15 made it a release candidate; before that (22.13-24.14) loading it
 * prints an ExperimentalWarning on stderr, and before 22.13 it needs a flag. `HABITAT_SQLITE=better-sqlite3`
 * forces the addon.
 */
export function nodeSqlite(): NodeSqlite | undefined {
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

type Params = unknown[];
type NodeStatement = ReturnType<InstanceType<NodeSqlite['DatabaseSync']>['prepare']>;

/** The part of better-sqlite3's Statement that the readers use. */
export interface ReadOnlyStatement {
  get(...params: Params): unknown;
  all(...params: Params): unknown[];
  iterate(...params: Params): IterableIterator<unknown>;
  /** a write fails on a read-only open (SQLITE_READONLY), as with better-sqlite3 */
  run(...params: Params): { changes: number | bigint; lastInsertRowid: number | bigint };
  /** rows as arrays (better-sqlite3's `raw()`) */
  raw(on?: boolean): ReadOnlyStatement;
  /** the first column only (better-sqlite3's `pluck()`) */
  pluck(on?: boolean): ReadOnlyStatement;
}

/** The part of better-sqlite3's Database that the readers use. */
export interface ReadOnlyDatabase {
  readonly readonly: true;
  readonly name: string;
  readonly open: boolean;
  readonly inTransaction: boolean;
  prepare(sql: string): ReadOnlyStatement;
  exec(sql: string): ReadOnlyDatabase;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): ReadOnlyDatabase;
}

/**
 * A statement whose `raw()`/`pluck()` switch its mode for every later call, as better-sqlite3's do (a cached
 * statement stays plucked). Arrays come from node:sqlite itself (`setReturnArrays`), not from copying objects.
 */
function statement(st: NodeStatement): ReadOnlyStatement {
  let mode: 'object' | 'raw' | 'pluck' = 'object';
  const first = (row: unknown) => (row === undefined ? undefined : (row as unknown[])[0]);
  const run = <T>(fn: () => T) => named(fn);
  const self: ReadOnlyStatement = {
    get: (...params) =>
      run(() => {
        const row = st.get(...(params as never[]));
        return mode === 'pluck' ? first(row) : row;
      }),
    all: (...params) =>
      run(() => {
        const rows = st.all(...(params as never[]));
        return mode === 'pluck' ? rows.map(first) : rows;
      }),
    iterate: (...params) => {
      const rows = run(() => st.iterate(...(params as never[])));
      if (mode !== 'pluck') return rows as IterableIterator<unknown>;
      return (function* () {
        for (const row of rows) yield first(row);
      })();
    },
    run: (...params) => run(() => st.run(...(params as never[]))),
    raw: (on = true) => {
      mode = on ? 'raw' : 'object';
      st.setReturnArrays(on);
      return self;
    },
    pluck: (on = true) => {
      mode = on ? 'pluck' : 'object';
      st.setReturnArrays(on);
      return self;
    },
  };
  return self;
}

/**
 * Open `file` (it must exist) read-only with node:sqlite, or undefined where node:sqlite does not load quietly (the
 * caller then opens it with better-sqlite3 `{ readonly: true, fileMustExist: true }`). Named parameters (`@name`
 * with `{ name }`) and numbers work alike in both; blobs are Uint8Array here, Buffer there.
 */
export function openNodeReadOnly(file: string): ReadOnlyDatabase | undefined {
  const sqlite = nodeSqlite();
  if (!sqlite) return undefined;
  return adapt(
    named(() => new sqlite.DatabaseSync(file, { readOnly: true })),
    file,
  ) as ReadOnlyDatabase;
}

/** The read-write adapter: also better-sqlite3's `transaction(fn)`. */
export interface WritableDatabase extends Omit<ReadOnlyDatabase, 'readonly' | 'exec' | 'close'> {
  readonly readonly: false;
  exec(sql: string): WritableDatabase;
  close(): WritableDatabase;
  /** `fn` wrapped in BEGIN/COMMIT (ROLLBACK when it throws), a SAVEPOINT inside another transaction */
  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T;
}

/**
 * Open `file` (it must exist) read-write with node:sqlite, or undefined where node:sqlite does not load quietly:
 * for a process that writes a few rows and exits (a foreground `habitat run` recording itself), where loading
 * better-sqlite3 was ~13 ms of CPU against ~2 ms. An object's keys that a statement does not name are ignored,
 * as better-sqlite3 ignores them.
 */
export function openNodeWritable(file: string): WritableDatabase | undefined {
  const sqlite = nodeSqlite();
  if (!sqlite) return undefined;
  const db = named(() => new sqlite.DatabaseSync(file));
  const adapter = adapt(db, file, false) as WritableDatabase;
  let depth = 0;
  (adapter as { transaction: WritableDatabase['transaction'] }).transaction =
    (fn) =>
    (...args) => {
      const name = `habitat_${depth}`;
      named(() => db.exec(depth === 0 ? 'BEGIN' : `SAVEPOINT ${name}`));
      depth++;
      try {
        const result = fn(...args);
        named(() => db.exec(depth === 1 ? 'COMMIT' : `RELEASE ${name}`));
        return result;
      } catch (error) {
        if (db.isTransaction) db.exec(depth === 1 ? 'ROLLBACK' : `ROLLBACK TO ${name}; RELEASE ${name}`);
        throw error;
      } finally {
        depth--;
      }
    };
  return adapter;
}

type NodeDatabase = InstanceType<NodeSqlite['DatabaseSync']>;

/** The adapter over one node:sqlite database; the writable one gets its `transaction` from openNodeWritable. */
function adapt(
  db: NodeDatabase,
  file: string,
  readonly = true,
): ReadOnlyDatabase | Omit<WritableDatabase, 'transaction'> {
  const prepare = (sql: string) => {
    const st = named(() => db.prepare(sql));
    if (!readonly)
      (st as { setAllowUnknownNamedParameters?(on: boolean): void }).setAllowUnknownNamedParameters?.(true);
    return statement(st);
  };
  const adapter = {
    readonly,
    name: file,
    get open() {
      return db.isOpen;
    },
    get inTransaction() {
      return (db as { isTransaction?: boolean }).isTransaction ?? false;
    },
    prepare,
    exec: (sql: string) => {
      named(() => db.exec(sql));
      return adapter;
    },
    pragma: (source: string, options: { simple?: boolean } = {}) =>
      named(() => {
        const rows = db.prepare(`PRAGMA ${source}`).all();
        if (!options.simple) return rows;
        const row = rows[0];
        return row === undefined ? undefined : Object.values(row)[0];
      }),
    close: () => {
      db.close();
      return adapter;
    },
  };
  // `readonly` is the literal the caller asked for (true: ReadOnlyDatabase, false: the writable one)
  return adapter as ReadOnlyDatabase | Omit<WritableDatabase, 'transaction'>;
}

/**
 * Open `file` (it must exist) read-only: node:sqlite's adapter, else better-sqlite3 `{ readonly, fileMustExist }`
 * loaded through `requireFrom`, the caller's own `createRequire(import.meta.url)`: the addon is each reading
 * package's dependency (config has none), resolved from there and only loaded on this path.
 */
export function openReadOnlyDatabase(file: string, requireFrom: (id: string) => unknown): ReadOnlyDatabase {
  const open = openNodeReadOnly(file);
  if (open) return open;
  const Addon = requireFrom('better-sqlite3') as new (
    file: string,
    options: { readonly: boolean; fileMustExist: boolean },
  ) => ReadOnlyDatabase;
  return new Addon(file, { readonly: true, fileMustExist: true });
}
