import { createHash as hash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { handleClaudeRecord, type ParseStats, parseClaudeFile } from './claude.js';
import { parseCodexFile } from './codex.js';
import { indexCursorDb } from './cursor.js';
import { discoverFiles, resolveSources, type SourceFile } from './discover.js';
import { readLines } from './lines.js';
import { createRedactor } from './redact.js';
import { type DB, deleteSource, openDatabase } from './store.js';
import type { SessionSources } from './types.js';
import { Writer } from './writer.js';

/** The part of a pino logger the indexer uses (pass a `pino.Logger`). */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface IndexOptions {
  /** the sessions database (default `<stateDir>/sessions.db`) */
  dbPath?: string;
  /** habitat state dir: holds `sessions.db`; its `claude/*` homes and `logs/` are indexed */
  stateDir?: string;
  /** where to look (defaults added unless `defaults: false`) */
  sources?: SessionSources;
  /** credential values to redact (e.g. `readCredentialValues(agent)` for every agent) */
  secrets?: string[];
  logger?: Logger;
}

export interface IndexReport {
  /** session files found */
  files: number;
  /** read for the first time */
  added: number;
  /** read on from their last offset */
  appended: number;
  /** rewritten (shrunk or head changed) and read again whole */
  reindexed: number;
  unchanged: number;
  /** sources gone from disk, removed from the index */
  pruned: number;
  events: number;
  malformed: number;
  unknown: number;
  /** files that could not be read: reported, never fatal */
  errors: Array<{ path: string; message: string }>;
  durationMs: number;
}

interface SourceRow {
  path: string;
  kind: string;
  size: number;
  mtime_ms: number;
  offset: number;
  head_hash: string | null;
  lines: number;
  session_sid: number | null;
}

const HEAD = 4096;

/** Bring the index up to date with every source: new files read, grown files read on, gone ones pruned. */
export function indexSessions(options: IndexOptions): IndexReport {
  const started = performance.now();
  const dbPath = options.dbPath ?? (options.stateDir ? join(options.stateDir, 'sessions.db') : undefined);
  if (!dbPath) throw new Error('indexSessions needs dbPath or stateDir');
  const db = openDatabase(dbPath);
  try {
    return runIndex(db, options, started);
  } finally {
    db.close();
  }
}

function runIndex(db: DB, options: IndexOptions, started: number): IndexReport {
  const roots = resolveSources({
    ...options.sources,
    stateDir: options.sources?.stateDir ?? options.stateDir,
  });
  const files = discoverFiles(roots);
  const report: IndexReport = {
    files: files.length,
    added: 0,
    appended: 0,
    reindexed: 0,
    unchanged: 0,
    pruned: 0,
    events: 0,
    malformed: 0,
    unknown: 0,
    errors: [],
    durationMs: 0,
  };
  const redactor = createRedactor({ secrets: options.secrets });
  const writer = new Writer(db, redactor);
  const sources = new Map<string, SourceRow>();
  for (const row of db.prepare('SELECT * FROM sources').all() as SourceRow[]) sources.set(row.path, row);
  const eventsBefore = db.prepare('SELECT coalesce(max(id), 0) FROM events').pluck().get() as number;
  const cold = eventsBefore === 0;
  if (cold) db.pragma('synchronous = OFF');
  const upsertSource = db.prepare(
    `INSERT INTO sources (path, kind, size, mtime_ms, offset, head_hash, lines, session_sid, malformed, unknown)
     VALUES (@path, @kind, @size, @mtime_ms, @offset, @head_hash, @lines, @session_sid, @malformed, @unknown)
     ON CONFLICT (path) DO UPDATE SET size=excluded.size, mtime_ms=excluded.mtime_ms, offset=excluded.offset,
       head_hash=excluded.head_hash, lines=excluded.lines, session_sid=excluded.session_sid,
       malformed=sources.malformed + excluded.malformed, unknown=sources.unknown + excluded.unknown`,
  );
  const seen = new Set<string>();
  // habitat logs last: they link to Claude sessions indexed in the same pass
  const ordered = [
    ...files.filter((f) => f.kind !== 'habitat-log'),
    ...files.filter((f) => f.kind === 'habitat-log'),
  ];
  for (const file of ordered) {
    seen.add(file.path);
    try {
      if (file.kind === 'cursor') {
        const r = indexCursorDb(db, writer, file.path, sources, seen);
        report.added += r.added;
        report.reindexed += r.reindexed;
        report.unchanged += r.unchanged;
        report.pruned += r.pruned;
        continue;
      }
      const st = statSync(file.path);
      const prev = sources.get(file.path);
      if (file.kind === 'habitat-log') linkRun(db, file);
      if (prev && prev.size === st.size && prev.mtime_ms === st.mtimeMs) {
        report.unchanged++;
        continue;
      }
      let start = 0;
      let lines = 0;
      let rewrite = false;
      if (prev) {
        const [len, digest] = (prev.head_hash ?? '0:').split(':');
        if (st.size < prev.offset || headHash(file.path, Number(len)) !== digest) rewrite = true;
        else {
          start = prev.offset;
          lines = prev.lines;
        }
      }
      if (file.kind === 'habitat-log' && !prev && runHasTranscript(db, file)) {
        // the run's Claude transcript is indexed: the log would count the same work twice
        upsertSource.run({
          path: file.path,
          kind: file.kind,
          size: st.size,
          mtime_ms: st.mtimeMs,
          offset: st.size,
          head_hash: null,
          lines: 0,
          session_sid: null,
          malformed: 0,
          unknown: 0,
        });
        report.unchanged++;
        continue;
      }
      db.transaction(() => {
        if (rewrite) deleteSource(db, file.path);
        const stats = parseFile(db, writer, file, start, lines);
        const headLen = Math.min(stats.offset, HEAD);
        upsertSource.run({
          path: file.path,
          kind: file.kind,
          size: st.size,
          mtime_ms: st.mtimeMs,
          offset: stats.offset,
          head_hash: `${headLen}:${headHash(file.path, headLen)}`,
          lines: stats.lines,
          session_sid: stats.sid,
          malformed: stats.malformed,
          unknown: stats.unknown,
        });
        report.malformed += stats.malformed;
        report.unknown += stats.unknown;
      })();
      if (rewrite) report.reindexed++;
      else if (prev) report.appended++;
      else report.added++;
    } catch (error) {
      report.errors.push({ path: file.path, message: (error as Error).message });
      options.logger?.warn({ path: file.path, err: error }, 'session source skipped');
    }
  }
  // vanished sources
  for (const row of sources.values()) {
    if (seen.has(row.path)) continue;
    const file = row.path.split('#')[0] as string;
    // a Cursor composer (`state.vscdb#id`) is pruned by the pass over its database when that database was read
    if (row.path.includes('#') && seen.has(file)) continue;
    if (existsSync(file)) continue;
    db.transaction(() => deleteSource(db, row.path))();
    report.pruned++;
  }
  finishPass(db);
  // a bulk build leaves many FTS segments; merging them now keeps the next small append and searches fast
  const added =
    (db.prepare('SELECT coalesce(max(id), 0) FROM events').pluck().get() as number) - eventsBefore;
  if (added > 20_000) db.exec("INSERT INTO events_fts (events_fts) VALUES ('optimize')");
  if (cold) db.pragma('synchronous = NORMAL');
  report.events =
    (db.prepare('SELECT coalesce(max(id), 0) FROM events').pluck().get() as number) - eventsBefore;
  report.durationMs = Math.round(performance.now() - started);
  options.logger?.info(report, 'sessions indexed');
  return report;
}

function parseFile(
  db: DB,
  writer: Writer,
  file: SourceFile,
  start: number,
  lines: number,
): ParseStats & { sid: number } {
  const stem = basename(file.path).replace(/\.(jsonl|log)$/, '');
  if (file.kind === 'codex') {
    const w = writer.open(`codex:${stem.replace(/^rollout-/, '')}`, 'codex', file.path);
    const stats = parseCodexFile(file.path, start, w, lines);
    return finish(w, stats);
  }
  if (file.kind === 'habitat-log') {
    const runId = stem.split('-').pop() ?? stem;
    const w = writer.open(`run:${runId}`, 'habitat', file.path);
    w.row.agent = file.agent ?? null;
    w.row.run_id = runId;
    const record = readRunRecord(file.path);
    if (record?.startedAt) w.fallbackTs = Date.parse(record.startedAt);
    const stats: ParseStats = { offset: start, lines, malformed: 0, unknown: 0 };
    stats.offset = readLines(file.path, start, (line) => {
      stats.lines++;
      if (!line.startsWith('{')) {
        w.event({ ts: w.fallbackTs, role: 'system', kind: 'system', text: line });
        return;
      }
      try {
        const rec = JSON.parse(line) as Record<string, unknown>;
        if (!w.row.title && typeof rec.session_id === 'string') w.row.title = null;
        if (!handleClaudeRecord(rec, w, stats.lines)) stats.unknown++;
      } catch {
        stats.malformed++;
      }
    });
    return finish(w, stats);
  }
  if (file.kind === 'claude-subagent') {
    const parent = basename(dirname(dirname(file.path)));
    const w = writer.open(`${parent}/${stem}`, 'claude', file.path);
    w.row.parent_id = parent;
    w.row.agent_id = stem.replace(/^agent-/, '');
    w.row.agent = file.agent ?? null;
    const meta = readJson(file.path.replace(/\.jsonl$/, '.meta.json'));
    if (meta) {
      const toolUseId = firstString(meta, [
        'toolUseId',
        'toolUseID',
        'parentToolUseId',
        'parentToolUseID',
        'tool_use_id',
      ]);
      if (toolUseId) w.row.parent_tool_use_id = toolUseId;
      const title = firstString(meta, ['description', 'agentType', 'subagent_type', 'name']);
      if (title && !w.row.title) w.row.title = title;
    }
    if (!w.row.project) w.row.project = projectFromDir(dirname(dirname(dirname(file.path))));
    const stats = parseClaudeFile(file.path, start, w, lines);
    return finish(w, stats);
  }
  const w = writer.open(stem, 'claude', file.path);
  w.row.agent = file.agent ?? null;
  if (!w.row.project) w.row.project = projectFromDir(dirname(file.path));
  const stats = parseClaudeFile(file.path, start, w, lines);
  void db;
  return finish(w, stats);
}

function finish(w: import('./writer.js').SessionWriter, stats: ParseStats): ParseStats & { sid: number } {
  w.row.malformed += stats.malformed;
  w.row.unknown += stats.unknown;
  w.finish();
  return { ...stats, sid: w.sid };
}

/** After a pass: subagents linked to their Task calls, runs to sessions, new events into the FTS index. */
function finishPass(db: DB): void {
  db.transaction(() => {
    db.exec(`
      UPDATE sessions SET parent_tool_use_id = (SELECT l.tool_use_id FROM agent_links l WHERE l.agent_id = sessions.agent_id)
        WHERE agent_id IS NOT NULL AND parent_tool_use_id IS NULL;
      UPDATE sessions SET agent = coalesce(sessions.agent, runs.agent), run_id = runs.run_id
        FROM runs WHERE runs.session_id = sessions.id AND sessions.run_id IS NULL;
      UPDATE sessions SET agent = (SELECT p.agent FROM sessions p WHERE p.id = sessions.parent_id),
        run_id = (SELECT p.run_id FROM sessions p WHERE p.id = sessions.parent_id)
        WHERE parent_id IS NOT NULL AND run_id IS NULL;
    `);
    const from =
      (db.prepare("SELECT value FROM meta WHERE key = 'fts_max'").pluck().get() as number | undefined) ?? 0;
    const to = db.prepare('SELECT coalesce(max(id), 0) FROM events').pluck().get() as number;
    if (to > from) {
      db.prepare(
        `INSERT INTO events_fts (rowid, text, thinking, input) SELECT id, text, thinking, input FROM events
         WHERE id > ? AND (text IS NOT NULL OR thinking IS NOT NULL OR input IS NOT NULL)`,
      ).run(from);
      db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('fts_max', ?)").run(to);
    }
  })();
}

interface RunRecordFile {
  runId?: string;
  agent?: string;
  status?: string;
  startedAt?: string;
  endedAt?: string;
  summary?: { sessionId?: string; costUsd?: number };
}

function readRunRecord(logPath: string): RunRecordFile | undefined {
  return readJson(logPath.replace(/\.log$/, '.json')) as RunRecordFile | undefined;
}

/** Record the run beside a log (`<stamp>-<runId>.json`) and link its Claude session. */
function linkRun(db: DB, file: SourceFile): void {
  const record = readRunRecord(file.path);
  if (!record) return;
  const runId = record.runId ?? basename(file.path, '.log').split('-').pop();
  if (!runId) return;
  db.prepare(
    `INSERT OR REPLACE INTO runs (run_id, agent, session_id, log_path, status, started_ts, ended_ts, cost_usd)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    runId,
    record.agent ?? file.agent ?? '',
    record.summary?.sessionId ?? null,
    file.path,
    record.status ?? null,
    record.startedAt ? Date.parse(record.startedAt) : null,
    record.endedAt ? Date.parse(record.endedAt) : null,
    record.summary?.costUsd ?? null,
  );
}

function runHasTranscript(db: DB, file: SourceFile): boolean {
  const record = readRunRecord(file.path);
  const sessionId = record?.summary?.sessionId;
  if (!sessionId) return false;
  return db.prepare("SELECT 1 FROM sessions WHERE id = ? AND source = 'claude'").get(sessionId) !== undefined;
}

function headHash(path: string, length: number): string {
  if (length <= 0) return '';
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, 0);
    return hash('sha1').update(buf.subarray(0, n)).digest('hex');
  } finally {
    closeSync(fd);
  }
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function firstString(obj: Record<string, unknown>, keys: string[]): string | undefined {
  for (const k of keys) if (typeof obj[k] === 'string' && obj[k]) return obj[k] as string;
  return undefined;
}

/** `-home-me-src-app` -> `/home/me/src/app` (lossy for paths with dashes: the cwd in records wins). */
function projectFromDir(dir: string): string {
  const name = basename(dir);
  return name.startsWith('-') ? name.replace(/-/g, '/') : name;
}
