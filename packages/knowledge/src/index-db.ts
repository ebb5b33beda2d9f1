// The knowledge index: SQLite FTS5 in its own file, rebuilt incrementally from the markdown files.
//
// Keeping it in sync must not cost a stat() per file on every search (100,000 of them took seconds): the
// index remembers the directory's mtime, which changes whenever a file is added, removed or renamed (habitat's
// own writes, git checkouts and pulls, editors that save by rename). While it is unchanged a sync reads
// nothing; when it changed, or after `sweepMs`, a full sweep lists and stats every file and reads the changed
// ones. Small knowledge bases are swept every time (it costs less than a millisecond per hundred files), so an
// edit in place is seen at once there; in a large one at the next sweep or `habitat knowledge index`.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { abandonAside, finishAside, openAside, replaceable } from './build-aside.js';
import { changeStamp, type LearningRow, rowOf } from './learning-row.js';
import { type ReadEntry, readEntry } from './read-entry.js';
import { Readers, readerUrl } from './readers.js';
import { betterSqlite3, openReadOnly } from './sqlite-read.js';
import type { Learning } from './types.js';

export const KNOWLEDGE_DB = 'knowledge.db';

/** The learnings table's secondary indexes: a first build drops them and builds each once at the end. */
const INDEXES = `
  CREATE INDEX IF NOT EXISTS learnings_scope ON learnings(scope_kind, scope_name);
  CREATE INDEX IF NOT EXISTS learnings_status ON learnings(status);
`;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, mtime REAL NOT NULL, size INTEGER NOT NULL, id TEXT, error TEXT);
  -- broken() on every search and context: without it a scan of every file's row (~30 ms at 100,000 files)
  CREATE INDEX IF NOT EXISTS files_broken ON files(path) WHERE error IS NOT NULL;
  CREATE TABLE IF NOT EXISTS learnings (
    rowid INTEGER PRIMARY KEY,
    id TEXT UNIQUE NOT NULL,
    path TEXT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    tags TEXT NOT NULL,
    scope_kind TEXT NOT NULL,
    scope_name TEXT,
    status TEXT NOT NULL,
    confidence REAL NOT NULL,
    updated TEXT,
    json TEXT NOT NULL,
    stems TEXT NOT NULL DEFAULT ''
  );
  ${INDEXES}
  CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(title, tags, body, content='learnings', content_rowid='rowid', tokenize='porter unicode61');
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS briefs (
    id INTEGER PRIMARY KEY, time TEXT NOT NULL, run_id TEXT, agent TEXT, project TEXT, tokens INTEGER NOT NULL,
    learnings INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS served (
    brief INTEGER NOT NULL REFERENCES briefs(id) ON DELETE CASCADE, learning TEXT NOT NULL, rank INTEGER NOT NULL,
    tokens INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS served_learning ON served(learning);
`;

/**
 * The index's layout (PRAGMA user_version). An index of another version is rebuilt from the files: it is derived
 * data (the served record and cached vectors are kept). 2: learnings.stems; 3: an index on status; 4: files.error
 * (a file that does not parse, named on every read, not only by the sync that found it); 5: an index of the
 * files that do not parse.
 */
const SCHEMA_VERSION = 5;
/** Tables rebuilt from the files when the layout changes. */
const DERIVED = ['fts', 'learnings', 'files'];
/** meta's keys that describe the derived tables (the rest would be kept by a rebuild) */
const DERIVED_META = ['dir', 'dirMtime', 'dirCheckedAt', 'sweptAt', 'count'];

export { stemsOf } from './learning-row.js';

const STATEMENTS = {
  rowOf: 'SELECT rowid, title, tags, body FROM learnings WHERE id = ?',
  pathOf: 'SELECT path FROM learnings WHERE id = ?',
  get: 'SELECT json FROM learnings WHERE id = ? OR id = ?',
  count: 'SELECT count(*) AS n FROM learnings',
  hasStatus: 'SELECT 1 AS y FROM learnings WHERE status = ? LIMIT 1',
  df: 'SELECT count(*) AS n FROM (SELECT 1 FROM fts WHERE fts MATCH ? LIMIT ?)',
  meta: 'SELECT value FROM meta WHERE key = ?',
  insert: `INSERT INTO learnings (id, path, title, body, tags, scope_kind, scope_name, status, confidence, updated, json, stems)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ftsInsert: 'INSERT INTO fts (rowid, title, tags, body) VALUES (?, ?, ?, ?)',
  ftsDelete: "INSERT INTO fts (fts, rowid, title, tags, body) VALUES ('delete', ?, ?, ?, ?)",
  delete: 'DELETE FROM learnings WHERE rowid = ?',
  deleteId: 'DELETE FROM learnings WHERE id = ?',
  file: 'INSERT OR REPLACE INTO files (path, mtime, size, id, error) VALUES (?, ?, ?, ?, ?)',
  fileId: 'SELECT id FROM files WHERE path = ?',
  fileDelete: 'DELETE FROM files WHERE path = ?',
  filesOf: 'SELECT path FROM files WHERE id IN (SELECT value FROM json_each(?))',
  setMeta: 'INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)',
  deleteMeta: 'DELETE FROM meta WHERE key = ?',
};

/** Up to this many indexed files, every sync is a full sweep. */
const ALWAYS_SWEEP_FILES = 2000;
/** In a larger knowledge base, a full sweep at least this often (in-place edits show up by then). */
const DEFAULT_SWEEP_MS = 10 * 60_000;
/** A first build of more files than this keeps no stems (see readChanged). */
const STEM_BULK = 5000;
/** Files read, parsed and written per transaction: bounded memory for any number of files. */
const BATCH = 200;
/** A first build of this many files or more reads them on reader threads (readers.ts). */
const READERS_FROM = 2000;
/**
 * A directory mtime is trusted to say "nothing was added, removed or renamed since" only when the sweep that
 * recorded it began at least this long after it: timestamps are coarse (a kernel tick on ext4, 1-2 s on some
 * file systems), so a change in the same tick as a sweep's listing may leave the mtime as it was.
 */
const RACY_MS = 2000;

export interface SyncReport {
  files: number;
  added: number;
  updated: number;
  removed: number;
  errors: string[];
  /** `skipped`: the directory had not changed since the last sweep; `swept`: every file was checked */
  mode: 'skipped' | 'swept';
}

export interface SyncOptions {
  /** list and stat every file even when the directory looks unchanged (`habitat knowledge index`) */
  full?: boolean;
  /** in large knowledge bases, sweep at least this often (default 10 minutes) */
  sweepMs?: number;
  /** up to this many indexed files every sync sweeps (default 2,000) */
  sweepBelow?: number;
  /**
   * A first build of at least `from` files (default 2,000) reads them on reader threads, the module at `url`
   * (default: `learning-reader.js` beside this module, in a build; from the sources there is none: one thread).
   * For tests and benchmarks.
   */
  readers?: { url?: URL; from?: number; threads?: number };
}

interface Changed {
  file: string;
  /** change stamp and size; undefined in a first build until readChanged stats the file */
  mtime?: number;
  size?: number;
}

interface Survey {
  report: SyncReport;
  dirMtime: number | undefined;
  /** when the survey began (before the directory was listed) */
  startedAt: number;
  known: number;
  changed: Changed[];
  gone: { path: string; id: string | null }[];
  /** whether a sync would write anything */
  writes: boolean;
}

/** The index database; the markdown files stay the truth. */
export class KnowledgeIndex {
  private connection!: Database.Database;
  private stmt!: Record<keyof typeof STATEMENTS, Database.Statement>;
  private syncedDir: { dir: string; mtime: number } | undefined;

  get db(): Database.Database {
    return this.connection;
  }

  /** `db`: a connection opened already (openKnowledgeIfCurrent's read-only one); it is read as it is. */
  constructor(file: string, options: { readonly?: boolean; db?: Database.Database } = {}) {
    this.use(options.db ?? new (betterSqlite3())(file, { readonly: options.readonly ?? false }));
    if (!options.readonly && !options.db) {
      // Opening an index that is already current runs one pragma: no schema statements to parse.
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version !== SCHEMA_VERSION) {
        this.db.pragma('journal_mode = WAL');
        this.db.transaction(() => {
          if (version !== 0) {
            for (const table of DERIVED) this.db.exec(`DROP TABLE IF EXISTS ${table}`);
            this.db.exec(
              "DELETE FROM meta WHERE key IN ('dir', 'dirMtime', 'dirCheckedAt', 'sweptAt', 'count')",
            );
          }
          this.db.exec(SCHEMA);
          this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
        })();
      }
      this.db.pragma('synchronous = NORMAL');
    }
  }

  /** Work on `db` from now on (a first build swaps in the file it builds, then the file renamed). */
  private use(db: Database.Database): void {
    this.connection = db;
    // Each statement is prepared on first use: a search uses a handful of the ones a sync or a write needs.
    const stmt: Record<string, Database.Statement> = {};
    for (const [name, sql] of Object.entries(STATEMENTS)) {
      let prepared: Database.Statement | undefined;
      Object.defineProperty(stmt, name, { get: () => (prepared ??= db.prepare(sql)) });
    }
    this.stmt = stmt as typeof this.stmt;
    this.cache.clear();
    this.frequencies.clear();
    this.total = undefined;
  }

  private readonly cache = new Map<string, Database.Statement>();
  /** A statement for SQL built at run time (a search's ranking query), prepared once per connection. */
  prepared(sql: string): Database.Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }

  private readonly frequencies = new Map<string, number>();
  private total: number | undefined;

  /**
   * How many learnings contain `term`, counted up to `cap` (past it the exact number does not matter to the
   * caller, and counting stops early). Cached until the next write.
   */
  documentFrequency(term: string, cap = Number.MAX_SAFE_INTEGER): number {
    const key = `${cap}:${term}`;
    let n = this.frequencies.get(key);
    if (n === undefined) {
      // Counted by MATCH, stopping at `cap`: the rows read are min(df, cap). fts5vocab's count reads a term's
      // whole doclist (36 terms at 100,000 learnings: 20-34 ms by fts5vocab, 3-4 ms by MATCH with cap 502), and
      // it was looked up by the JavaScript stem, which is not always FTS5's (digits: "term1e").
      n = (this.stmt.df.get(`"${term.replace(/"/g, '""')}"`, cap) as { n: number }).n;
      this.frequencies.set(key, n);
    }
    return n;
  }

  /** Whether any learning has this status (one index lookup). */
  hasStatus(status: string): boolean {
    return this.stmt.hasStatus.get(status) !== undefined;
  }

  /**
   * Number of learnings (cached until the next write). Kept in meta by the writes that end a sync or record a
   * file (any other put or remove drops it): count(*) reads a whole index, ~3-7 ms at 100,000 learnings.
   */
  size(): number {
    if (this.total === undefined) {
      // (a first build's rows, put with `fresh`, leave it alone: that sync stores the count when it ends)
      const stored = Number(this.meta('count') ?? Number.NaN);
      this.total = Number.isInteger(stored) ? stored : this.count();
    }
    return this.total;
  }

  private storeCount(): void {
    this.total = this.count();
    this.stmt.setMeta.run('count', String(this.total));
  }

  /** Put a learning in the index (replacing its previous version). */
  /** Index a learning; returns the file of the learning of the same id it replaced, if any. */
  put(
    learning: Learning,
    options: { fts?: boolean; fresh?: boolean; stems?: boolean } = {},
  ): string | undefined {
    return this.putRow(rowOf(learning, options.stems !== false), options);
  }

  /** put() of a learning as its row (learning-row.ts), which a reader thread may have built. */
  private putRow(row: LearningRow, options: { fts?: boolean; fresh?: boolean }): string | undefined {
    this.frequencies.clear();
    this.total = undefined;
    const [id, , title, body, tags] = row;
    let replaced: string | undefined;
    if (!options.fresh) {
      replaced = (this.stmt.pathOf.get(id) as { path: string | null } | undefined)?.path ?? undefined;
      this.remove(id);
    }
    let info: Database.RunResult;
    try {
      info = this.stmt.insert.run(...row);
    } catch (error) {
      // Two files with the same id (a copy): the last one read wins, as in a normal sync.
      if (!options.fresh || (error as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error;
      replaced = (this.stmt.pathOf.get(id) as { path: string | null } | undefined)?.path ?? undefined;
      // (in a first build the rows have no FTS entries yet: an FTS 'delete' of one would corrupt the index)
      if (options.fts === false) this.stmt.deleteId.run(id);
      else this.remove(id);
      info = this.stmt.insert.run(...row);
    }
    if (options.fts !== false) this.stmt.ftsInsert.run(info.lastInsertRowid, title, tags, body);
    return replaced;
  }

  remove(id: string): void {
    this.frequencies.clear();
    this.total = undefined;
    this.stmt.deleteMeta.run('count');
    const row = this.stmt.rowOf.get(id) as
      | { rowid: number; title: string; tags: string; body: string }
      | undefined;
    if (!row) return;
    this.stmt.ftsDelete.run(row.rowid, row.title, row.tags, row.body);
    this.stmt.delete.run(row.rowid);
  }

  get(id: string): Learning | undefined {
    const row = this.stmt.get.get(id, `k-${id}`) as { json: string } | undefined;
    return row ? (JSON.parse(row.json) as Learning) : undefined;
  }

  all(options: { status?: string } = {}): Learning[] {
    const rows = this.db
      .prepare('SELECT json FROM learnings WHERE (@status IS NULL OR status = @status) ORDER BY updated DESC')
      .all({ status: options.status ?? null }) as { json: string }[];
    return rows.map((r) => JSON.parse(r.json) as Learning);
  }

  count(): number {
    return (this.stmt.count.get() as { n: number }).n;
  }

  private meta(key: string): string | undefined {
    return (this.stmt.meta.get(key) as { value: string } | undefined)?.value;
  }

  /**
   * What a sync of `dir` would do, read without writing anything: `skipped` (the directory has not changed since
   * a sweep), or the files to read and drop, and whether the sweep would write at all.
   */
  private survey(dir: string, options: SyncOptions): Survey {
    const report: SyncReport = { files: 0, added: 0, updated: 0, removed: 0, errors: [], mode: 'swept' };
    const startedAt = Date.now();
    const dirMtime = mtimeOf(dir);
    const known = this.size();
    const storedDir = this.meta('dir');
    const storedMtime = Number(this.meta('dirMtime'));
    const checkedAt = Number(this.meta('dirCheckedAt') ?? this.meta('sweptAt') ?? 0);
    const unchanged =
      storedDir === dir &&
      dirMtime !== undefined &&
      storedMtime === dirMtime &&
      checkedAt - dirMtime >= RACY_MS &&
      startedAt - Number(this.meta('sweptAt') ?? 0) < (options.sweepMs ?? DEFAULT_SWEEP_MS);
    if (!options.full && unchanged && known > (options.sweepBelow ?? ALWAYS_SWEEP_FILES))
      return {
        report: { ...report, files: known, mode: 'skipped' },
        dirMtime,
        startedAt,
        known,
        changed: [],
        gone: [],
        writes: false,
      };
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.md') && n !== 'README.md');
    } catch {
      // no knowledge dir yet
    }
    const indexed = new Map(
      (
        this.db.prepare('SELECT path, mtime, size, id FROM files').all() as {
          path: string;
          mtime: number;
          size: number;
          id: string | null;
        }[]
      ).map((r) => [r.path, r]),
    );
    const changed: Changed[] = [];
    // `<dir>/` as path.join writes it, then + name (a directory entry is one plain segment): path.join's own
    // result strings held ~480 bytes each, 46 MB for 100,000 paths.
    const prefix = path.join(dir, '_').slice(0, -1);
    if (known === 0 && indexed.size === 0 && names.length > BATCH) {
      // A first build: every file is new, so none is stat()ed here; readChanged does it a batch at a time
      // (no list of 100,000 stats held at once), in name order (the files table's key grows at its end).
      for (const name of names.sort()) changed.push({ file: prefix + name });
      report.files = report.added = changed.length;
      return { report, dirMtime, startedAt, known, changed, gone: [], writes: true };
    }
    for (const name of names) {
      const file = prefix + name;
      report.files++;
      let info: { mtimeMs: number; ctimeMs: number; size: number } | undefined;
      try {
        info = statSync(file);
      } catch {
        continue; // removed meanwhile
      }
      const prev = indexed.get(file);
      indexed.delete(file);
      const stamp = changeStamp(info);
      if (prev && prev.mtime === stamp && prev.size === info.size) continue;
      changed.push({ file, mtime: stamp, size: info.size });
      if (prev) report.updated++;
      else report.added++;
    }
    // A sweep that found nothing to do writes nothing, unless the sweep time matters (a large knowledge base):
    // small ones sweep on every call, and a write per search would cost more than the sweep.
    const nothing =
      changed.length === 0 &&
      indexed.size === 0 &&
      storedDir === dir &&
      storedMtime === (dirMtime ?? 0) &&
      report.files <= (options.sweepBelow ?? ALWAYS_SWEEP_FILES);
    return { report, dirMtime, startedAt, known, changed, gone: [...indexed.values()], writes: !nothing };
  }

  /** Whether the index answers for `dir` as it is: a sync would change nothing (it writes nothing). */
  current(dir: string, options: SyncOptions = {}): boolean {
    return !this.survey(dir, options).writes;
  }

  /** Bring the index up to date with `dir`: new and changed files read, vanished ones dropped. */
  async sync(dir: string, options: SyncOptions = {}): Promise<SyncReport> {
    const survey = this.survey(dir, options);
    if (survey.report.mode === 'skipped') {
      this.syncedDir = { dir, mtime: survey.dirMtime! };
      return survey.report;
    }
    // Into an empty index, rows go in first and FTS5 builds its index once from them at the end ('rebuild'):
    // one pass over all the text instead of a segment per transaction to merge later.
    const bulk = survey.known === 0 && survey.changed.length > BATCH;
    // ... into a file of its own when the index holds nothing yet, renamed over it at the end (build-aside.ts)
    const target = bulk && replaceable(this.db, DERIVED_META) ? this.db.name : undefined;
    if (target) {
      this.db.close();
      this.use(openAside(target, SCHEMA, SCHEMA_VERSION));
    }
    try {
      await this.apply(dir, survey, bulk, options);
    } catch (error) {
      if (target) {
        abandonAside(this.db);
        this.use(new (betterSqlite3())(target));
      }
      throw error;
    }
    if (target) this.use(finishAside(this.db, target));
    if (survey.dirMtime !== undefined) this.syncedDir = { dir, mtime: survey.dirMtime };
    return survey.report;
  }

  /** The writes of a sync. */
  private async apply(dir: string, survey: Survey, bulk: boolean, options: SyncOptions): Promise<void> {
    const { report, dirMtime, startedAt, changed, gone, writes } = survey;
    // A large first build reads on other threads meanwhile (readers.ts), in a build (not from the sources).
    const url =
      bulk && changed.length >= (options.readers?.from ?? READERS_FROM)
        ? (options.readers?.url ?? readerUrl())
        : undefined;
    const readers = url
      ? new Readers(
          url,
          changed.map((c) => c.file),
          { batch: BATCH, stems: changed.length <= STEM_BULK, threads: options.readers?.threads },
        )
      : undefined;
    // ... and in one transaction: a commit per batch made SQLite checkpoint the WAL again and again.
    if (bulk)
      this.db.exec('BEGIN; DROP INDEX IF EXISTS learnings_scope; DROP INDEX IF EXISTS learnings_status;');
    try {
      await this.readChanged(changed, report, bulk, readers);
      // ... and the secondary indexes are built once, from the rows (one sort instead of a B-tree insert a row)
      if (bulk) this.db.exec(`${INDEXES} COMMIT;`);
    } finally {
      readers?.close();
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
    }
    // Files left holding the id of a removed file's learning (the original of a deleted copy): read again.
    const revive: Changed[] = [];
    const removedIds: string[] = [];
    if (writes)
      this.db.transaction(() => {
        for (const g of gone) {
          // A renamed file (git mv) was read under its new path above: its learning is not the old path's any more.
          const now = g.id ? (this.stmt.pathOf.get(g.id) as { path: string | null } | undefined) : undefined;
          if (g.id && (now?.path == null || now.path === g.path)) {
            this.remove(g.id);
            removedIds.push(g.id);
          }
          this.stmt.fileDelete.run(g.path);
          report.removed++;
        }
        // one scan of the files table for all of them (it has no index on id)
        if (removedIds.length)
          for (const other of this.stmt.filesOf.all(JSON.stringify(removedIds)) as { path: string }[])
            revive.push({ file: other.path });
        this.stmt.setMeta.run('dir', dir);
        this.stmt.setMeta.run('dirMtime', String(dirMtime ?? 0));
        // when the listing began: the directory's mtime is trusted only if it was older than that (RACY_MS)
        this.stmt.setMeta.run('dirCheckedAt', String(startedAt));
        this.stmt.setMeta.run('sweptAt', String(Date.now()));
        this.storeCount();
      })();
    if (revive.length) await this.readChanged(revive, report, false);
    if (bulk) this.db.exec("INSERT INTO fts(fts) VALUES('rebuild')");
    // Many inserts leave FTS5 with many small segments, and every query reads all of them: merge them once
    // (a cold search at 100,000 learnings went from ~110 ms to ~30 ms).
    else if (report.added + report.updated > 1000) this.db.exec("INSERT INTO fts(fts) VALUES('optimize')");
  }

  /** Read, parse and index changed files, a batch at a time (bounded memory for any number of files). */
  private async readChanged(
    changed: Changed[],
    report: SyncReport,
    bulk: boolean,
    readers?: Readers,
  ): Promise<void> {
    // Stemming every learning costs ~20 µs of JavaScript each: a third more CPU for a first build of 100,000.
    // Past STEM_BULK files a first build leaves it to the query (search stems a candidate without them).
    const stems = !bulk || changed.length <= STEM_BULK;
    for (let i = 0, b = 0; i < changed.length; i += BATCH, b++) {
      const part = changed.slice(i, i + BATCH);
      // (readers: the reader threads read this batch meanwhile, from the same list in the same order)
      const entries = readers ? await readers.take(b) : part.map((c) => readEntry(c.file, stems));
      const batch: (ReadEntry & { gone?: undefined; parseError?: string })[] = [];
      entries.forEach((e, j) => {
        if (!e.gone) batch.push(e);
        // a first build counted every listed file as added; a sweep stat()ed it a moment ago
        else if (part[j]!.mtime === undefined) {
          report.files--;
          report.added--;
        } else report.errors.push(`${e.file}: removed while the index was being updated`);
      });
      // Files not in habitat's own format (edited by hand): the YAML parser and zod, loaded only then.
      if (batch.some((e) => e.text !== undefined)) {
        const { parseLearning } = await import('./files.js');
        for (const e of batch) {
          if (e.text === undefined) continue;
          try {
            e.row = rowOf(parseLearning(e.text, e.file), stems);
          } catch (error) {
            // the YAML parser's messages name a line, not the file
            const message = (error as Error).message;
            e.parseError = message.includes(e.file) ? message : `${e.file}: ${message}`;
            report.errors.push(e.parseError);
          }
        }
      }
      this.db.transaction(() => {
        for (const e of batch) {
          if (e.error !== undefined) {
            report.errors.push(`${e.file}: ${e.error}`);
            continue;
          }
          if (e.row) {
            const replaced = this.putRow(e.row, { fts: !bulk, fresh: bulk });
            // Two files with one id (a file copied as a template): only one can be served; say which. A renamed
            // file's old path is gone by now, so a rename is not named here.
            if (replaced && replaced !== e.file && existsSync(replaced))
              report.errors.push(
                `${e.file}: its id ${e.row[0]} is also the id of ${replaced}; only this file's learning is served. Give one of them another id`,
              );
          }
          // A file that no longer parses keeps the id it had: its last good version is still served (and said to
          // be, see `broken`), and goes when the file does.
          const id =
            e.row?.[0] ??
            (e.parseError
              ? ((this.stmt.fileId.get(e.file) as { id: string | null } | undefined)?.id ?? null)
              : null);
          this.stmt.file.run(e.file, e.mtime, e.size, id, e.parseError ?? null);
        }
      })();
    }
  }

  /**
   * The learning files that do not parse (as of the last sync), each with what is wrong (file:line first) and
   * the learning still served from its last good version, if any. Read-only: the fast path reports them too.
   */
  broken(): Array<{ file: string; id: string | null; error: string }> {
    return (
      this.db.prepare('SELECT path, id, error FROM files WHERE error IS NOT NULL ORDER BY path').all() as {
        path: string;
        id: string | null;
        error: string;
      }[]
    ).map((r) => ({ file: r.path, id: r.id, error: r.error }));
  }

  /** Record a file this process just wrote, so the next sync does not read it again. */
  noteWritten(file: string, learning: Learning): void {
    const info = statSync(file);
    const dir = path.dirname(file);
    this.db.transaction(() => {
      this.put(learning);
      this.stmt.file.run(file, changeStamp(info), info.size, learning.id, null);
      this.storeCount();
      // The directory changed because of this write: when the index was in sync with it before, it still is.
      const stored = Number(this.meta('dirMtime'));
      if (this.syncedDir?.dir === dir && this.meta('dir') === dir && stored === this.syncedDir.mtime) {
        const now = mtimeOf(dir);
        if (now !== undefined) {
          this.stmt.setMeta.run('dirMtime', String(now));
          // Our own write is trusted at once, as a sweep's listing would be (RACY_MS): a write by another
          // process in the same timestamp tick is seen at the next sweep.
          this.stmt.setMeta.run('dirCheckedAt', String(now + RACY_MS));
          this.syncedDir = { dir, mtime: now };
        }
      }
    })();
  }

  close(): void {
    this.db.close();
  }
}

function mtimeOf(dir: string): number | undefined {
  try {
    return statSync(dir).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * `<stateDir>/knowledge.db` opened read-only when it answers for `knowledgeDir` as it is — its layout is this
 * code's and a sync would write nothing — else undefined (then openKnowledge syncs it). A read-only open runs
 * one pragma and no schema statements, and uses node:sqlite where it loads quietly (sqlite-read.ts).
 */
export function openKnowledgeIfCurrent(
  options: { stateDir: string; knowledgeDir: string } & SyncOptions,
): KnowledgeIndex | undefined {
  const file = path.join(options.stateDir, KNOWLEDGE_DB);
  if (!existsSync(file)) return undefined;
  let db: Database.Database | undefined;
  try {
    db = openReadOnly(file);
    if (db.pragma('user_version', { simple: true }) !== SCHEMA_VERSION) {
      db.close();
      return undefined;
    }
    const index = new KnowledgeIndex(file, { db });
    if (index.current(options.knowledgeDir, options)) return index;
  } catch {
    // locked, damaged, a layout being rebuilt: the read-write open deals with it
  }
  db?.close();
  return undefined;
}

/** Open `<stateDir>/knowledge.db` and sync it with `knowledgeDir`. */
export async function openKnowledge(
  options: {
    stateDir: string;
    knowledgeDir: string;
  } & SyncOptions,
): Promise<{ index: KnowledgeIndex; report: SyncReport }> {
  await mkdir(options.stateDir, { recursive: true });
  const index = new KnowledgeIndex(path.join(options.stateDir, KNOWLEDGE_DB));
  const report = await index.sync(options.knowledgeDir, options);
  return { index, report };
}
