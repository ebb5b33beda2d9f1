// The wake and learn files are written by the agent into a run dir it owns: a FIFO, a symlink or a huge file
// there must neither wedge the coordinator nor make it read a file the agent could not.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { readLearnFile } from '../src/learn-file.js';
import { readRunDirFile } from '../src/run-dir-file.js';
import { readWakeRequest } from '../src/wake.js';

const dir = mkdtempSync(path.join(tmpdir(), 'habitat-run-dir-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const now = new Date('2026-12-01T09:00:00.000Z');

/** Fails the test instead of hanging it when a read blocks. */
const within = <T>(promise: Promise<T>, ms = 2000) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`blocked for ${ms} ms`)), ms)),
  ]);

describe('files an agent leaves in its run dir', () => {
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const secret = path.join(dir, 'only-the-coordinator-reads-this');
  writeFileSync(secret, '46m\nroot:$6$hash:19000:0:99999:7:::\n', { mode: 0o600 });
  const link = path.join(dir, 'link');
  symlinkSync(secret, link);

  test('a FIFO as the wake file is refused at once, not waited on', async () => {
    expect(await within(readWakeRequest(fifo, now))).toEqual({
      warning: 'wake file: not a regular file; ignored',
    });
  });

  test('a FIFO as the learn file is refused at once', async () => {
    expect(await within(readLearnFile(fifo))).toEqual({
      learnings: [],
      warning: 'learn file: not a regular file, ignored',
    });
  });

  test("a symlink as the wake file is not followed: the other file's lines never become the reason", async () => {
    const wake = await readWakeRequest(link, now);
    expect(wake).toEqual({ warning: 'wake file: not a regular file (a symlink); ignored' });
    expect(JSON.stringify(wake)).not.toContain('root:');
  });

  test('a regular wake file is read (first 4 KiB), a missing one is no request', async () => {
    const file = path.join(dir, 'wake');
    const content = `46m\nx-rate-limit-remaining: 3\n${'x'.repeat(10_000)}`;
    writeFileSync(file, content);
    const wake = await readWakeRequest(file, now);
    expect(wake.wakeAt?.toISOString()).toBe('2026-12-01T09:46:00.000Z');
    expect(wake.reason?.startsWith('x-rate-limit-remaining: 3')).toBe(true);
    expect(await readWakeRequest(path.join(dir, 'none'), now)).toEqual({});
    const big = await readRunDirFile(file, 4096);
    expect(big.kind === 'file' && [big.text.length, big.size]).toEqual([4096, content.length]);
  });

  test('a learn file over the cap: whole lines only, never the line the cut falls in', async () => {
    const file = path.join(dir, 'learn');
    const line = (i: number) => `lesson ${i}: ${'é'.repeat(1900)}`; // ~3.8 KB a line, 2-byte characters
    writeFileSync(file, `${Array.from({ length: 30 }, (_, i) => line(i)).join('\n')}\n`);
    const { learnings, warning } = await readLearnFile(file);
    expect(warning).toBe('learn file: only its first 65536 bytes were read');
    expect(learnings).toHaveLength(17); // 17 whole lines in 64 KiB, fewer than MAX_LEARNINGS
    expect(learnings.every((l, i) => l.text === line(i))).toBe(true); // the cut 18th line is not among them
  });
});
