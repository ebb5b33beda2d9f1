// The state dir: one daemon per dir however they race, owner-only modes whatever the umask, and a damaged
// database refused by name instead of silently replaced.
import {
  closeSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentConfig } from '@habitat/config';
import type { RunResult } from '@habitat/runner';
import { describe, expect, test } from 'vitest';
import {
  acquireLock,
  openForegroundRecorder,
  openStore,
  type SchedulerError,
  startDaemon,
} from '../src/index.js';
import { checkSocketPath } from '../src/state-dir.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'habitat-state-'));

/** A state dir whose database holds `n` runs of agent `a`, checkpointed into the main file. */
function withRuns(stateDir: string, n: number): string {
  const store = openStore(stateDir);
  store.transaction(() => {
    for (let i = 0; i < n; i++)
      store.insertRun({
        id: `r${String(i).padStart(4, '0')}`,
        agent: 'a',
        trigger: 'manual',
        status: 'queued',
        queued_at: i,
      });
  });
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  return stateDir;
}

/** Overwrite pages [from, to) of a database file (4 KiB pages, the first is page 0) with garbage. */
function overwritePages(file: string, from: number, to: number): void {
  const fd = openSync(file, 'r+');
  try {
    for (let page = from; page < to; page++) writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, page * 4096);
  } finally {
    closeSync(fd);
  }
}

describe('the single-daemon lock', () => {
  test('concurrent takers: exactly one wins', async () => {
    const stateDir = dir();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => acquireLock(stateDir)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect((r.reason as SchedulerError).code).toBe('locked');
    (won[0] as PromiseFulfilledResult<() => void>).value();
    (await acquireLock(stateDir))();
  });

  test('rm -rf of the state dir does not free the lock', async () => {
    const stateDir = dir();
    const release = await acquireLock(stateDir);
    rmSync(stateDir, { recursive: true, force: true });
    mkdirSync(stateDir);
    await expect(acquireLock(stateDir)).rejects.toThrow(/already running/);
    release();
    (await acquireLock(stateDir))();
  });
});

describe('file modes', () => {
  test('everything the daemon and its runs write is owner-only, even with umask 0', async () => {
    const root = dir();
    mkdirSync(path.join(root, 'agents'));
    writeFileSync(path.join(root, 'agents', 'a.yaml'), 'run: { command: [sh, -c, "echo hi"] }\n');
    const previous = process.umask(0);
    try {
      const daemon = await startDaemon({ root, watch: false });
      daemon.trigger('a');
      await daemon.idle();
      const stateDir = path.join(root, '.habitat');
      const bad: string[] = [];
      const walk = (p: string) => {
        for (const e of readdirSync(p)) {
          const f = path.join(p, e);
          const st = lstatSync(f);
          const mode = st.mode & 0o777;
          if (st.isDirectory()) {
            const traversed = ['runs', 'claude', 'secrets'].includes(e) && p === stateDir;
            if (mode !== (traversed ? 0o711 : 0o700)) bad.push(`${f} ${mode.toString(8)}`);
            walk(f);
          } else if (mode & 0o077) bad.push(`${f} ${mode.toString(8)}`);
        }
      };
      // traversable by agents of other uids on their way to their own 0700 run dir and home; not listable
      expect(lstatSync(stateDir).mode & 0o777).toBe(0o711);
      walk(stateDir);
      expect(bad).toEqual([]);
      expect(readdirSync(stateDir)).toEqual(
        expect.arrayContaining(['scheduler.db', 'scheduler.db-wal', 'habitat.sock', 'logs']),
      );
      await daemon.stop(1000);
    } finally {
      process.umask(previous);
    }
  });

  test('a socket path over the Unix limit is a clear error with the fix', () => {
    expect(() => checkSocketPath(`/${'x'.repeat(120)}/habitat.sock`)).toThrow(
      /over the 107-byte limit of Unix sockets: set a shorter stateDir/,
    );
  });
});

describe('a damaged state database', () => {
  test('a truncated (0-byte) database is refused, naming the file', () => {
    const stateDir = dir();
    writeFileSync(path.join(stateDir, 'scheduler.db'), '');
    expect(() => openStore(stateDir)).toThrow(/scheduler\.db is empty \(0 bytes\).*mv /);
  });

  test('a database overwritten with garbage is refused, naming the file', () => {
    const stateDir = dir();
    writeFileSync(path.join(stateDir, 'scheduler.db'), Buffer.alloc(8192, 0x5a));
    expect(() => openStore(stateDir)).toThrow(/scheduler\.db is not a usable SQLite database/);
    expect(() => openStore(stateDir, { readonly: true })).toThrow(/scheduler\.db is not a usable/);
  });

  test('a database cut in half is refused by the check, naming the file', () => {
    const stateDir = withRuns(dir(), 2000);
    const file = path.join(stateDir, 'scheduler.db');
    const size = lstatSync(file).size;
    truncateSync(file, Math.floor(size / 2 / 4096) * 4096);
    expect(() => openStore(stateDir, { check: true })).toThrow(
      /scheduler\.db (fails SQLite's integrity check|is not a usable)/,
    );
  });

  // The integrity check reads every page, so it runs where damage matters most and is paid once: the
  // daemon's start. A foreground run's open skips it; damage its own write meets is still named.
  test('a page overwritten in the middle: the daemon refuses to start on it, with the file and the fix', async () => {
    const root = dir();
    mkdirSync(path.join(root, 'agents'));
    writeFileSync(path.join(root, 'agents', 'a.yaml'), 'run: { command: [true] }\n');
    const stateDir = withRuns(path.join(root, '.habitat'), 4000);
    const file = path.join(stateDir, 'scheduler.db');
    const pages = lstatSync(file).size / 4096;
    overwritePages(file, Math.floor(pages / 2), Math.floor(pages / 2) + 1);
    // the open itself does not scan the file: it succeeds, and so does reading one run
    const store = openStore(stateDir);
    expect(store.run('r0000')?.agent).toBe('a');
    store.close();
    expect(() => openStore(stateDir, { check: true })).toThrow(
      /scheduler\.db fails SQLite's integrity check/,
    );
    const error = await startDaemon({ root, watch: false, socket: false }).catch((e: SchedulerError) => e);
    expect(error).toMatchObject({ code: 'state-corrupt' });
    expect(String((error as Error).message)).toMatch(
      new RegExp(
        `${file} fails SQLite's integrity check .*restore it from a backup, or move it away \\(mv ${file} ${file}\\.broken\\)`,
      ),
    );
  });

  test('a foreground run on a database whose tables are overwritten: not recorded, with the file and the fix', () => {
    const stateDir = withRuns(dir(), 2000);
    const file = path.join(stateDir, 'scheduler.db');
    overwritePages(file, 1, lstatSync(file).size / 4096); // every page but the first (header and schema)
    const recorder = openForegroundRecorder(stateDir);
    const agent = { name: 'a', schedule: { kind: 'manual' } } as unknown as AgentConfig;
    const result = {
      runId: 'r9999',
      agent: 'a',
      trigger: 'manual',
      backend: 'local',
      status: 'succeeded',
      startedAt: new Date(0).toISOString(),
      endedAt: new Date(1000).toISOString(),
      durationMs: 1000,
      exitCode: 0,
      signal: null,
      warnings: [],
      logPath: '/dev/null',
      summary: { toolsUsed: {}, unknownEvents: 0 },
    } as unknown as RunResult;
    expect(() => recorder.record(agent, result)).toThrow(
      new RegExp(`${file} is not a usable SQLite database \\(corrupt or overwritten\\).*mv ${file} `),
    );
  });

  test('a fresh state dir gets a working database', () => {
    const store = openStore(dir());
    expect(store.plans()).toEqual([]);
    store.close();
  });
});
