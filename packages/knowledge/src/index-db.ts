// The knowledge index: SQLite FTS5 in its own file, rebuilt incrementally from the markdown files.
import { statSync } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parseLearning } from './files.js';
import type { Learning } from './types.js';

export const KNOWLEDGE_DB = 'knowledge.db';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, mtime REAL NOT NULL, size INTEGER NOT NULL, id TEXT);
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
    json TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS learnings_scope ON learnings(scope_kind, scope_name);
  CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(title, tags, body, content='learnings', content_rowid='rowid', tokenize='porter unicode61');
`;

export interface SyncReport {
  files: number;
  added: number;
  updated: number;
  removed: number;
  errors: string[];
}

/** The index database; the markdown files stay the truth. */
export class KnowledgeIndex {
  readonly db: Database.Database;
  private readonly upsertRow;
  private readonly deleteRow;
  private readonly rowOf;

  constructor(file: string, options: { readonly?: boolean } = {}) {
    this.db = new Database(file, { readonly: options.readonly ?? false });
    if (!options.readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
    }
    this.rowOf = this.db.prepare('SELECT rowid, title, tags, body FROM learnings WHERE id = ?');
    this.upsertRow = options.readonly
      ? undefined
      : this.db.prepare(
          `INSERT INTO learnings (id, path, title, body, tags, scope_kind, scope_name, status, confidence, updated, json)
           VALUES (@id, @path, @title, @body, @tags, @scope_kind, @scope_name, @status, @confidence, @updated, @json)`,
        );
    this.deleteRow = options.readonly ? undefined : this.db.prepare('DELETE FROM learnings WHERE rowid = ?');
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
      n = (
        this.db
          .prepare('SELECT count(*) AS n FROM (SELECT 1 FROM fts WHERE fts MATCH ? LIMIT ?)')
          .get(`"${term.replace(/"/g, '""')}"`, cap) as { n: number }
      ).n;
      this.frequencies.set(key, n);
    }
    return n;
  }

  /** Number of learnings (cached until the next write). */
  size(): number {
    this.total ??= this.count();
    return this.total;
  }

  /** Put a learning in the index (replacing its previous version). */
  put(learning: Learning): void {
    this.frequencies.clear();
    this.total = undefined;
    this.remove(learning.id);
    const tags = learning.tags.join(' ');
    const info = this.upsertRow!.run({
      id: learning.id,
      path: learning.file ?? null,
      title: learning.title,
      body: learning.body,
      tags,
      scope_kind: learning.scope.kind,
      scope_name: learning.scope.kind === 'org' ? null : learning.scope.name,
      status: learning.status,
      confidence: learning.confidence,
      updated: learning.updated,
      json: JSON.stringify(learning),
    });
    this.db
      .prepare('INSERT INTO fts (rowid, title, tags, body) VALUES (?, ?, ?, ?)')
      .run(info.lastInsertRowid, learning.title, tags, learning.body);
  }

  remove(id: string): void {
    this.frequencies.clear();
    this.total = undefined;
    const row = this.rowOf.get(id) as
      | { rowid: number; title: string; tags: string; body: string }
      | undefined;
    if (!row) return;
    this.db
      .prepare("INSERT INTO fts (fts, rowid, title, tags, body) VALUES ('delete', ?, ?, ?, ?)")
      .run(row.rowid, row.title, row.tags, row.body);
    this.deleteRow!.run(row.rowid);
  }

  get(id: string): Learning | undefined {
    const row = this.db.prepare('SELECT json FROM learnings WHERE id = ? OR id = ?').get(id, `k-${id}`) as
      | { json: string }
      | undefined;
    return row ? (JSON.parse(row.json) as Learning) : undefined;
  }

  all(options: { status?: string } = {}): Learning[] {
    const rows = this.db
      .prepare('SELECT json FROM learnings WHERE (@status IS NULL OR status = @status) ORDER BY updated DESC')
      .all({ status: options.status ?? null }) as { json: string }[];
    return rows.map((r) => JSON.parse(r.json) as Learning);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM learnings').get() as { n: number }).n;
  }

  /** Bring the index up to date with `dir`: new and changed files read, vanished ones dropped. */
  async sync(dir: string): Promise<SyncReport> {
    const report: SyncReport = { files: 0, added: 0, updated: 0, removed: 0, errors: [] };
    let names: string[] = [];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith('.md') && n !== 'README.md');
    } catch {
      // no knowledge dir yet
    }
    const known = new Map(
      (
        this.db.prepare('SELECT path, mtime, size, id FROM files').all() as {
          path: string;
          mtime: number;
          size: number;
          id: string | null;
        }[]
      ).map((r) => [r.path, r]),
    );
    const changed: { file: string; mtime: number; size: number; text: string }[] = [];
    for (const name of names) {
      const file = path.join(dir, name);
      report.files++;
      const info = await stat(file).catch(() => undefined);
      if (!info) continue;
      const prev = known.get(file);
      known.delete(file);
      if (prev && prev.mtime === info.mtimeMs && prev.size === info.size) continue;
      changed.push({ file, mtime: info.mtimeMs, size: info.size, text: await readFile(file, 'utf8') });
      if (prev) report.updated++;
      else report.added++;
    }
    this.db.transaction(() => {
      for (const c of changed) {
        let id: string | null = null;
        try {
          const learning = parseLearning(c.text, c.file);
          this.put(learning);
          id = learning.id;
        } catch (error) {
          report.errors.push((error as Error).message);
        }
        this.db
          .prepare('INSERT OR REPLACE INTO files (path, mtime, size, id) VALUES (?, ?, ?, ?)')
          .run(c.file, c.mtime, c.size, id);
      }
      for (const gone of known.values()) {
        if (gone.id) this.remove(gone.id);
        this.db.prepare('DELETE FROM files WHERE path = ?').run(gone.path);
        report.removed++;
      }
    })();
    return report;
  }

  /** Record a file this process just wrote, so the next sync does not read it again. */
  noteWritten(file: string, learning: Learning): void {
    const info = statSync(file);
    this.db.transaction(() => {
      this.put(learning);
      this.db
        .prepare('INSERT OR REPLACE INTO files (path, mtime, size, id) VALUES (?, ?, ?, ?)')
        .run(file, info.mtimeMs, info.size, learning.id);
    })();
  }

  close(): void {
    this.db.close();
  }
}

/** Open `<stateDir>/knowledge.db` and sync it with `knowledgeDir`. */
export async function openKnowledge(options: {
  stateDir: string;
  knowledgeDir: string;
}): Promise<{ index: KnowledgeIndex; report: SyncReport }> {
  await mkdir(options.stateDir, { recursive: true });
  const index = new KnowledgeIndex(path.join(options.stateDir, KNOWLEDGE_DB));
  const report = await index.sync(options.knowledgeDir);
  return { index, report };
}
