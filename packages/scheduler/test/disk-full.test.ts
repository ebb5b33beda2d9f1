// A full disk (a real 8 MiB tmpfs holding the whole coordinator) does not kill the daemon: it says so,
// starts nothing it could not record, and carries on when space returns.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { type Daemon, startDaemon } from '../src/index.js';

const mountPoint = mkdtempSync(path.join(tmpdir(), 'habitat-tmpfs-'));
const skipReason = (() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', mountPoint], { stdio: 'pipe' });
    return '';
  } catch (error) {
    return `cannot mount a tmpfs here (${String((error as Error).message).split('\n')[0]}): needs root`;
  }
})();
if (skipReason) console.warn(`disk-full test skipped: ${skipReason}`);
afterAll(() => {
  if (!skipReason) execFileSync('umount', ['-l', mountPoint]);
});

const waitFor = async <T>(fn: () => T | undefined | false, ms = 15_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe.skipIf(skipReason !== '')('full disk', () => {
  test('the daemon keeps running, reports it, starts nothing, and recovers', async () => {
    const root = path.join(mountPoint, 'fleet');
    const truth = path.join(mkdtempSync(path.join(tmpdir(), 'habitat-truth-')), 'runs');
    writeFileSync(truth, '');
    mkdirSync(path.join(root, 'agents'), { recursive: true });
    writeFileSync(
      path.join(root, 'agents', 'tick.yaml'),
      `run: { command: [sh, -c, 'echo "$HABITAT_RUN_ID" >> ${truth}; echo some output'] }\nschedule: { every: 1s }\n`,
    );
    const daemon: Daemon = await startDaemon({ root, watch: false, socket: false });
    const executed = () => readFileSync(truth, 'utf8').split('\n').filter(Boolean);
    try {
      await waitFor(() => executed().length >= 2);
      // Fill the file system to the last byte.
      const filler = path.join(mountPoint, 'filler');
      const block = Buffer.alloc(256 * 1024, 1);
      try {
        for (let i = 0; i < 1000; i++) writeFileSync(filler, block, { flag: 'a' });
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      }
      const problem = await waitFor(() => daemon.status().daemon.problem);
      expect(problem).toMatch(/disk holding .* is full/);
      const whileFull = executed().length;
      await new Promise((r) => setTimeout(r, 3000));
      // at most the run that was already starting when the disk filled
      expect(executed().length - whileFull).toBeLessThanOrEqual(1);
      expect(daemon.status().daemon.problem).toBeDefined();

      rmSync(filler);
      await waitFor(() => daemon.status().daemon.problem === undefined);
      const after = executed().length;
      await waitFor(() => executed().length >= after + 2);
      await daemon.idle();
      // every execution the agents did is recorded as a finished run: nothing lost, nothing twice
      const rows = daemon.store.history('tick', 1000).filter((r) => r.status !== 'queued');
      const ids = executed();
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(rows.find((r) => r.id === id)?.status, id).toMatch(/succeeded|running/);
    } finally {
      await daemon.stop(2000);
    }
  });
});
