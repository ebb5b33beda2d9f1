import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { basename, dirname, join, sep } from 'node:path';
import type { ParseStats } from './claude.js';
import { codexReadWhole, codexSessionId } from './codex.js';
import { indexCursorDb, readWorkspaceComposers } from './cursor.js';
import { agentChatId } from './cursor-agent.js';
import { discoverFiles, resolveSources, type SourceFile } from './discover.js';
import { type ParseJob, parseJob } from './parse.js';
import { Parser, parserUrl } from './pipeline.js';
import { createRedactor, type Redactor } from './redact.js';
import { acquireIndexLock, type DB, deleteSource, openDatabase, releaseIndexLock } from './store.js';
import type { SessionSources } from './types.js';
import { KeyFilter } from './usage.js';
import { Applier, type Chunk } from './writer.js';

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
  /**
   * 2: parse on a second thread while this one writes the database; 1: all on this thread. Default: 2 when the pass
   * reads 16 MB or more (a cold build) and the load average leaves a core idle, else 1;
   * `HABITAT_SESSIONS_THREADS=1|2` sets it for every pass.
   */
  threads?: 1 | 2;
  /** called as each file is done (the CLI draws a progress line from it on a terminal) */
  onProgress?: (progress: IndexProgress) => void;
}

export interface IndexProgress {
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
  elapsedMs: number;
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
  /** where records of unknown type were (the first of each file, at most 10): what a person checks first */
  unknownTypes: Array<{ path: string; line: number; type: string }>;
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

interface Planned extends ParseJob {
  size: number;
  mtimeMs: number;
  outcome: 'added' | 'appended' | 'reindexed';
}

interface Pass {
  db: DB;
  dbPath: string;
  options: IndexOptions;
  report: IndexReport;
  redactor: Redactor;
  applier: Applier;
  jobs: Planned[];
  eventsBefore: number;
  cold: boolean;
  started: number;
  upsertSource: ReturnType<DB['prepare']>;
  /** bytes of input applied since the last commit (cold builds batch their commits) */
  uncommitted: number;
  /** files and bytes read so far, of those planned */
  done: { files: number; bytes: number; totalBytes: number };
}

const HEAD = 4096;

/** Bring the index up to date with every source: new files read, grown files read on, gone ones pruned. */
export function indexSessions(options: IndexOptions): IndexReport {
  const pass = plan(options);
  const url = parallelWorth(pass) ? parserUrl() : undefined;
  const parser = url ? new Parser(url, pass.jobs, options.secrets) : undefined;
  try {
    for (const job of pass.jobs) {
      runJob(pass, job, (emit) => (parser ? parser.take(job, emit) : parseJob(job, pass.redactor, emit)));
    }
    complete(pass);
  } finally {
    parser?.close();
    releaseIndexLock(pass.db);
    pass.db.close();
  }
  return done(pass);
}

/**
 * A pass with this much to read parses on a second thread (`pipeline.ts`) when a core is free for it: starting the
 * thread costs ~100 ms (it loads the parsers and secretlint again), so the watcher's small passes stay on one; and
 * on a machine whose cores are all busy the second thread only adds CPU (measured on 2 cores at load 14-15, 256 MB:
 * 11.5 s vs 9.9 s CPU, the same wall time), so it waits for a load average that leaves a core idle.
 */
const PARALLEL_BYTES = 16 << 20;

function parallelWorth(pass: Pass): boolean {
  const env = process.env.HABITAT_SESSIONS_THREADS;
  const wanted = pass.options.threads ?? (env === '1' || env === '2' ? Number(env) : undefined);
  if (wanted !== undefined) return wanted > 1 && pass.jobs.length > 0;
  if (pass.jobs.length < 2 || pass.done.totalBytes < PARALLEL_BYTES) return false;
  return (loadavg()[0] as number) <= availableParallelism() - 1;
}

/** The report, timed to include closing the database (its final checkpoint is part of the work). */
function done(pass: Pass): IndexReport {
  pass.report.durationMs = Math.round(performance.now() - pass.started);
  pass.options.logger?.info(pass.report, 'sessions indexed');
  return pass.report;
}

function plan(options: IndexOptions): Pass {
  const started = performance.now();
  const dbPath = options.dbPath ?? (options.stateDir ? join(options.stateDir, 'sessions.db') : undefined);
  if (!dbPath) throw new Error('indexSessions needs dbPath or stateDir');
  const db = openDatabase(dbPath);
  try {
    acquireIndexLock(db);
  } catch (error) {
    db.close();
    throw error;
  }
  try {
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
      unknownTypes: [],
      errors: [],
      durationMs: 0,
    };
    const redactor = createRedactor({ secrets: options.secrets });
    const applier = new Applier(db);
    const sources = new Map<string, SourceRow>();
    for (const row of db.prepare('SELECT * FROM sources').all() as SourceRow[]) sources.set(row.path, row);
    const eventsBefore = db.prepare('SELECT coalesce(max(id), 0) FROM events').pluck().get() as number;
    const cold = eventsBefore === 0;
    if (cold) startColdBuild(db, dbPath);
    if (cold && (db.prepare('SELECT count(*) FROM usage_keys').pluck().get() as number) === 0)
      applier.seenKeys = new KeyFilter();
    const upsertSource = db.prepare(
      `INSERT INTO sources (path, kind, size, mtime_ms, offset, head_hash, lines, session_sid, malformed, unknown)
       VALUES (@path, @kind, @size, @mtime_ms, @offset, @head_hash, @lines, @session_sid, @malformed, @unknown)
       ON CONFLICT (path) DO UPDATE SET size=excluded.size, mtime_ms=excluded.mtime_ms, offset=excluded.offset,
         head_hash=excluded.head_hash, lines=excluded.lines, session_sid=excluded.session_sid,
         malformed=sources.malformed + excluded.malformed, unknown=sources.unknown + excluded.unknown`,
    );
    const pass: Pass = {
      db,
      dbPath,
      options,
      report,
      redactor,
      applier,
      jobs: [],
      eventsBefore,
      cold,
      started,
      upsertSource,
      uncommitted: 0,
      done: { files: 0, bytes: 0, totalBytes: 0 },
    };
    const seen = new Set<string>();
    let composerFolders: Map<string, string> | undefined;
    const workspaces = () => {
      composerFolders ??= readWorkspaceComposers(
        files
          .filter((f) => f.kind === 'cursor' && f.path.includes(`${sep}workspaceStorage${sep}`))
          .map((f) => f.path),
      );
      return composerFolders;
    };
    // habitat logs last: they link to Claude sessions planned before them
    const ordered = [
      ...files.filter((f) => f.kind !== 'habitat-log'),
      ...files.filter((f) => f.kind === 'habitat-log'),
    ];
    db.transaction(() => {
      for (const file of ordered) {
        seen.add(file.path);
        // Codex compresses an old rollout in place (`x.jsonl` -> `x.jsonl.zst`): the same session, moved, not gone
        if (file.kind === 'codex' && file.path.endsWith('.zst') && !sources.has(file.path)) {
          const plain = sources.get(file.path.slice(0, -4));
          if (plain && !existsSync(plain.path)) {
            movedSource(db, plain, file.path);
            sources.delete(plain.path);
            report.unchanged++;
            continue;
          }
        }
        try {
          if (file.kind === 'cursor') {
            const r = indexCursorDb(db, applier, redactor, file.path, sources, seen, workspaces);
            report.added += r.added;
            report.reindexed += r.reindexed;
            report.unchanged += r.unchanged;
            report.pruned += r.pruned;
            continue;
          }
          const job = planFile(pass, file, sources.get(file.path));
          if (job) {
            pass.jobs.push(job);
            pass.done.totalBytes += job.size - job.start;
          }
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
        deleteSource(db, row.path);
        report.pruned++;
      }
    })();
    return pass;
  } catch (error) {
    releaseIndexLock(db);
    db.close();
    throw error;
  }
}

/** Decide what to read of one file; create its session row. Undefined when nothing changed. */
function planFile(pass: Pass, file: SourceFile, prev: SourceRow | undefined): Planned | undefined {
  const { db, applier, report } = pass;
  const st = statSync(file.path);
  if (file.kind === 'habitat-log') linkRun(db, file);
  if (prev && prev.size === st.size && prev.mtime_ms === st.mtimeMs) {
    report.unchanged++;
    return undefined;
  }
  let start = 0;
  let lines = 0;
  let outcome: Planned['outcome'] = prev ? 'appended' : 'added';
  if (prev) {
    const [len, digest] = (prev.head_hash ?? '0:').split(':');
    // a compressed or single-object rollout is rewritten whole: read it again whole
    const whole = (file.kind === 'codex' && codexReadWhole(file.path)) || file.kind === 'cursor-store';
    if (whole || st.size < prev.offset || headHash(file.path, Number(len)) !== digest) {
      deleteSource(db, file.path);
      outcome = 'reindexed';
    } else {
      start = prev.offset;
      lines = prev.lines;
    }
  }
  if (file.kind === 'habitat-log' && !prev?.session_sid && runHasTranscript(db, file)) {
    // the run's Claude transcript is indexed: the log would count the same work twice
    pass.upsertSource.run({
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
    return undefined;
  }
  const stem = basename(file.path).replace(/\.(jsonl\.zst|jsonl|json|log)$/, '');
  let fallbackTs: number | undefined;
  let runTimes: ParseJob['runTimes'];
  let prepared: ReturnType<Applier['prepare']>;
  if (file.kind === 'codex') {
    prepared = applier.prepare(codexSessionId(stem), 'codex', file.path);
  } else if (file.kind === 'cursor-agent' || file.kind === 'cursor-store') {
    prepared = applier.prepare(`cursor-agent:${agentChatId(file.path)}`, 'cursor', file.path);
    // the transcript's folder name is the cwd with every separator made a dash: the chat's own cwd is better
    const project = file.cwd ?? basename(dirname(dirname(dirname(file.path))));
    prepared.row.cwd = file.cwd ?? null;
    prepared.row.project = file.kind === 'cursor-store' ? (file.cwd ?? null) : project;
    fallbackTs = file.fallbackTs ?? st.mtimeMs;
  } else if (file.kind === 'habitat-log') {
    const runId = stem.split('-').pop() ?? stem;
    prepared = applier.prepare(`run:${runId}`, 'habitat', file.path);
    prepared.row.agent = file.agent ?? null;
    prepared.row.run_id = runId;
    const record = readRunRecord(file.path);
    if (record?.startedAt) fallbackTs = Date.parse(record.startedAt);
    const endedAt = Date.parse(record?.endedAt ?? '');
    if (fallbackTs !== undefined && Number.isFinite(fallbackTs))
      runTimes = { first: fallbackTs, last: Number.isFinite(endedAt) ? endedAt : fallbackTs };
    // a run log holds no prompt of its own to title it, and no cwd: name the run and the coordinator it ran in
    const agent = record?.agent ?? file.agent;
    if (!prepared.row.title && agent) prepared.row.title = `${agent} (${record?.trigger ?? 'habitat'} run)`;
    if (!prepared.row.project) prepared.row.project = coordinatorOf(file.path);
  } else if (file.kind === 'claude-subagent') {
    // `<project>/<session>/subagents/[workflows/<run>/]agent-<id>.jsonl`
    const parts = file.path.split(sep);
    const at = parts.lastIndexOf('subagents');
    const parent = parts[at - 1] as string;
    const projectDir = parts.slice(0, at - 1).join(sep);
    prepared = applier.prepare(`${parent}/${stem}`, 'claude', file.path);
    const row = prepared.row;
    row.parent_id = parent;
    row.agent_id = stem.replace(/^agent-/, '');
    row.agent = file.agent ?? null;
    const meta = readJson(file.path.replace(/\.jsonl$/, '.meta.json'));
    if (meta) {
      const toolUseId = firstString(meta, [
        'toolUseId',
        'toolUseID',
        'parentToolUseId',
        'parentToolUseID',
        'tool_use_id',
      ]);
      if (toolUseId) row.parent_tool_use_id = toolUseId;
      // the Task's description; otherwise the first prompt titles it (an agent type is not a title)
      const title = firstString(meta, ['description', 'name']);
      if (title && !row.title) row.title = title;
    }
    if (!row.project) row.project = projectFromDir(projectDir);
  } else {
    prepared = applier.prepare(stem, 'claude', file.path);
    prepared.row.agent = file.agent ?? prepared.row.agent;
    if (!prepared.row.project) prepared.row.project = projectFromDir(dirname(file.path));
  }
  return {
    id: pass.jobs.length,
    kind: file.kind,
    path: file.path,
    start,
    lines,
    row: prepared.row,
    nextSeq: prepared.nextSeq,
    fallbackTs,
    ...(runTimes ? { runTimes } : {}),
    fileSession:
      file.kind === 'claude-subagent'
        ? (file.path.split(sep)[file.path.split(sep).lastIndexOf('subagents') - 1] as string)
        : stem,
    size: st.size,
    mtimeMs: st.mtimeMs,
    outcome,
  };
}

/**
 * A cold build commits every `COLD_COMMIT_BYTES` of input rather than once per file (each commit writes out the
 * pages it dirtied, 14% of a cold build): the file's work is a savepoint in the open transaction, so a file that
 * fails is still rolled back alone. An interrupted cold build is redone from the files anyway.
 */
const COLD_COMMIT_BYTES = 32 << 20;

/** `HABITAT_SESSIONS_BATCH_BYTES` sets it smaller, for tests that need many batches from a small corpus. */
function coldCommitBytes(): number {
  return Number(process.env.HABITAT_SESSIONS_BATCH_BYTES) || COLD_COMMIT_BYTES;
}

/** Apply one job's chunks in one transaction (a savepoint in a cold build), then record how far the file was read. */
function runJob(pass: Pass, job: Planned, produce: (emit: (chunk: Chunk) => void) => ParseStats): void {
  const { db, applier } = pass;
  const batched = pass.cold;
  if (batched) {
    if (!db.inTransaction) db.exec('BEGIN');
    db.exec('SAVEPOINT job');
  } else db.exec('BEGIN');
  try {
    applier.begin(job.row);
    const stats = produce((chunk) => applier.apply(chunk));
    finishJob(pass, job, stats);
    if (batched) {
      db.exec('RELEASE job');
      pass.uncommitted += job.size - job.start;
      if (pass.uncommitted >= coldCommitBytes()) commitBatch(pass);
    } else db.exec('COMMIT');
  } catch (error) {
    if (batched) db.exec('ROLLBACK TO job; RELEASE job');
    else db.exec('ROLLBACK');
    failJob(pass, job, error);
  }
}

/**
 * Commit a cold build's batch. Its events go into the full-text index first, on this thread while the parser thread
 * reads on (filled once at the end, the fill was ~2.5 s of a 256 MB build with the parser thread idle): outside any
 * savepoint, because FTS5 writes out its pending terms at every savepoint, and a segment per file costs more merging.
 */
function commitBatch(pass: Pass): void {
  if (pass.db.inTransaction) {
    if (pass.cold) syncFts(pass.db);
    pass.db.exec('COMMIT');
  }
  pass.uncommitted = 0;
}

function finishJob(pass: Pass, job: Planned, stats: ParseStats): void {
  const headLen = Math.min(stats.offset, HEAD);
  pass.upsertSource.run({
    path: job.path,
    kind: job.kind,
    size: job.size,
    mtime_ms: job.mtimeMs,
    offset: stats.offset,
    head_hash: `${headLen}:${headHash(job.path, headLen)}`,
    lines: stats.lines,
    session_sid: job.row.sid,
    malformed: stats.malformed,
    unknown: stats.unknown,
  });
  pass.report.malformed += stats.malformed;
  pass.report.unknown += stats.unknown;
  if (stats.firstUnknown && pass.report.unknownTypes.length < 10)
    pass.report.unknownTypes.push({ path: job.path, ...stats.firstUnknown });
  pass.report[job.outcome]++;
  progress(pass, job);
}

function progress(pass: Pass, job: Planned): void {
  const d = pass.done;
  d.files++;
  d.bytes += job.size - job.start;
  pass.options.onProgress?.({
    files: d.files,
    totalFiles: pass.jobs.length,
    bytes: d.bytes,
    totalBytes: d.totalBytes,
    elapsedMs: performance.now() - pass.started,
  });
}

function failJob(pass: Pass, job: Planned, error: unknown): void {
  progress(pass, job);
  pass.report.errors.push({ path: job.path, message: (error as Error).message });
  pass.options.logger?.warn({ path: job.path, err: error }, 'session source skipped');
}

function complete(pass: Pass): void {
  const { db, report } = pass;
  commitBatch(pass);
  if (pass.cold) {
    ftsBatch(pass);
    db.exec('CREATE INDEX IF NOT EXISTS events_uuid ON events(uuid) WHERE uuid IS NOT NULL');
  }
  finishPass(db);
  const added =
    (db.prepare('SELECT coalesce(max(id), 0) FROM events').pluck().get() as number) - pass.eventsBefore;
  if (pass.cold) endColdBuild(db, pass.dbPath);
  report.events = added;
}

/**
 * A cold build writes the database directly (rollback journal in memory, no fsyncs, no WAL to copy back) and
 * leaves `<db>.building` behind until it is done: an interrupted build is thrown away and redone from the files
 * (see `openDatabase`). Where another connection holds the file in WAL mode, it stays in WAL.
 */
function startColdBuild(db: DB, dbPath: string): void {
  writeFileSync(`${dbPath}.building`, `${process.pid}\n`);
  db.pragma('synchronous = OFF');
  // FTS5 writes a segment each time its pending terms pass `hashsize` (1 MB by default) and merges segments as
  // they pile up: 32 MB flushes mean 32 times fewer segments and far less merging (and 31 MB more memory)
  db.exec(`INSERT INTO events_fts (events_fts, rank) VALUES ('hashsize', ${32 << 20})`);
  // each batch's fill writes a segment: merging them as they come cost 1.4 s of a 256 MB build (and still left 6);
  // unmerged, a 256 MB build ends with 8 (search: same hits, p50 4.8 vs 4.0 ms), and FTS5's crisis merge (16 segments
  // on a level) bounds the count at 1 GB
  db.exec(`INSERT INTO events_fts (events_fts, rank) VALUES ('automerge', 0)`);
  // the uuid index (summaries find their session by it) is built once, sorted, at the end: cheaper than per row
  db.exec('DROP INDEX IF EXISTS events_uuid');
  try {
    db.pragma('journal_mode = MEMORY');
  } catch {
    db.pragma('wal_autocheckpoint = 0');
  }
}

function endColdBuild(db: DB, dbPath: string): void {
  const memory = db.pragma('journal_mode', { simple: true }) === 'memory';
  if (memory) db.pragma('journal_mode = OFF');
  db.exec(`INSERT INTO events_fts (events_fts, rank) VALUES ('hashsize', ${1 << 20})`);
  // FTS5's default again: the small passes that follow merge as they write
  db.exec(`INSERT INTO events_fts (events_fts, rank) VALUES ('automerge', 4)`);
  db.pragma('synchronous = NORMAL');
  if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
  else db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('wal_autocheckpoint = 1000');
  // durable before we say it is done
  const fd = openSync(dbPath, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  rmSync(`${dbPath}.building`, { force: true });
}

/** After a pass: subagents linked to their Task calls, runs to sessions, new events into the FTS index. */
function finishPass(db: DB): void {
  db.transaction(() => {
    db.exec(`
      UPDATE sessions SET parent_tool_use_id = (SELECT l.tool_use_id FROM agent_links l WHERE l.agent_id = sessions.agent_id)
        WHERE agent_id IS NOT NULL AND parent_tool_use_id IS NULL;
      UPDATE sessions SET agent = coalesce(sessions.agent, runs.agent), run_id = runs.run_id
        FROM runs WHERE runs.session_id = sessions.id AND sessions.run_id IS NULL;
      UPDATE sessions SET title = x.text
        FROM (SELECT e.sid AS sid, max(s.text) AS text FROM summaries s JOIN events e ON e.uuid = s.leaf GROUP BY e.sid) x
        WHERE sessions.sid = x.sid AND sessions.titled = 0 AND sessions.title IS NOT x.text;
      UPDATE sessions SET agent = (SELECT p.agent FROM sessions p WHERE p.id = sessions.parent_id),
        run_id = (SELECT p.run_id FROM sessions p WHERE p.id = sessions.parent_id)
        WHERE parent_id IS NOT NULL AND run_id IS NULL;
    `);
    // a transcript without any `cwd` (summaries only, old subagents): its parent's, else its folder's project
    db.exec(`UPDATE sessions SET project = (SELECT p.project FROM sessions p WHERE p.id = sessions.parent_id)
      WHERE cwd IS NULL AND source = 'claude' AND parent_id IS NOT NULL
        AND (SELECT p.cwd FROM sessions p WHERE p.id = sessions.parent_id) IS NOT NULL`);
    const orphans = db
      .prepare("SELECT sid, path FROM sessions WHERE cwd IS NULL AND source = 'claude' AND parent_id IS NULL")
      .all() as Array<{ sid: number; path: string }>;
    const sibling = db
      .prepare(
        "SELECT cwd FROM sessions WHERE source = 'claude' AND cwd IS NOT NULL AND path > ? AND path < ? LIMIT 1",
      )
      .pluck();
    const setProject = db.prepare('UPDATE sessions SET project = ? WHERE sid = ?');
    for (const o of orphans) {
      const folder = `${dirname(o.path)}${sep}`;
      const cwd = sibling.get(folder, `${folder}\uffff`) as string | undefined;
      if (cwd) setProject.run(cwd, o.sid);
    }
    syncFts(db);
  })();
}

function ftsMax(db: DB): number {
  return (
    (db.prepare("SELECT value FROM meta WHERE key = 'fts_max'").pluck().get() as number | undefined) ?? 0
  );
}

/**
 * A batch of the full-text index during a cold build. The rollback journal is off for it (it only ever commits, and
 * an interrupted cold build is redone anyway): otherwise the in-memory journal holds every FTS page it touches.
 */
function ftsBatch(pass: Pass): void {
  const { db } = pass;
  const memory = db.pragma('journal_mode', { simple: true }) === 'memory';
  if (memory) db.pragma('journal_mode = OFF');
  try {
    db.transaction(() => syncFts(db))();
  } finally {
    if (memory) db.pragma('journal_mode = MEMORY');
  }
}

/** Add events written since the last call to the full-text index. */
function syncFts(db: DB): void {
  const from = ftsMax(db);
  const to = db.prepare('SELECT coalesce(max(id), 0) FROM events').pluck().get() as number;
  if (to <= from) return;
  db.prepare(
    `INSERT INTO events_fts (rowid, text, thinking, input) SELECT id, text, thinking, input FROM events
     WHERE id > ? AND (text IS NOT NULL OR thinking IS NOT NULL OR input IS NOT NULL)`,
  ).run(from);
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('fts_max', ?)").run(to);
}

interface RunRecordFile {
  runId?: string;
  agent?: string;
  /** schedule | manual | wake | retry | missed | ... */
  trigger?: string;
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
  const sessionId = readRunRecord(file.path)?.summary?.sessionId;
  if (!sessionId) return false;
  return db.prepare("SELECT 1 FROM sessions WHERE id = ? AND source = 'claude'").get(sessionId) !== undefined;
}

/** Point a source (and its session) at the file it was moved to, keeping what was read from it. */
function movedSource(db: DB, row: SourceRow, path: string): void {
  const st = statSync(path);
  db.prepare(
    'UPDATE sources SET path = ?, size = ?, mtime_ms = ?, offset = ?, head_hash = NULL WHERE path = ?',
  ).run(path, st.size, st.mtimeMs, st.size, row.path);
  if (row.session_sid !== null)
    db.prepare('UPDATE sessions SET path = ? WHERE sid = ?').run(path, row.session_sid);
}

function headHash(path: string, length: number): string {
  if (length <= 0) return '';
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, 0);
    return createHash('sha1').update(buf.subarray(0, n)).digest('hex');
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

/** `<coordinator>/.habitat/logs/<agent>/<run>.log` → the coordinator's directory (a custom state dir: that dir). */
function coordinatorOf(logPath: string): string {
  const state = dirname(dirname(dirname(logPath)));
  return basename(state) === '.habitat' ? dirname(state) : state;
}

/** `-home-me-src-app` -> `/home/me/src/app` (lossy for paths with dashes: the cwd in records wins). */
function projectFromDir(dir: string): string {
  const name = basename(dir);
  return name.startsWith('-') ? name.replace(/-/g, '/') : name;
}
