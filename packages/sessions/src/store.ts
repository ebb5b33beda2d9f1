import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { SessionsError } from './errors.js';

export type DB = Database.Database;

// A local require (not a static import): the read-only path (read-only.ts) opens the index with node:sqlite and
// never loads better-sqlite3's 15 modules and addon; writers load it on their first open.
const requireHere = createRequire(import.meta.url);
const betterSqlite3 = () => requireHere('better-sqlite3') as typeof Database;

/** Empty the cache (the files are still on disk): the next pass indexes everything again with the new parsers. */
const REINDEX = `
  DELETE FROM usage_keys; DELETE FROM usage; DELETE FROM summaries;
  DELETE FROM rollup; DELETE FROM events; DELETE FROM touches; DELETE FROM commands; DELETE FROM tools;
  DELETE FROM agent_links; DELETE FROM runs; DELETE FROM sessions; DELETE FROM sources;
  DELETE FROM sqlite_sequence WHERE name = 'events';
  INSERT INTO events_fts (events_fts) VALUES ('delete-all');
  DELETE FROM meta WHERE key = 'fts_max';
`;

/** Schema versions, applied in order; `PRAGMA user_version` records how far a file got. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE sources (
    path TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ms REAL NOT NULL,
    offset INTEGER NOT NULL,
    head_hash TEXT,
    lines INTEGER NOT NULL DEFAULT 0,
    session_sid INTEGER,
    malformed INTEGER NOT NULL DEFAULT 0,
    unknown INTEGER NOT NULL DEFAULT 0,
    seen INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE sessions (
    sid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    path TEXT NOT NULL,
    project TEXT, cwd TEXT, branch TEXT, title TEXT,
    first_ts INTEGER, last_ts INTEGER,
    models TEXT NOT NULL DEFAULT '',
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL,
    agent TEXT, run_id TEXT,
    parent_id TEXT, parent_tool_use_id TEXT, agent_id TEXT,
    events INTEGER NOT NULL DEFAULT 0,
    tool_calls INTEGER NOT NULL DEFAULT 0,
    tool_errors INTEGER NOT NULL DEFAULT 0,
    malformed INTEGER NOT NULL DEFAULT 0,
    unknown INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX sessions_last ON sessions(last_ts);
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sid INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    ts INTEGER,
    role TEXT NOT NULL,
    kind TEXT NOT NULL,
    uuid TEXT, parent_uuid TEXT,
    sidechain INTEGER NOT NULL DEFAULT 0,
    tool_name TEXT, tool_use_id TEXT,
    is_error INTEGER NOT NULL DEFAULT 0,
    model TEXT,
    text TEXT, thinking TEXT, input TEXT
  );
  CREATE INDEX events_sid ON events(sid, seq);
  CREATE TABLE touches (sid INTEGER NOT NULL, event_id INTEGER NOT NULL, path TEXT NOT NULL, op TEXT NOT NULL);
  CREATE INDEX touches_sid ON touches(sid);
  CREATE TABLE commands (sid INTEGER NOT NULL, event_id INTEGER NOT NULL, command TEXT NOT NULL);
  CREATE INDEX commands_sid ON commands(sid);
  CREATE TABLE tools (sid INTEGER NOT NULL, name TEXT NOT NULL, calls INTEGER NOT NULL, errors INTEGER NOT NULL, PRIMARY KEY (sid, name)) WITHOUT ROWID;
  CREATE TABLE usage (
    key TEXT PRIMARY KEY,
    sid INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    model TEXT,
    input INTEGER NOT NULL, output INTEGER NOT NULL,
    cache_read INTEGER NOT NULL, cache_creation INTEGER NOT NULL,
    cost REAL
  ) WITHOUT ROWID;
  CREATE INDEX usage_sid ON usage(sid);
  CREATE TABLE agent_links (tool_use_id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, sid INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE runs (
    run_id TEXT PRIMARY KEY, agent TEXT NOT NULL, session_id TEXT, log_path TEXT NOT NULL,
    status TEXT, started_ts INTEGER, ended_ts INTEGER, cost_usd REAL
  );
  CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
  CREATE VIRTUAL TABLE events_fts USING fts5(text, thinking, input, content='events', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
  `,
  // tool calls and errors per day without reading event text: `stats --by day` reads this index only
  `CREATE INDEX events_tools_ts ON events(ts, kind, is_error) WHERE kind = 'tool_use' OR is_error = 1;`,
  // a quarter-hour rollup per session, kept as events are written: `stats --by day` reads a few thousand rows
  `
  CREATE TABLE rollup (
    bucket INTEGER NOT NULL, sid INTEGER NOT NULL,
    input INTEGER NOT NULL DEFAULT 0, output INTEGER NOT NULL DEFAULT 0,
    cache_read INTEGER NOT NULL DEFAULT 0, cache_creation INTEGER NOT NULL DEFAULT 0,
    cost REAL NOT NULL DEFAULT 0, calls INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, sid)
  ) WITHOUT ROWID;
  CREATE INDEX rollup_sid ON rollup(sid);
  INSERT INTO rollup (bucket, sid, input, output, cache_read, cache_creation, cost)
    SELECT ts / 900000, sid, sum(input), sum(output), sum(cache_read), sum(cache_creation), sum(coalesce(cost, 0)) FROM usage GROUP BY 1, 2;
  INSERT INTO rollup (bucket, sid, calls, errors)
    SELECT ts / 900000, sid, sum(kind = 'tool_use'), sum(is_error) FROM events
    WHERE ts IS NOT NULL AND (kind = 'tool_use' OR is_error = 1) GROUP BY 1, 2 HAVING 1
    ON CONFLICT (bucket, sid) DO UPDATE SET calls = excluded.calls, errors = excluded.errors;
  DROP INDEX events_tools_ts;
  `,
  // usage deduplicated the way ccusage does (the line that wins, not the first; keys may alias one message);
  // the parsers changed with it, so the cache is emptied and the next pass indexes every file again
  `
  DROP TABLE usage;
  CREATE TABLE usage (
    uid INTEGER PRIMARY KEY,
    sid INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    model TEXT,
    input INTEGER NOT NULL, output INTEGER NOT NULL,
    cache_read INTEGER NOT NULL, cache_creation INTEGER NOT NULL,
    cost REAL,
    sidechain INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX usage_sid ON usage(sid);
  CREATE TABLE usage_keys (key TEXT NOT NULL, uid INTEGER NOT NULL, PRIMARY KEY (key, uid)) WITHOUT ROWID;
  CREATE INDEX usage_keys_uid ON usage_keys(uid);
  DELETE FROM rollup; DELETE FROM events; DELETE FROM touches; DELETE FROM commands; DELETE FROM tools;
  DELETE FROM agent_links; DELETE FROM runs; DELETE FROM sessions; DELETE FROM sources;
  DELETE FROM sqlite_sequence WHERE name = 'events';
  INSERT INTO events_fts (events_fts) VALUES ('delete-all');
  DELETE FROM meta WHERE key = 'fts_max';
  `,
  // titles from summaries by their leafUuid, given titles, hidden warmups, subagent layouts: index everything again
  `
  ALTER TABLE sessions ADD COLUMN titled INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE sessions ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE summaries (leaf TEXT PRIMARY KEY, text TEXT NOT NULL, sid INTEGER NOT NULL) WITHOUT ROWID;
  CREATE INDEX summaries_sid ON summaries(sid);
  CREATE INDEX events_uuid ON events(uuid) WHERE uuid IS NOT NULL;
  DELETE FROM usage_keys; DELETE FROM usage;
  DELETE FROM rollup; DELETE FROM events; DELETE FROM touches; DELETE FROM commands; DELETE FROM tools;
  DELETE FROM agent_links; DELETE FROM runs; DELETE FROM sessions; DELETE FROM sources;
  DELETE FROM sqlite_sequence WHERE name = 'events';
  INSERT INTO events_fts (events_fts) VALUES ('delete-all');
  DELETE FROM meta WHERE key = 'fts_max';
  `,
  // Codex sessions keyed by thread id, every rollout format, forks' replayed history skipped
  REINDEX,
  // Cursor composers joined to their workspace (project), rich-text prompts, rendered tool results
  REINDEX,
  // cold-build speed: usage keys are 64-bit hashes (an integer B-tree, a fifth of the bytes of the text keys, see
  // `keyHash`); event ids are handed out by the writer (`meta.next_event`) instead of AUTOINCREMENT, which rewrote
  // `sqlite_sequence` for every row. Index everything again.
  `
  DROP TABLE usage_keys;
  CREATE TABLE usage_keys (hash INTEGER NOT NULL, uid INTEGER NOT NULL, PRIMARY KEY (hash, uid)) WITHOUT ROWID;
  CREATE INDEX usage_keys_uid ON usage_keys(uid);
  DROP TABLE events_fts;
  DROP TABLE events;
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    sid INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    ts INTEGER,
    role TEXT NOT NULL,
    kind TEXT NOT NULL,
    uuid TEXT, parent_uuid TEXT,
    sidechain INTEGER NOT NULL DEFAULT 0,
    tool_name TEXT, tool_use_id TEXT,
    is_error INTEGER NOT NULL DEFAULT 0,
    model TEXT,
    text TEXT, thinking TEXT, input TEXT
  );
  CREATE INDEX events_sid ON events(sid, seq);
  CREATE INDEX events_uuid ON events(uuid) WHERE uuid IS NOT NULL;
  CREATE VIRTUAL TABLE events_fts USING fts5(text, thinking, input, content='events', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
  DELETE FROM usage; DELETE FROM summaries;
  DELETE FROM rollup; DELETE FROM touches; DELETE FROM commands; DELETE FROM tools;
  DELETE FROM agent_links; DELETE FROM runs; DELETE FROM sessions; DELETE FROM sources;
  DELETE FROM meta WHERE key IN ('fts_max', 'next_event');
  `,
  // 1-hour cache writes priced apart from 5-minute ones (as ccusage does): every stored cost is recomputed
  `ALTER TABLE usage ADD COLUMN cache_creation_1h INTEGER NOT NULL DEFAULT 0;${REINDEX}`,
  // long-context (> 200k tokens) prices for the models that have them: every stored cost is recomputed
  REINDEX,
];

export interface OpenOptions {
  readonly?: boolean;
}

/**
 * The index holds the text of every session it read (secrets redacted, the conversations still private): readable
 * by its owner only, as scheduler.db is — outside a coordinator it sits in ~/.local/state, which is often 0755.
 * A new file is created 0600 (SQLite gives -wal and -shm the database's mode); an older, wider one is narrowed.
 */
function ownerOnly(path: string): void {
  if (!existsSync(path)) {
    closeSync(openSync(path, 'a', 0o600));
    return;
  }
  for (const f of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      const mode = statSync(f).mode & 0o777;
      if (mode & 0o077) chmodSync(f, mode & 0o700);
    } catch {
      // not there, or not ours to change: SQLite opens it as it is
    }
  }
}

/** The schema version a current index has (`PRAGMA user_version`): older ones are migrated on the next open. */
export function schemaVersion(): number {
  return MIGRATIONS.length;
}

/** Open (creating and migrating if needed) a sessions database. */
export function openDatabase(path: string, options: OpenOptions = {}): DB {
  let db: DB;
  // an interrupted cold build (see indexer) is a cache of files still on disk: start it over
  if (!options.readonly && existsSync(`${path}.building`) && !builderAlive(`${path}.building`)) {
    for (const f of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`, `${path}.building`])
      rmSync(f, { force: true });
  }
  try {
    if (!options.readonly) {
      mkdirSync(dirname(path), { recursive: true });
      ownerOnly(path);
    }
    db = new (betterSqlite3())(path, options.readonly ? { readonly: true, fileMustExist: true } : {});
  } catch (error) {
    throw new SessionsError(
      'db-open',
      `cannot open session index ${path}: ${(error as Error).message}${options.readonly ? ' (run `habitat sessions index` first)' : ''}`,
    );
  }
  db.pragma('busy_timeout = 5000');
  if (options.readonly) {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version < MIGRATIONS.length)
      throw new SessionsError(
        'db-schema',
        `${path} has schema ${version}, expected ${MIGRATIONS.length}: run \`habitat sessions index\``,
      );
    return db;
  }
  try {
    // before the first table exists (a new file): bigger pages mean fewer overflow chains for long tool output
    if ((db.pragma('user_version', { simple: true }) as number) === 0) db.pragma('page_size = 16384');
    // a cold build in progress holds the file outside WAL mode: leave its mode alone and just read
    if (!existsSync(`${path}.building`)) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -32768');
    db.pragma('temp_store = MEMORY');
    migrate(db, path);
  } catch (error) {
    db.close();
    if (error instanceof SessionsError) throw error;
    const building = existsSync(`${path}.building`);
    throw new SessionsError(
      'db-open',
      `cannot open session index ${path}: ${(error as Error).message}${building ? ' (it is being built right now: try again when `habitat sessions index` has finished)' : ''}`,
    );
  }
  return db;
}

/** The process that left a `.building` marker is still running (then its build is in progress, not abandoned). */
function builderAlive(marker: string): boolean {
  return pidAlive(Number.parseInt(readFileSync(marker, 'utf8'), 10));
}

/** Another process with this pid is running. */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function migrate(db: DB, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length)
    throw new SessionsError(
      'db-schema',
      `${path} was written by a newer @habitat/sessions (schema ${version})`,
    );
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** Remove a source and everything indexed from it. */
export function deleteSource(db: DB, path: string): void {
  const sid = db.prepare('SELECT session_sid FROM sources WHERE path = ?').pluck().get(path) as
    | number
    | null
    | undefined;
  if (sid !== undefined && sid !== null) deleteSession(db, sid);
  db.prepare('DELETE FROM sources WHERE path = ?').run(path);
}

export function deleteSession(db: DB, sid: number): void {
  const ftsMax =
    (db.prepare("SELECT value FROM meta WHERE key = 'fts_max'").pluck().get() as number | undefined) ?? 0;
  db.prepare(
    `INSERT INTO events_fts (events_fts, rowid, text, thinking, input)
     SELECT 'delete', id, text, thinking, input FROM events WHERE sid = ? AND id <= ?
       AND (text IS NOT NULL OR thinking IS NOT NULL OR input IS NOT NULL)`,
  ).run(sid, ftsMax);
  db.prepare('DELETE FROM usage_keys WHERE uid IN (SELECT uid FROM usage WHERE sid = ?)').run(sid);
  for (const table of [
    'events',
    'touches',
    'commands',
    'tools',
    'usage',
    'agent_links',
    'rollup',
    'summaries',
  ])
    db.prepare(`DELETE FROM ${table} WHERE sid = ?`).run(sid);
  db.prepare('DELETE FROM sessions WHERE sid = ?').run(sid);
}

/**
 * One index pass at a time per database (a second would read the same new bytes again). The holder's pid is
 * kept in `meta`; a holder that died is ignored.
 */
export function acquireIndexLock(db: DB): void {
  db.transaction(() => {
    const holder = Number(db.prepare("SELECT value FROM meta WHERE key = 'indexer'").pluck().get() ?? 0);
    if (pidAlive(holder))
      throw new SessionsError(
        'busy',
        `another index pass is running (pid ${holder}); run again when it has finished`,
      );
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('indexer', ?)").run(process.pid);
  }).immediate();
}

export function releaseIndexLock(db: DB): void {
  db.prepare("DELETE FROM meta WHERE key = 'indexer' AND value = ?").run(process.pid);
}
