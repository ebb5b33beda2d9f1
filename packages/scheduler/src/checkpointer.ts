// The daemon's WAL checkpoints, off its event loop. SQLite's automatic checkpoint runs inside the commit that
// crosses 1,000 pages, on the committing thread: it copies the WAL into the database and fsyncs both, and on a
// busy disk an fsync takes 100+ ms, so a fire due then waited for it (issue 17: p99 75-90 ms, max 180-275 ms,
// with the disk busy beside the daemon while a bare timer stayed at 3-7 ms). Here the daemon's connection never
// checkpoints; a small process with its own connection runs a PASSIVE checkpoint (no lock: the daemon keeps
// writing meanwhile) every interval. A process, not a worker thread: a worker's isolate added ~18 MiB to the
// daemon's RSS (issue 17's budget is 150 MB); this one is ~10 MiB private (9.4-9.8 MiB of ~50 MiB RSS, the rest
// the node binary's pages, shared: bench/wal-memory.sh), beside the spawner. Durability is unchanged: a commit
// is in the WAL either way, and a WAL left by a kill -9 is replayed by the next open.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

/** SQLite's own default: the WAL pages after which a checkpoint is due. */
const AUTOCHECKPOINT_PAGES = 1000;

export interface CheckpointerOptions {
  /** How often the checkpoint process checkpoints what the daemon wrote (ms). */
  intervalMs?: number;
  /**
   * The WAL restarts from its start only when a writer begins while every frame is checkpointed. Under steady
   * writes and a slow disk a write nearly always lands during the passive checkpoint, so past this many pages
   * the process runs a RESTART checkpoint, which makes the next write start the WAL over: the file stays bounded
   * (a write waits for that one checkpoint's end, as every write did before, but only once per this many pages).
   */
  restartPages?: number;
  /** The checkpoint process failed: the daemon's connection checkpoints itself again (called once). */
  onError?: (error: Error) => void;
}

export interface Checkpointer {
  stop(): Promise<void>;
}

// CommonJS (node -e): better-sqlite3 is required by the absolute path resolved here. It exits when its stdin
// ends: the daemon stopped, or was killed (kill -9 included: the pipe closes with the process).
const CHILD = `
process.title = 'habitat-wal';
const [addon, file, intervalMs, restartPages, sizeLimit] = process.argv.slice(1);
const db = new (require(addon))(file, { fileMustExist: true });
// short: a RESTART holds the write lock while it waits for readers, and the daemon's writes wait behind it
db.pragma('busy_timeout = 100');
db.pragma('journal_size_limit = ' + Number(sizeLimit));
const timer = setInterval(() => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    if (r.log >= Number(restartPages)) db.pragma('wal_checkpoint(RESTART)');
  } catch (e) {
    // another checkpoint (a foreground run's connection) or a long reader: the next interval tries again
    if (e.code !== 'SQLITE_BUSY' && e.code !== 'SQLITE_LOCKED') throw e;
  }
}, Number(intervalMs));
process.stdin.resume();
process.stdin.on('end', () => { clearInterval(timer); db.close(); process.exit(0); });
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {}); // a ^C to the group: the daemon decides
`;

/**
 * Turn off `db`'s automatic checkpoint and checkpoint `file` from a child process instead (a worker thread cost the
 * daemon ~18 MiB of RSS). If the process cannot start or fails, automatic checkpoints come back on `db` (the WAL never grows without bound).
 */
export function startCheckpointer(
  db: Database.Database,
  file: string,
  options: CheckpointerOptions = {},
): Checkpointer {
  const restartPages = options.restartPages ?? 4 * AUTOCHECKPOINT_PAGES;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  // a WAL that restarts is truncated back to this size (else it keeps the size of its largest burst)
  const sizeLimit = AUTOCHECKPOINT_PAGES * pageSize;
  db.pragma(`journal_size_limit = ${sizeLimit}`);
  db.pragma('wal_autocheckpoint = 0');
  let failed = false;
  const fallBack = (error: Error) => {
    if (failed) return;
    failed = true;
    if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    options.onError?.(error);
  };
  const child = spawn(
    process.execPath,
    [
      '--max-old-space-size=16',
      '--max-semi-space-size=1',
      '-e',
      CHILD,
      createRequire(import.meta.url).resolve('better-sqlite3'),
      file,
      String(options.intervalMs ?? 1000),
      String(restartPages),
      String(sizeLimit),
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr = (stderr + c).slice(-2000);
  });
  child.stdin!.on('error', () => {}); // it died first: 'exit' says so
  child.on('error', () => {}); // a failed spawn ends in 'exit' too
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    const why =
      stderr
        .trim()
        .split('\n')
        .find((l) => /Error/.test(l)) ?? stderr.trim().split('\n').at(-1);
    fallBack(
      new Error(`the checkpoint process exited (${signal ?? `code ${code}`})${why ? `: ${why}` : ''}`),
    );
  });
  return {
    async stop() {
      failed = true; // an exit now is ours
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.ref(); // unref'd while it runs: the stop waits for its exit (else the loop may empty under the await)
      child.stdin!.end();
      await exited;
    },
  };
}
