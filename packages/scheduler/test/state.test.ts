// The state dir: one daemon per dir however they race, owner-only modes whatever the umask, and a damaged
// database refused by name instead of silently replaced.
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { acquireLock, openStore, type SchedulerError, startDaemon } from '../src/index.js';
import { checkSocketPath } from '../src/state-dir.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'habitat-state-'));

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

  test('a database cut in half is refused, naming the file', () => {
    const stateDir = dir();
    const store = openStore(stateDir);
    for (let i = 0; i < 2000; i++)
      store.insertRun({ id: `r${i}`, agent: 'a', trigger: 'manual', status: 'queued', queued_at: i });
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    store.close();
    const file = path.join(stateDir, 'scheduler.db');
    const size = lstatSync(file).size;
    truncateSync(file, Math.floor(size / 2 / 4096) * 4096);
    expect(() => openStore(stateDir)).toThrow(
      /scheduler\.db (fails SQLite's integrity check|is not a usable)/,
    );
  });

  test('a fresh state dir gets a working database', () => {
    const store = openStore(dir());
    expect(store.plans()).toEqual([]);
    store.close();
  });
});
