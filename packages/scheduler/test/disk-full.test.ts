// A full disk (a real 8 MiB tmpfs holding the whole coordinator) does not kill the daemon: it says so,
// starts nothing it could not record, notifies (once) and carries on when space returns (notified too).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { type Daemon, type DaemonNotification, startDaemon } from '../src/index.js';

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

/** A loopback webhook receiver (outside the full file system). */
async function hooks(): Promise<{ url: string; got: DaemonNotification[]; close: () => void }> {
  const got: DaemonNotification[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push(JSON.parse(body) as DaemonNotification);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, got, close: () => server.close() };
}

describe.skipIf(skipReason !== '')('full disk', () => {
  test('the daemon keeps running, reports and notifies it, starts nothing, and recovers', async () => {
    const root = path.join(mountPoint, 'fleet');
    const truth = path.join(mkdtempSync(path.join(tmpdir(), 'habitat-truth-')), 'runs');
    writeFileSync(truth, '');
    mkdirSync(path.join(root, 'agents'), { recursive: true });
    const hook = await hooks();
    // One target for the whole fleet (habitat.yaml), one more of an agent's own that asks only for failures.
    writeFileSync(path.join(root, 'habitat.yaml'), `notify: [{ webhook: "${hook.url}" }]\n`);
    writeFileSync(
      path.join(root, 'agents', 'tick.yaml'),
      `run: { command: [sh, -c, 'echo "$HABITAT_RUN_ID" >> ${truth}; echo some output'] }\nschedule: { every: 1s }\n` +
        `notify: [{ webhook: "${hook.url}?only-failed", on: [failed] }]\n`,
    );
    writeFileSync(
      path.join(root, 'agents', 'idle.yaml'),
      'run: { command: [echo, idle] }\nschedule: manual\n',
    );
    const daemon: Daemon = await startDaemon({
      root,
      watch: false,
      socket: false,
      notify: { backoffMs: 50 },
    });
    const executed = () => readFileSync(truth, 'utf8').split('\n').filter(Boolean);
    const disk = () => hook.got.filter((n) => n.event === 'disk-full' || n.event === 'disk-recovered');
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
      // Notified once, to the fleet's target, naming both agents it serves (not to the failed-only one).
      const [full] = await waitFor(() => disk().length >= 1 && disk());
      expect(full).toMatchObject({ event: 'disk-full', agents: ['idle', 'tick'], stateDir: daemon.stateDir });
      expect(full!.text).toMatch(/no run starts: .*disk holding .* is full/);
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
      // Once each: the full disk (however many writes failed) and its end.
      const notified = await waitFor(() => disk().length >= 2 && disk());
      expect(notified.map((n) => n.event)).toEqual(['disk-full', 'disk-recovered']);
      expect(Date.parse(notified[1]!.reason)).toBeGreaterThan(0); // full since
      expect(notified[1]!.text).toMatch(/disk space is back/);
      // The recovery's delivery is recorded (the disk-full one only if there was room for its row).
      const rows = daemon.store.db
        .prepare("SELECT event, agent, status FROM notifications WHERE event = 'disk-recovered'")
        .all();
      expect(rows).toEqual([{ event: 'disk-recovered', agent: '(daemon)', status: 'delivered' }]);
      // every execution the agents did is recorded as a finished run: nothing lost, nothing twice
      const runs = daemon.store.history('tick', 1000).filter((r) => r.status !== 'queued');
      const ids = executed();
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(runs.find((r) => r.id === id)?.status, id).toMatch(/succeeded|running/);
    } finally {
      await daemon.stop(2000);
      hook.close();
    }
  });
});
