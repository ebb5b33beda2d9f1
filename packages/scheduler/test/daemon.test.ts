// The daemon as a real child process (`habitat up`) on a real coordinator with local-backend agents.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { connectDaemon, openStore } from '../src/index.js';
import { CLI, fleet, runs, socketUp, up, waitFor } from './up-harness.js';

describe('habitat up', () => {
  test('a second daemon on the same state dir refuses with a clear message', async () => {
    const root = fleet({ idle: 'run: { command: ["true"] }\n' });
    up(root);
    await waitFor(() => socketUp(root));
    const second = spawnSync(process.execPath, [CLI, 'up'], { cwd: root, encoding: 'utf8', timeout: 10_000 });
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/another habitat daemon \(pid \d+\) is already running/);
  });

  test('a wake request holds the agent until its time, across a kill -9 and restart', async () => {
    const root = fleet({
      nap: 'run: { command: [sh, -c, "echo 1h > $HABITAT_WAKE_FILE"] }\nschedule: { every: 1s }\n',
    });
    const first = up(root);
    await waitFor(() => runs(root, 'nap').some((r) => r.status === 'succeeded'));
    await new Promise((r) => setTimeout(r, 1500));
    first.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    up(root);
    await waitFor(() => socketUp(root));
    await new Promise((r) => setTimeout(r, 2500));
    expect(runs(root, 'nap')).toHaveLength(1);
  });

  test('kill -9 mid-run: the restarted daemon adopts the in-flight run, logs its later output, records how it ended; nothing fires twice', async () => {
    // After the kill the agent writes more than a pipe holds (while no coordinator reads), on both streams.
    const root = fleet({
      slow: 'run: { command: [sh, -c, "echo started; sleep 2; seq 1 30000; echo err-after-kill >&2; echo after-kill-ok; echo adopted runs learn too >> $HABITAT_LEARN_FILE; echo 1h > $HABITAT_WAKE_FILE"] }\nschedule: { every: 1h }\n',
    });
    const first = up(root);
    await waitFor(() => {
      const r = runs(root, 'slow').find((r) => r.status === 'running' && r.pid && r.log_path);
      return r && existsSync(r.log_path!) && readFileSync(r.log_path!, 'utf8').includes('started');
    });
    first.kill('SIGKILL');
    const restarted = up(root);
    await waitFor(() => socketUp(root) && runs(root, 'slow').some((r) => r.status === 'succeeded'));
    const [done] = runs(root, 'slow');
    const store = openStore(path.join(root, '.habitat'), { readonly: true });
    const wake = store.wakes().find((w) => w.agent === 'slow');
    store.close();
    // the wake request it wrote after the kill is honoured, not lost
    expect(wake?.wake_at).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(done!.exit_code).toBe(0);
    // Its log has what it printed before the kill once, and everything after it (no SIGPIPE, nothing dropped).
    const log = readFileSync(done!.log_path!, 'utf8').split('\n');
    expect(log.filter((l) => l === 'started')).toHaveLength(1);
    const numbers = log.filter((l) => /^\d+$/.test(l));
    expect(numbers).toEqual(Array.from({ length: 30000 }, (_, i) => String(i + 1)));
    expect(log).toContain('[stderr] err-after-kill');
    expect(log.indexOf('after-kill-ok')).toBeGreaterThan(log.indexOf('30000'));
    // The lesson it submitted after the kill is stored as this run's (by the CLI's daemon, when it ended).
    await waitFor(() => existsSync(path.join(root, 'knowledge')));
    const stored = await waitFor(() =>
      readdirSync(path.join(root, 'knowledge'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => readFileSync(path.join(root, 'knowledge', f), 'utf8'))
        .find((t) => t.includes('adopted runs learn too')),
    );
    expect(stored).toContain(done!.id);
    // Its next scheduled slot is an hour away: nothing fires twice.
    await new Promise((r) => setTimeout(r, 1000));
    expect(runs(root, 'slow')).toHaveLength(1);
    restarted.kill('SIGTERM');
  });

  test('kill -9 mid-run, the run ends while no daemon is up: what it printed after the kill reaches its log', async () => {
    const done = path.join(fleet({}), 'done');
    const root = fleet({
      gone: `run: { command: [sh, -c, "echo started; sleep 1.5; echo printed-while-down; echo err-while-down >&2; touch ${done}"] }\nschedule: { every: 1h }\n`,
    });
    const first = up(root);
    await waitFor(() => {
      const r = runs(root, 'gone').find((r) => r.status === 'running' && r.pid && r.log_path);
      return r && existsSync(r.log_path!) && readFileSync(r.log_path!, 'utf8').includes('started');
    });
    first.kill('SIGKILL');
    await waitFor(() => existsSync(done)); // it ended with no daemon up
    await new Promise((r) => setTimeout(r, 300));
    const restarted = up(root);
    const [run] = await waitFor(() => {
      const all = runs(root, 'gone');
      return all[0]?.status === 'succeeded' && all;
    });
    const log = readFileSync(run!.log_path!, 'utf8').split('\n');
    expect(log.filter((l) => l === 'started')).toHaveLength(1);
    expect(log).toContain('printed-while-down');
    expect(log).toContain('[stderr] err-while-down');
    restarted.kill('SIGTERM');
  });

  // The run's last lines are in the pipe, its wrapper has looked and seen its coordinator still there, and then
  // the coordinator dies before reading them (SIGSTOP holds it in that instant, SIGKILL ends it). With the local
  // spawner process and without.
  test.each([
    ['with the spawner process', '1'],
    ['forked by the daemon', '0'],
  ])(
    'kill -9 as the run ends, before the daemon read its last lines (%s): they reach its log',
    async (_, spawner) => {
      const done = path.join(fleet({}), 'done');
      const root = fleet({
        last: `run: { command: [sh, -c, "echo started; sleep 1; echo last-words; echo err-last >&2; touch ${done}"] }\nschedule: { every: 1h }\n`,
      });
      const before = process.env.HABITAT_SPAWNER;
      process.env.HABITAT_SPAWNER = spawner;
      const first = up(root);
      if (before === undefined) delete process.env.HABITAT_SPAWNER;
      else process.env.HABITAT_SPAWNER = before;
      const running = await waitFor(() => {
        const r = runs(root, 'last').find((r) => r.status === 'running' && r.pid && r.log_path);
        return r && existsSync(r.log_path!) && readFileSync(r.log_path!, 'utf8').includes('started') && r;
      });
      first.kill('SIGSTOP');
      // the agent has printed and ended, and its wrapper has written its exit status
      await waitFor(
        () => existsSync(done) && existsSync(path.join(root, '.habitat', 'runs', running.id, '.exit')),
      );
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const restarted = up(root);
      const [run] = await waitFor(() => {
        const all = runs(root, 'last');
        return all[0]?.status === 'succeeded' && all;
      });
      const log = readFileSync(run!.log_path!, 'utf8').split('\n');
      expect(log.filter((l) => l === 'started')).toHaveLength(1);
      expect(log).toContain('last-words');
      expect(log).toContain('[stderr] err-last');
      restarted.kill('SIGTERM');
    },
  );

  test('every schedules fire on time; overlap skip records skipped slots', async () => {
    const root = fleet({ tick: 'run: { command: [sh, -c, "sleep 1.5"] }\nschedule: { every: 1s }\n' });
    up(root);
    await waitFor(() => runs(root, 'tick').filter((r) => r.status === 'succeeded').length >= 2, 15_000);
    const store = openStore(path.join(root, '.habitat'), { readonly: true });
    const skipped = store.skipped('tick', 100);
    store.close();
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped[0]!.reason).toMatch(/overlap/);
  });

  test('hot reload: a new agent starts, a broken edit keeps the last good version, status reports it', async () => {
    const root = fleet({ a: 'run: { command: ["true"] }\nschedule: manual\n' });
    up(root);
    await waitFor(() => socketUp(root));
    const client = await connectDaemon(path.join(root, '.habitat'));
    writeFileSync(
      path.join(root, 'agents', 'b.yaml'),
      'run: { command: [echo, from-b] }\nschedule: { every: 1h }\n',
    );
    await waitFor(() => runs(root, 'b').some((r) => r.status === 'succeeded'));
    writeFileSync(path.join(root, 'agents', 'a.yaml'), 'run: { command: ["true"] }\nschedul: manual\n');
    const status = await waitFor(async () => {
      const s = await client.request<{ agents: { agent: string }[]; diagnostics: { path: string }[] }>(
        'status',
      );
      return s.diagnostics.length > 0 ? s : undefined;
    });
    const resolved = status;
    expect(resolved.agents.map((a) => a.agent).sort()).toEqual(['a', 'b']);
    expect(resolved.diagnostics[0]!.path).toBe('schedul');
    client.close();
  });

  test('SIGTERM lets a short run finish and stops cleanly', async () => {
    const root = fleet({
      short: 'run: { command: [sh, -c, "sleep 0.5; echo done"] }\nschedule: { every: 1h }\n',
    });
    const child = up(root);
    // the socket is the daemon's "ready" (its SIGTERM handler is in place); the run is recorded as
    // running from just before its spawn
    await waitFor(() => socketUp(root) && runs(root, 'short').some((r) => r.status === 'running' && r.pid));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(runs(root, 'short')[0]!.status).toBe('succeeded');
    expect(existsSync(path.join(root, '.habitat', 'daemon.lock'))).toBe(false);
  });
});

test('up --once runs what is due and exits with the results', () => {
  const root = fleet({
    ok: 'run: { command: [echo, hi] }\nschedule: { every: 1h }\n',
    manual: 'run: { command: [echo, never] }\nschedule: manual\n',
  });
  const out = spawnSync(process.execPath, [CLI, 'up', '--once', '--json', '--no-layers'], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(out.status).toBe(0);
  const results = JSON.parse(out.stdout) as { agent: string; status: string }[];
  expect(results.map((r) => [r.agent, r.status])).toEqual([['ok', 'succeeded']]);
});

describe('Docker runs across a kill -9', async () => {
  const { buildTestImage, requireDockerInCI } = await import('@habitat/testkit');
  const docker = await requireDockerInCI();
  test.skipIf(!docker)(
    'a run in flight is adopted by its container labels and followed to its end',
    { timeout: 180_000 },
    async () => {
      const image = await buildTestImage();
      const root = fleet({
        // A container never gets the coordinator root: the agent has a habitat repo of its own.
        boxed: `repo: ../habitats/boxed\nrun: { command: [sh, -c, "echo started; sleep 4; echo adopted-ok"] }\nschedule: { every: 1h }\nisolation: { backend: docker, image: "${image}", network: none }\n`,
      });
      mkdirSync(path.join(root, 'habitats/boxed'), { recursive: true });
      const first = up(root);
      await waitFor(() => runs(root, 'boxed').some((r) => r.status === 'running' && r.container_id), 60_000);
      first.kill('SIGKILL');
      up(root);
      const done = await waitFor(
        () => runs(root, 'boxed').find((r) => r.status !== 'running' && r.status !== 'queued'),
        60_000,
      );
      expect(done.status).toBe('succeeded');
      expect(runs(root, 'boxed')).toHaveLength(1);
      expect(readFileSync(done.log_path!, 'utf8')).toContain('adopted-ok');
      // The adopted run's scratch files went with it.
      await waitFor(() => !existsSync(path.join(root, '.habitat/runs', done.id)), 5_000);
    },
  );
});
