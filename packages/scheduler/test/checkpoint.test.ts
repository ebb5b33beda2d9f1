// The daemon's WAL checkpoints run in a process of their own (checkpointer.ts): its own connection never checkpoints
// inside a commit, yet the WAL stays bounded over many runs and every record stays readable.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCheckpointer } from '../src/checkpointer.js';
import { DB_FILE, openStore } from '../src/store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function stateDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'habitat-ckpt-'));
  dirs.push(d);
  return d;
}
const SIZE_LIMIT = 1000 * 4096; // checkpointer.ts: journal_size_limit, 1,000 pages
const walSize = (file: string) => {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
};

/** 100 runs recorded (the WAL's largest size returned) as the daemon records them (insert, start, finish with a ~6 KB result: ~4.4 MB of WAL). */
async function recordRound(
  store: ReturnType<typeof openStore>,
  file: string,
  round: number,
): Promise<number> {
  let maxWal = 0;
  const result = { status: 'succeeded' as const, output: 'x'.repeat(6000) };
  for (let i = round * 100; i < (round + 1) * 100; i++) {
    const id = `run-${String(i).padStart(6, '0')}`;
    store.insertRun({ id, agent: `agent-${i % 50}`, trigger: 'schedule', status: 'queued', queued_at: i });
    store.markStarted(id, i, 'local', null);
    store.finishRun(id, { ...result, runId: id } as never);
    maxWal = Math.max(maxWal, walSize(file));
    await new Promise((r) => setTimeout(r, 1)); // the daemon's loop goes back to its timers between fires
  }
  return maxWal;
}

/**
 * Once the checkpoint process has copied every frame, the next write starts the WAL over and truncates it to the
 * size limit. Poll with a write that changes nothing until that happens; how long it takes is the load's business.
 */
async function walResetWithin(
  store: ReturnType<typeof openStore>,
  file: string,
  ms: number,
): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    store.probeWrite();
    if (walSize(file) <= SIZE_LIMIT) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('checkpointer', () => {
  it('keeps the WAL bounded over many runs while the daemon connection never checkpoints itself', async () => {
    const dir = stateDir();
    const file = path.join(dir, DB_FILE);
    const store = openStore(dir);
    const ckpt = startCheckpointer(store.db, file, { intervalMs: 50, restartPages: 1000 });
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    // 10 rounds of 100 runs, ~44 MB of WAL frames: with nothing checkpointing, the WAL keeps them all (and no
    // reset ever comes); here it is back under the limit after every round and never holds much more than one
    let maxWal = 0;
    for (let round = 0; round < 10; round++) {
      maxWal = Math.max(maxWal, await recordRound(store, file, round));
      expect(await walResetWithin(store, file, 10_000), `the WAL was not reset after round ${round}`).toBe(
        true,
      );
    }
    await ckpt.stop();
    // a round is ~4.4 MB of frames; measured 6.4-9.8 MB at load 8 (a build that never checkpoints: 44+ MB, and no reset)
    expect(maxWal).toBeLessThan(24 * 1024 * 1024);
    expect(store.history(undefined, 10_000)).toHaveLength(1000);
    store.close();
    // every record is in the database file itself once the last connection closed
    const reader = openStore(dir, { readonly: true });
    expect(reader.history(undefined, 10_000).filter((r) => r.status === 'succeeded')).toHaveLength(1000);
    reader.close();
  }, 120_000);

  it('gives the connection its automatic checkpoints back when the checkpoint process fails', async () => {
    const dir = stateDir();
    const store = openStore(dir);
    const failed = new Promise<Error>((resolve) =>
      startCheckpointer(store.db, path.join(dir, 'no-such.db'), { onError: resolve }),
    );
    expect((await failed).message).toMatch(
      /checkpoint process exited \(code 1\): .*unable to open database file/,
    );
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    store.close();
  });
});
