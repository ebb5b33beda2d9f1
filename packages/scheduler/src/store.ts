// The scheduler's state in SQLite (WAL): plans, wake requests, run records, skipped slots, pauses.
// The daemon is the only writer; every other process opens it read-only.
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { RunResult, RunStatus } from '@habitat/runner';
import type Database from 'better-sqlite3';
import { SchedulerError } from './errors.js';
import { betterSqlite3, openLeanWriter, openReadOnly } from './sqlite.js';

export const DB_FILE = 'scheduler.db';

const MIGRATIONS: string[] = [
  `CREATE TABLE plans (
     agent TEXT PRIMARY KEY,
     next_at INTEGER,             -- epoch ms of the next fire; NULL = nothing planned (manual)
     next_reason TEXT NOT NULL,   -- schedule | wake | retry | rate-limit | missed | first
     slot_at INTEGER,             -- the schedule slot next_at stands for (before jitter), if any
     paused INTEGER NOT NULL DEFAULT 0,
     failures INTEGER NOT NULL DEFAULT 0,       -- consecutive failures (retry back-off)
     rate_limit_hits INTEGER NOT NULL DEFAULT 0, -- consecutive rate limits (back-off)
     last_run_id TEXT
   );
   CREATE TABLE wakes (
     agent TEXT PRIMARY KEY,
     wake_at INTEGER NOT NULL,
     reason TEXT,
     source TEXT NOT NULL,        -- agent | rate-limit | credential
     run_id TEXT,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE runs (
     id TEXT PRIMARY KEY,         -- ULID: sorts by time
     agent TEXT NOT NULL,
     trigger TEXT NOT NULL,
     status TEXT NOT NULL,        -- queued | running | succeeded | failed | timed-out | cancelled | rate-limited | error-before-start | lost
     backend TEXT,
     queued_at INTEGER NOT NULL,
     started_at INTEGER,
     ended_at INTEGER,
     duration_ms INTEGER,
     exit_code INTEGER,
     wake_at INTEGER,
     wake_reason TEXT,
     cost_usd REAL,
     log_path TEXT,
     pid INTEGER,
     container_id TEXT,
     error TEXT,
     result TEXT                  -- the runner's RunResult as JSON
   );
   CREATE INDEX runs_by_agent ON runs(agent, id);
   CREATE INDEX runs_open ON runs(status) WHERE status IN ('queued', 'running');
   CREATE INDEX runs_by_start ON runs(started_at);
   CREATE TABLE skipped (
     agent TEXT NOT NULL,
     slot_at INTEGER NOT NULL,
     reason TEXT NOT NULL,
     recorded_at INTEGER NOT NULL
   );
   CREATE INDEX skipped_by_agent ON skipped(agent, slot_at);
   CREATE TABLE credential_pauses (
     credential TEXT PRIMARY KEY, -- file:<path> or env:<VAR>
     until INTEGER NOT NULL,
     reason TEXT
   );`,
  // habitat status counts the slots skipped in the last hour (a fleet offered more than it can run)
  'CREATE INDEX skipped_by_time ON skipped(recorded_at);',
];

export interface PlanRow {
  agent: string;
  next_at: number | null;
  next_reason: string;
  slot_at: number | null;
  paused: number;
  failures: number;
  rate_limit_hits: number;
  last_run_id: string | null;
}

export interface WakeRow {
  agent: string;
  wake_at: number;
  reason: string | null;
  source: string;
  run_id: string | null;
}

export interface RunRow {
  id: string;
  agent: string;
  trigger: string;
  status: RunStatus | 'queued';
  backend: string | null;
  queued_at: number;
  started_at: number | null;
  ended_at: number | null;
  duration_ms: number | null;
  exit_code: number | null;
  wake_at: number | null;
  wake_reason: string | null;
  cost_usd: number | null;
  log_path: string | null;
  pid: number | null;
  container_id: string | null;
  error: string | null;
}

/** The columns of a RunRow (every runs column but `result`), prefixed with the `r` alias. */
const RUN_ROW_COLUMNS = [
  'id',
  'agent',
  'trigger',
  'status',
  'backend',
  'queued_at',
  'started_at',
  'ended_at',
  'duration_ms',
  'exit_code',
  'wake_at',
  'wake_reason',
  'cost_usd',
  'log_path',
  'pid',
  'container_id',
  'error',
]
  .map((c) => `r.${c}`)
  .join(', ');

/**
 * Open (and migrate) the scheduler database in `stateDir`. `readonly` never writes, never migrates. `check` runs
 * SQLite's quick_check first: it reads every page (~0.1-0.3 s at 100,000 runs, growing with the history), so
 * the daemon runs it once at its start, where damage is best caught (before it plans from the state); a
 * foreground `habitat run` does not pay it on every run, and damage its own write meets is reported by
 * `stateError` all the same. `lean` opens it with node:sqlite where that loads quietly (a short-lived writer).
 */
export function openStore(
  stateDir: string,
  options: { readonly?: boolean; check?: boolean; lean?: boolean } = {},
): Store {
  const file = path.join(stateDir, DB_FILE);
  const readonly = options.readonly ?? false;
  if (!readonly) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    if (!existsSync(file)) createDatabase(file);
  }
  if (existsSync(file) && statSync(file).size === 0) {
    throw corrupt(file, 'is empty (0 bytes): the scheduler state was truncated');
  }
  let db: Database.Database | undefined;
  try {
    // `lean`: node:sqlite for a process that writes a run and exits (the foreground recorder), not the addon
    db = readonly
      ? openReadOnly(file)
      : ((options.lean ? openLeanWriter(file) : undefined) ??
        new (betterSqlite3())(file, { fileMustExist: true }));
    if (!readonly) {
      // SQLite gives the -wal and -shm files the database file's mode: owner-only for all three.
      for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    } else {
      db.pragma('schema_version'); // reads the header: a file that is not a database fails here
    }
    if (options.check) {
      const check = db.pragma('quick_check(1)', { simple: true });
      if (check !== 'ok')
        throw corrupt(file, `fails SQLite's integrity check (${String(check).replace(/\s+/g, ' ')})`);
    }
    if (!readonly) migrate(db);
    db.pragma('busy_timeout = 2000');
    return new Store(db);
  } catch (error) {
    db?.close();
    throw stateError(file, error);
  }
}

/**
 * SQLite's word for a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB) as the scheduler's own error, which names
 * the file and the way out; any other error as it is.
 */
export function stateError(file: string, error: unknown): unknown {
  const { code = '', errcode } = error as { code?: string; errcode?: number };
  // errcode: node:sqlite's (the read-only store's) primary result code, 11 CORRUPT, 26 NOTADB
  const primary = typeof errcode === 'number' ? errcode & 0xff : undefined;
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT') || primary === 11 || primary === 26)
    return corrupt(file, 'is not a usable SQLite database (corrupt or overwritten)');
  return error;
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/**
 * A new database is built beside its final name and renamed into place, so `scheduler.db` is never a
 * half-made file of ours: an empty or unreadable one is damage, refused rather than silently replaced.
 */
function createDatabase(file: string): void {
  const tmp = `${file}.new-${process.pid}`;
  rmSync(tmp, { force: true });
  const db = new (betterSqlite3())(tmp);
  try {
    chmodSync(tmp, 0o600);
    db.pragma('journal_mode = WAL');
    migrate(db);
  } finally {
    db.close();
  }
  renameSync(tmp, file);
}

function corrupt(file: string, what: string): SchedulerError {
  return new SchedulerError(
    'state-corrupt',
    `${file} ${what}. habitat will not start over silently and lose the run history and wake-ups: restore it from a backup, or move it away (mv ${file} ${file}.broken) to start with an empty state`,
  );
}

export class Store {
  private readonly stmts;

  constructor(readonly db: Database.Database) {
    const readonly = db.readonly;
    const p = (sql: string) => db.prepare(sql);
    this.stmts = {
      plans: p('SELECT * FROM plans'),
      plan: p('SELECT * FROM plans WHERE agent = ?'),
      wakes: p('SELECT * FROM wakes'),
      run: p('SELECT * FROM runs WHERE id = ?'),
      openRuns: p("SELECT * FROM runs WHERE status IN ('queued', 'running') ORDER BY id"),
      history: p('SELECT * FROM runs WHERE (@agent IS NULL OR agent = @agent) ORDER BY id DESC LIMIT @limit'),
      // The RunRow columns only: `result` (the whole RunResult as JSON) is not part of RunRow, and reading
      // it for every agent on every `status` made ~1,000 large strings per call for nothing.
      lastRuns: p(`SELECT ${RUN_ROW_COLUMNS} FROM plans p JOIN runs r ON r.id = p.last_run_id`),
      // INDEXED BY: without ANALYZE statistics SQLite prefers runs_by_agent to satisfy GROUP BY and scans
      // every run ever recorded (53 ms at 100,000 runs); today's runs via runs_by_start take 0.6 ms.
      costSince: p(
        'SELECT agent, SUM(cost_usd) AS cost FROM runs INDEXED BY runs_by_start WHERE started_at >= ? GROUP BY agent',
      ),
      credentialPauses: p('SELECT * FROM credential_pauses'),
      skipped: p(
        'SELECT * FROM skipped WHERE (@agent IS NULL OR agent = @agent) ORDER BY slot_at DESC LIMIT @limit',
      ),
      // runs_by_agent (agent, id) walked backwards: the newest finished runs of one agent, without a scan
      recentDurations: p(
        "SELECT duration_ms AS d FROM runs WHERE agent = ? AND status NOT IN ('queued', 'running') AND duration_ms IS NOT NULL ORDER BY id DESC LIMIT ?",
      ),
      skippedSince: p(
        "SELECT COUNT(*) AS n FROM skipped WHERE recorded_at >= ? AND reason NOT IN ('paused', 'missed')",
      ),
      ...(readonly
        ? {}
        : {
            upsertPlan: p(
              `INSERT INTO plans (agent, next_at, next_reason, slot_at, paused, failures, rate_limit_hits, last_run_id)
               VALUES (@agent, @next_at, @next_reason, @slot_at, @paused, @failures, @rate_limit_hits, @last_run_id)
               ON CONFLICT(agent) DO UPDATE SET next_at = excluded.next_at, next_reason = excluded.next_reason,
                 slot_at = excluded.slot_at, paused = excluded.paused, failures = excluded.failures,
                 rate_limit_hits = excluded.rate_limit_hits, last_run_id = excluded.last_run_id`,
            ),
            deletePlan: p('DELETE FROM plans WHERE agent = ?'),
            setWake: p(
              `INSERT INTO wakes (agent, wake_at, reason, source, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT(agent) DO UPDATE SET wake_at = excluded.wake_at, reason = excluded.reason,
                 source = excluded.source, run_id = excluded.run_id, created_at = excluded.created_at`,
            ),
            deleteWake: p('DELETE FROM wakes WHERE agent = ?'),
            insertRun: p(
              `INSERT INTO runs (id, agent, trigger, status, queued_at) VALUES (@id, @agent, @trigger, @status, @queued_at)`,
            ),
            startRun: p(
              `UPDATE runs SET status = 'running', started_at = ?, backend = ?, log_path = ? WHERE id = ?`,
            ),
            runProcess: p('UPDATE runs SET pid = ?, container_id = ? WHERE id = ?'),
            requeueRun: p(
              `UPDATE runs SET status = 'queued', started_at = NULL, backend = NULL, log_path = NULL, pid = NULL,
                 container_id = NULL WHERE id = ?`,
            ),
            finishRun: p(
              `UPDATE runs SET status = @status, started_at = COALESCE(started_at, @started_at), ended_at = @ended_at,
                 duration_ms = @duration_ms, exit_code = @exit_code, wake_at = @wake_at, wake_reason = @wake_reason,
                 cost_usd = @cost_usd, log_path = COALESCE(@log_path, log_path), error = @error, result = @result,
                 backend = COALESCE(@backend, backend), container_id = COALESCE(@container_id, container_id)
               WHERE id = @id`,
            ),
            skip: p('INSERT INTO skipped (agent, slot_at, reason, recorded_at) VALUES (?, ?, ?, ?)'),
            pauseCredential: p(
              `INSERT INTO credential_pauses (credential, until, reason) VALUES (?, ?, ?)
               ON CONFLICT(credential) DO UPDATE SET until = max(until, excluded.until), reason = excluded.reason`,
            ),
            clearCredentialPauses: p('DELETE FROM credential_pauses WHERE until <= ?'),
          }),
    };
  }

  plans(): PlanRow[] {
    return this.stmts.plans.all() as PlanRow[];
  }
  plan(agent: string): PlanRow | undefined {
    return this.stmts.plan.get(agent) as PlanRow | undefined;
  }
  wakes(): WakeRow[] {
    return this.stmts.wakes.all() as WakeRow[];
  }
  run(id: string): RunRow | undefined {
    return this.stmts.run.get(id) as RunRow | undefined;
  }
  openRuns(): RunRow[] {
    return this.stmts.openRuns.all() as RunRow[];
  }
  history(agent: string | undefined, limit: number): RunRow[] {
    return this.stmts.history.all({ agent: agent ?? null, limit }) as RunRow[];
  }
  lastRuns(): RunRow[] {
    return this.stmts.lastRuns.all() as RunRow[];
  }
  costSince(since: number): Map<string, number> {
    return new Map(
      (this.stmts.costSince.all(since) as { agent: string; cost: number }[]).map((r) => [r.agent, r.cost]),
    );
  }
  credentialPauses(): { credential: string; until: number; reason: string | null }[] {
    return this.stmts.credentialPauses.all() as {
      credential: string;
      until: number;
      reason: string | null;
    }[];
  }
  /** The durations of an agent's newest `limit` finished runs, newest first. */
  recentDurations(agent: string, limit: number): number[] {
    return (this.stmts.recentDurations.all(agent, limit) as { d: number }[]).map((r) => r.d);
  }
  /** Slots skipped since `since` because the agent's previous run was still queued or running. */
  skippedSince(since: number): number {
    return (this.stmts.skippedSince.get(since) as { n: number }).n;
  }
  skipped(
    agent: string | undefined,
    limit: number,
  ): { agent: string; slot_at: number; reason: string; recorded_at: number }[] {
    return this.stmts.skipped.all({ agent: agent ?? null, limit }) as {
      agent: string;
      slot_at: number;
      reason: string;
      recorded_at: number;
    }[];
  }

  upsertPlan(row: PlanRow): void {
    this.stmts.upsertPlan!.run(row);
  }
  deletePlan(agent: string): void {
    this.stmts.deletePlan!.run(agent);
  }
  setWake(
    agent: string,
    wakeAt: number,
    reason: string | null,
    source: string,
    runId: string | null,
    now: number,
  ): void {
    this.stmts.setWake!.run(agent, wakeAt, reason, source, runId, now);
  }
  deleteWake(agent: string): void {
    this.stmts.deleteWake!.run(agent);
  }
  insertRun(row: {
    id: string;
    agent: string;
    trigger: string;
    status: 'queued' | 'running';
    queued_at: number;
  }): void {
    this.stmts.insertRun!.run(row);
  }
  markStarted(id: string, startedAt: number, backend: string, logPath: string | null): void {
    this.stmts.startRun!.run(startedAt, backend, logPath, id);
  }
  /** Back to queued: a run whose start was recorded but whose agent provably never started. */
  requeueRun(id: string): RunRow {
    this.stmts.requeueRun!.run(id);
    return this.run(id)!;
  }
  markProcess(id: string, pid: number | null, containerId: string | null): void {
    this.stmts.runProcess!.run(pid, containerId, id);
  }
  finishRun(id: string, result: Partial<RunResult> & { status: RunStatus }, error?: string): void {
    this.stmts.finishRun!.run({
      id,
      status: result.status,
      started_at: result.startedAt ? Date.parse(result.startedAt) : null,
      ended_at: result.endedAt ? Date.parse(result.endedAt) : Date.now(),
      duration_ms: result.durationMs ?? null,
      exit_code: result.exitCode ?? null,
      wake_at: result.wakeAt ? Date.parse(result.wakeAt) : null,
      wake_reason: result.wakeReason ?? null,
      cost_usd: result.summary?.costUsd ?? null,
      log_path: result.logPath ?? null,
      error: error ?? result.error?.message ?? null,
      result: result.runId ? JSON.stringify(result) : null,
      backend: result.backend ?? null,
      container_id: result.containerId ?? null,
    });
  }
  skip(agent: string, slotAt: number, reason: string, now: number): void {
    this.stmts.skip!.run(agent, slotAt, reason, now);
  }
  pauseCredential(credential: string, until: number, reason: string): void {
    this.stmts.pauseCredential!.run(credential, until, reason);
  }
  clearCredentialPauses(now: number): void {
    this.stmts.clearCredentialPauses!.run(now);
  }
  /** A real write that changes nothing: succeeds only when the database can take writes again. */
  probeWrite(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    this.db.pragma(`user_version = ${version}`);
  }
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
  close(): void {
    this.db.close();
  }
}
