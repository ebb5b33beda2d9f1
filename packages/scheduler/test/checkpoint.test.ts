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
const walSize = (file: string) => {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
};

/** `n` runs recorded as the daemon records them (insert, start, finish with a ~6 KB result: ~11 WAL pages). */
async function recordRuns(store: ReturnType<typeof openStore>, file: string, n: number): Promise<number> {
  let maxWal = 0;
  const result = { runId: 'r', status: 'succeeded' as const, output: 'x'.repeat(6000) };
  for (let i = 0; i < n; i++) {
    const id = `run-${String(i).padStart(6, '0')}`;
    store.insertRun({ id, agent: `agent-${i % 50}`, trigger: 'schedule', status: 'queued', queued_at: i });
    store.markStarted(id, i, 'local', null);
    store.finishRun(id, { ...result, runId: id } as never);
    maxWal = Math.max(maxWal, walSize(file));
    await new Promise((r) => setTimeout(r, 1)); // the daemon's loop goes back to its timers between fires
  }
  return Math.max(maxWal, walSize(file));
}

describe('checkpointer', () => {
  it('keeps the WAL bounded over many runs while the daemon connection never checkpoints itself', async () => {
    const dir = stateDir();
    const file = path.join(dir, DB_FILE);
    const store = openStore(dir);
    const ckpt = startCheckpointer(store.db, file, { intervalMs: 50, restartPages: 1000 });
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    // 1,000 runs write ~44 MB of WAL frames: with nothing checkpointing, the WAL holds them all
    const maxWal = await recordRuns(store, file, 1000);
    await ckpt.stop();
    // bound: restartPages (4 MB) plus what is written between two checkpoints (50 ms here)
    expect(maxWal).toBeLessThan(20 * 1024 * 1024); // measured 6.5-9.2 MB; with no checkpoints ~44 MB
    expect(store.history(undefined, 10_000)).toHaveLength(1000);
    store.close();
    // every record is in the database file itself once the last connection closed
    const reader = openStore(dir, { readonly: true });
    expect(reader.history(undefined, 10_000).filter((r) => r.status === 'succeeded')).toHaveLength(1000);
    reader.close();
  });

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
