// Hostile input and hostile conditions against a real daemon process: garbage wake files, garbage on the
// socket, fuzzed YAML hot-reloaded, a settings typo, racing daemons, SIGSTOP/SIGCONT, recycled pids and a
// full disk. Each reports its figures; crashes must be 0 everywhere.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { connectDaemon, lockHeld, openStore } from '../src/index.js';
import { CLI, fleet, report, runsOf, sleep, socketUp, type Up, up, waitFor } from './harness.js';

const daemons: Up[] = [];
afterEach(() => {
  for (const d of daemons.splice(0)) if (d.child.exitCode === null) d.child.kill('SIGKILL');
});
const start = (root: string) => {
  const d = up(root);
  daemons.push(d);
  return d;
};
const alive = (d: Up) => d.child.exitCode === null && d.child.signalCode === null;
const rssMiB = (pid: number) => {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m?.[1] ?? 0) / 1024);
};

const WAKE_GARBAGE = [
  '99999999999999w',
  '100000000000000000000',
  '9'.repeat(400),
  '1e400',
  '+275760-09-13T00:00:00Z',
  '275760-09-13',
  '9999-99-99',
  '2026-02-30',
  '2026-04-31T00:00:00Z',
  '2026-01-01T25:00:00Z',
  '-1h',
  'NaN',
  'Infinity',
  '\u0000\u0001\u0002',
  '0',
  '0s',
  '2000-01-01T00:00:00Z',
  '46m\n'.repeat(2000),
  'null',
  '{"at": 1}',
  'x'.repeat(100_000),
  '\u2028\u2029',
];

describe('hostile input', () => {
  test('wake-file garbage: every run recorded, no invalid date, no crash', { timeout: 90_000 }, async () => {
    const agents: Record<string, string> = {};
    const files: Record<string, string> = {};
    WAKE_GARBAGE.forEach((g, i) => {
      files[`garbage/g${i}`] = g;
      agents[`g${i}`] =
        `run: { command: [sh, -c, 'cat ../garbage/g${i} > "$HABITAT_WAKE_FILE"'] }\nschedule: manual\n`;
    });
    const f = fleet(agents, files);
    // agents run in the coordinator root's agents/.. = root: the relative path must resolve from the repo
    for (const name of Object.keys(agents))
      writeFileSync(
        path.join(f.root, 'agents', `${name}.yaml`),
        readFileSync(path.join(f.root, 'agents', `${name}.yaml`), 'utf8').replace(
          '../garbage',
          `${f.root}/garbage`,
        ),
      );
    const d = start(f.root);
    await waitFor(() => socketUp(f.stateDir), 30_000);
    const client = await connectDaemon(f.stateDir);
    for (const name of Object.keys(agents)) await client.request('trigger', { agent: name });
    await waitFor(
      () => runsOf(f.stateDir).filter((r) => r.status !== 'queued' && r.status !== 'running').length === 22,
      60_000,
    );
    const rows = runsOf(f.stateDir);
    const invalid = rows.filter((r) => r.wake_at !== null && !Number.isFinite(r.wake_at)).length;
    const store = openStore(f.stateDir, { readonly: true });
    const tooSoon = store.wakes().filter((w) => w.wake_at < Date.now() + 30_000).length;
    store.close();
    client.close();
    const crashes = alive(d) ? 0 : 1;
    report('wake-garbage', {
      inputs: WAKE_GARBAGE.length,
      runs: rows.length,
      invalidDates: invalid,
      wakesUnderMinimum: tooSoon,
      crashes,
    });
    expect(crashes).toBe(0);
    expect(rows.every((r) => r.status === 'succeeded')).toBe(true);
    expect(invalid).toBe(0);
    expect(tooSoon).toBe(0);
  });

  test('socket garbage: null, malformed, a 192 MiB line, half-open, idle floods', {
    timeout: 90_000,
  }, async () => {
    const f = fleet({ a: 'run: { command: ["true"] }\nschedule: manual\n' });
    const d = start(f.root);
    await waitFor(() => socketUp(f.stateDir), 30_000);
    const sock = path.join(f.stateDir, 'habitat.sock');
    const rssBefore = rssMiB(d.child.pid!);
    const send = (data: string | Buffer, end = true) =>
      new Promise<string>((resolve) => {
        const s = net.connect(sock);
        let out = '';
        s.on('data', (c) => (out += c));
        s.on('error', () => resolve(out));
        s.on('close', () => resolve(out));
        s.on('connect', () => {
          s.write(data, () => (end ? s.end() : undefined));
        });
        setTimeout(() => s.destroy(), 5000);
      });
    let errorsAnswered = 0;
    for (const line of [
      'null',
      '[]',
      '42',
      '{}',
      '{"method":7}',
      '{"method":"status","params":"x"}',
      '{bad',
      '\u0000',
    ])
      if ((await send(`${line}\n`)).includes('"error"')) errorsAnswered++;
    // a 192 MiB line: the daemon must refuse it after 64 KiB and not buffer it
    const huge = await new Promise<number>((resolve) => {
      const s = net.connect(sock);
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < 192 && s.write(chunk)) sent++;
        if (sent < 192)
          s.once('drain', () => {
            sent++;
            pump();
          });
      };
      s.on('connect', pump);
      s.on('error', () => resolve(sent));
      s.on('close', () => resolve(sent));
      setTimeout(() => s.destroy(), 20_000);
    });
    const rssAfterHuge = rssMiB(d.child.pid!);
    // half-open: a partial request, then end
    const half = await send('{"id":9,"method":"ping"}');
    // 200 idle connections
    const idle = await Promise.all(
      Array.from(
        { length: 200 },
        () =>
          new Promise<net.Socket>((r) => {
            const s = net.connect(sock, () => r(s));
            s.on('error', () => r(s));
          }),
      ),
    );
    const client = await connectDaemon(f.stateDir);
    const pong = await client.request<{ pong: boolean }>('ping');
    client.close();
    for (const s of idle) s.destroy();
    const crashes = alive(d) ? 0 : 1;
    report('socket-garbage', {
      malformed: 8,
      errorsAnswered,
      hugeLineMiBSentBeforeClose: huge,
      rssBeforeMiB: rssBefore,
      rssAfterHugeMiB: rssAfterHuge,
      halfOpenAnswered: half.includes('"pong":true') ? 1 : 0,
      idleConnections: idle.length,
      crashes,
    });
    expect(errorsAnswered).toBe(8);
    expect(huge).toBeLessThan(192);
    expect(rssAfterHuge - rssBefore).toBeLessThan(100);
    expect(half).toContain('"pong":true');
    expect(pong.pong).toBe(true);
    expect(crashes).toBe(0);
  });

  test('YAML fuzz hot-reloaded into a running daemon: aliases, big files, random bytes', {
    timeout: 120_000,
  }, async () => {
    const good = 'run: { command: ["true"] }\nschedule: manual\n';
    const f = fleet({ steady: 'run: { command: ["true"] }\nschedule: { every: 1s }\n', fuzz: good });
    const d = start(f.root);
    await waitFor(() => socketUp(f.stateDir), 30_000);
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const laughs = (levels: number) => {
      let t = 'x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
      for (let i = 1; i <= levels; i++)
        t += `x${i}: &x${i} [${Array(9)
          .fill(`*x${i - 1}`)
          .join(', ')}]\n`;
      return `${t}run: { command: *x${levels} }\n`;
    };
    const generators: (() => string)[] = [
      () => laughs(9),
      () => 'run:\n  command: [*sh]\n',
      () => 'run: &r { command: [*r] }\n',
      () =>
        `run: { command: [echo] }\nenv:\n${Array.from({ length: 20_000 }, (_, i) => `  K${i}: v`).join('\n')}\n  K1: dup\n`,
      () => `run: { command: [echo] }\ndescription: "${'z'.repeat(300_000)}"\n`,
      () => Buffer.from(Array.from({ length: 2000 }, () => Math.floor(rand() * 256))).toString('latin1'),
      () => good.slice(0, Math.floor(rand() * good.length)),
      () => `${good}timeout: 25d\n`,
      () => `${good}schedule: { cron: "*/61 * * * *" }\n`,
      () => '{[}]:\n\t- - -\n',
    ];
    let mutations = 0;
    let maxLoadMs = 0;
    const { loadCoordinator } = await import('@habitat/config');
    for (let i = 0; i < 20; i++) {
      const text = generators[i % generators.length]!();
      writeFileSync(path.join(f.root, 'agents', 'fuzz.yaml'), text);
      mutations++;
      const t0 = performance.now();
      const c = await loadCoordinator(f.root, { fresh: true });
      maxLoadMs = Math.max(maxLoadMs, performance.now() - t0);
      expect(c.agents.map((a) => a.name)).toContain('steady');
      await sleep(120);
    }
    await sleep(1500);
    const steady = () => runsOf(f.stateDir).filter((r) => r.agent === 'steady').length;
    const before = steady();
    await sleep(2500);
    // every 1s, so one run is due: waited for up to 20 s more (a loaded machine fires late, a stalled daemon
    // never); 2 in 2.5 s measured at load 3
    const after = await waitFor(() => steady() > before && steady(), 20_000).catch(() => steady());
    const crashes = alive(d) ? 0 : 1;
    report('yaml-fuzz', {
      mutations,
      maxLoadMs: Math.round(maxLoadMs),
      steadyRunsAfter: after - before,
      crashes,
    });
    expect(crashes).toBe(0);
    expect(after).toBeGreaterThan(before); // scheduling never stalled
    expect(maxLoadMs).toBeLessThan(15_000); // a 560 KB file stalled firing for 25 s before
  });

  test('a settings typo keeps isolation', { timeout: 60_000 }, async () => {
    const f = fleet(
      { boxed: 'run: { command: ["true"] }\nschedule: manual\n' },
      {
        'habitat.yaml': 'defaults:\n  isolation: { backend: docker, image: habitat-test:latest }\n',
      },
    );
    const d = start(f.root);
    await waitFor(() => socketUp(f.stateDir), 30_000);
    const client = await connectDaemon(f.stateDir);
    const backend = async () =>
      (await client.request<{ agents: { backend: string }[] }>('status')).agents[0]?.backend ?? 'none';
    const before = await backend();
    writeFileSync(
      path.join(f.root, 'habitat.yaml'),
      'defaults:\n  isolation: { backend: docker, image: habitat-test:latest }\nmaxConcurentRuns: 3\n',
    );
    let after = before;
    const end = Date.now() + 5000;
    let reported = '';
    while (Date.now() < end) {
      const s = await client.request<{ daemon: { problem?: string }; agents: { backend: string }[] }>(
        'status',
      );
      after = s.agents[0]?.backend ?? 'none';
      reported = s.daemon.problem ?? '';
      if (reported) break;
      await sleep(100);
    }
    client.close();
    const crashes = alive(d) ? 0 : 1;
    report('settings-typo', {
      backendBefore: before,
      backendAfter: after,
      backendChanged: before === after ? 0 : 1,
      reported: reported ? 1 : 0,
      crashes,
    });
    expect(after).toBe('docker');
    expect(reported).toMatch(/keeps its last good settings/);
    expect(crashes).toBe(0);
  });
});

describe('hostile conditions', () => {
  test('lock race: two daemons at the same instant, with and without a stale lock, and after rm -rf', {
    timeout: 120_000,
  }, async () => {
    const lockScript = `
      import('${path.resolve(__dirname, '../dist/index.js')}').then(async ({ acquireLock }) => {
        try { await acquireLock(process.argv[1]); process.stdout.write('won'); await new Promise(r => setTimeout(r, 1500)); }
        catch (e) { process.stdout.write(e.code === 'locked' ? 'lost' : 'error ' + e.message); }
      });`;
    const trials = 8;
    let doubleHeld = 0;
    let noneHeld = 0;
    for (let t = 0; t < trials; t++) {
      const dir = mkdtempSync(path.join(tmpdir(), 'habitat-lockrace-'));
      if (t % 2 === 1) writeFileSync(path.join(dir, 'daemon.lock'), '999999\n'); // stale
      const both = await Promise.all(
        [0, 1].map(
          () =>
            new Promise<string>((resolve) => {
              const p = spawn(process.execPath, ['-e', lockScript, dir], {
                stdio: ['ignore', 'pipe', 'ignore'],
              });
              let out = '';
              p.stdout.on('data', (c) => (out += c));
              p.on('exit', () => resolve(out));
            }),
        ),
      );
      const won = both.filter((o) => o === 'won').length;
      if (won > 1) doubleHeld++;
      if (won === 0) noneHeld++;
    }
    // rm -rf .habitat under a running daemon: a second one must still refuse
    const f = fleet({ a: 'run: { command: ["true"] }\nschedule: manual\n' });
    const first = start(f.root);
    await waitFor(() => socketUp(f.stateDir), 30_000);
    rmSync(f.stateDir, { recursive: true, force: true });
    const t0 = Date.now();
    const second = spawnSync(process.execPath, [CLI, 'up', '--no-layers'], {
      cwd: f.root,
      encoding: 'utf8',
      timeout: 20_000,
    });
    const secondMs = Date.now() - t0;
    const secondStarted = second.status === 1 && /already running/.test(second.stderr) ? 0 : 1;
    report('lock-race', { trials, doubleHeld, noneHeld, secondDaemonAfterRmRf: secondStarted, secondMs });
    expect(doubleHeld).toBe(0);
    expect(noneHeld).toBe(0);
    // Everything both processes said, for a failure that does not reproduce on demand.
    const tail = (s: string | null | undefined) => (s ?? '').slice(-3000);
    expect(
      secondStarted,
      [
        `second up: status ${second.status} signal ${second.signal} error ${second.error?.message} after ${secondMs} ms`,
        `second stdout: ${tail(second.stdout)}`,
        `second stderr: ${tail(second.stderr)}`,
        `first daemon: ${alive(first) ? 'alive' : `exited code ${first.child.exitCode} signal ${first.child.signalCode}`}`,
        `first stderr: ${tail(first.stderr())}`,
      ].join('\n'),
    ).toBe(0);
  });

  // The lock race's rm -rf lands at a random instant after the socket file appears; these two put it where it
  // broke the daemon once in a loaded suite run (chmod of the socket just bound: ENOENT, the start failed and
  // freed the lock, and a second daemon ran beside the first, which lingered) and just before the bind.
  const RM_AT_BIND = path.resolve(__dirname, 'rm-at-bind.mjs');
  const startRemoving = (root: string, when: 'before' | 'after') => {
    const d = up(root, { RM_AT_BIND: when }, ['--import', RM_AT_BIND]);
    daemons.push(d);
    return d;
  };

  test('rm -rf the instant the control socket is bound: the daemon keeps running and its lock, a second up is refused', {
    timeout: 120_000,
  }, async () => {
    const f = fleet({ a: 'run: { command: ["true"] }\nschedule: manual\n' });
    const first = startRemoving(f.root, 'after');
    await waitFor(() => /"daemon\.started"|^error /m.test(first.stderr()), 60_000);
    expect(first.stderr(), 'the daemon failed its start').not.toMatch(/^error /m);
    expect(existsSync(f.stateDir)).toBe(false); // the preload did remove it, socket and all
    const t0 = Date.now();
    const second = spawnSync(process.execPath, [CLI, 'up', '--no-layers'], {
      cwd: f.root,
      encoding: 'utf8',
      timeout: 60_000, // refused in 0.2-0.5 s even at load 10; a second daemon that got the lock runs until this
    });
    const secondMs = Date.now() - t0;
    expect(
      { status: second.status, refused: /already running/.test(second.stderr) },
      `second up after ${secondMs} ms (signal ${second.signal}): ${second.stderr.slice(-2000)}`,
    ).toEqual({ status: 1, refused: true });
    // Its files are gone: the checkpoint process fails on them within its first interval (the daemon falls
    // back to its own checkpoints), and a reload writes plans to the removed database. Neither stops it.
    writeFileSync(
      path.join(f.root, 'agents', 'a.yaml'),
      'run: { command: ["true"] }\nschedule: { every: 1h }\n',
    );
    await waitFor(() => /"daemon\.reloaded"/.test(first.stderr()), 30_000);
    await sleep(2500);
    expect(alive(first), first.stderr().slice(-3000)).toBe(true);
    expect(await lockHeld(f.stateDir)).toBe(true);
    report('rm-at-bind', {
      secondRefused: second.status === 1 ? 1 : 0,
      secondMs,
      crashes: alive(first) ? 0 : 1,
    });
  });

  test('rm -rf just before the control socket is bound: up fails naming the socket and exits, never lingers without its lock', {
    timeout: 90_000,
  }, async () => {
    const f = fleet({ a: 'run: { command: ["true"] }\nschedule: manual\n' });
    const first = startRemoving(f.root, 'before');
    const exit = await Promise.race([first.exited, sleep(30_000).then(() => undefined)]);
    expect(exit, `still running 30 s after its start failed: ${first.stderr().slice(-2000)}`).toBeDefined();
    expect(exit!.code, first.stderr().slice(-2000)).not.toBe(0);
    expect(first.stderr()).toMatch(/habitat\.sock.*removed/);
  });

  test('SIGSTOP/SIGCONT: missed slots recorded, no burst; CLI calls time out clearly; habitat run does not fall back', {
    timeout: 90_000,
  }, async () => {
    const f = fleet({
      tick: 'run: { command: [sh, -c, "echo $HABITAT_RUN_ID >> TRUTH"] }\nschedule: { every: 1s }\n',
    });
    const d = start(f.root);
    await waitFor(() => socketUp(f.stateDir) && runsOf(f.stateDir).length >= 2, 30_000);
    d.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    const t0 = Date.now();
    const status = spawnSync(process.execPath, [CLI, 'status'], {
      cwd: f.root,
      encoding: 'utf8',
      timeout: 30_000,
    });
    const statusMs = Date.now() - t0;
    const t1 = Date.now();
    const run = spawnSync(process.execPath, [CLI, 'run', 'tick'], {
      cwd: f.root,
      encoding: 'utf8',
      timeout: 30_000,
    });
    const runMs = Date.now() - t1;
    await sleep(Math.max(0, 6000 - (Date.now() - stoppedAt)));
    const before = runsOf(f.stateDir).length;
    d.child.kill('SIGCONT');
    const resumedAt = Date.now();
    await sleep(2000);
    const burst = runsOf(f.stateDir).filter((r) => r.queued_at >= resumedAt - 50).length;
    const store = openStore(f.stateDir, { readonly: true });
    const missed = store
      .skipped('tick', 1000)
      .filter((s) => /missed/.test(s.reason) && s.recorded_at >= resumedAt - 50).length;
    store.close();
    void before;
    // an execution the agent made that the daemon has no record of: a silent foreground fallback
    const recorded = new Set(runsOf(f.stateDir).map((r) => r.id));
    const foreground = readFileSync(f.truth, 'utf8')
      .split('\n')
      .filter((id) => id && !recorded.has(id)).length;
    report('sigstop', {
      stoppedMs: resumedAt - stoppedAt,
      missedRecorded: missed,
      runsIn2sAfterSIGCONT: burst,
      statusExit: status.status ?? -1,
      statusMs,
      runExit: run.status ?? -1,
      runMs,
      unrecordedForegroundRuns: foreground,
      crashes: alive(d) ? 0 : 1,
    });
    expect(status.status).not.toBe(0);
    expect(status.stderr).toMatch(/did not answer .* within 5 s: it may be stopped \(SIGSTOP\)/);
    expect(statusMs).toBeLessThan(15_000);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/not running tick in the foreground|did not answer/);
    expect(missed).toBeGreaterThanOrEqual(3);
    expect(burst).toBeLessThanOrEqual(2);
    expect(foreground).toBe(0);
    expect(alive(d)).toBe(true);
  });

  test('pid reuse: stale rows pointing at unrelated processes never get them signalled', {
    timeout: 60_000,
  }, async () => {
    const f = fleet({ a: 'run: { command: ["true"] }\nschedule: manual\n' });
    mkdirSync(f.stateDir, { recursive: true });
    const bystanders = Array.from({ length: 5 }, () => spawn('setsid', ['sleep', '60'], { stdio: 'ignore' }));
    await sleep(200);
    const store = openStore(f.stateDir);
    bystanders.forEach((b, i) => {
      const id = `01JPIDREUSE00000000000000${i}`;
      store.insertRun({ id, agent: 'a', trigger: 'schedule', status: 'queued', queued_at: Date.now() });
      store.markStarted(id, Date.now() - 5000, 'local', null);
      store.markProcess(id, b.pid!, null);
    });
    store.close();
    const d = start(f.root);
    await waitFor(() => socketUp(f.stateDir), 30_000);
    await sleep(500);
    const signalled = bystanders.filter((b) => b.exitCode !== null || b.signalCode !== null).length;
    for (const b of bystanders) b.kill('SIGKILL');
    report('pid-reuse', {
      staleRows: bystanders.length,
      bystandersSignalled: signalled,
      crashes: alive(d) ? 0 : 1,
    });
    expect(signalled).toBe(0);
  });

  test('full disk on a small tmpfs: the daemon keeps running, reports and notifies it, recovers', {
    timeout: 90_000,
  }, async () => {
    const mount = mkdtempSync(path.join(tmpdir(), 'habitat-chaos-tmpfs-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount], { stdio: 'pipe' });
    } catch (error) {
      const reason = `cannot mount a tmpfs (${String((error as Error).message).split('\n')[0]}): needs root`;
      report('full-disk', { skipped: reason });
      return;
    }
    try {
      const truthDir = mkdtempSync(path.join(tmpdir(), 'habitat-chaos-truth-'));
      const truth = path.join(truthDir, 'runs');
      writeFileSync(truth, '');
      const root = path.join(mount, 'fleet');
      mkdirSync(path.join(root, 'agents'), { recursive: true });
      // A command notification target that keeps what it is sent outside the full file system.
      const notified = path.join(truthDir, 'notified');
      writeFileSync(notified, '');
      writeFileSync(
        path.join(root, 'habitat.yaml'),
        `notify: [{ command: [sh, -c, 'cat >> ${notified}'], on: [disk-full, disk-recovered] }]\n`,
      );
      writeFileSync(
        path.join(root, 'agents', 'tick.yaml'),
        `run: { command: [sh, -c, 'echo "$HABITAT_RUN_ID" >> ${truth}; echo out'] }\nschedule: { every: 1s }\n`,
      );
      const events = () =>
        readFileSync(notified, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => (JSON.parse(l) as { event: string }).event);
      const d = start(root);
      const stateDir = path.join(root, '.habitat');
      await waitFor(
        () => socketUp(stateDir) && readFileSync(truth, 'utf8').split('\n').filter(Boolean).length >= 2,
        30_000,
      );
      const filler = path.join(mount, 'filler');
      try {
        for (let i = 0; i < 100; i++) writeFileSync(filler, Buffer.alloc(256 * 1024, 1), { flag: 'a' });
      } catch {
        // full
      }
      const statusWhileFull = () =>
        spawnSync(process.execPath, [CLI, 'status'], { cwd: root, encoding: 'utf8', timeout: 20_000 }).stdout;
      const reported = await waitFor(() => /problem: .*full/.test(statusWhileFull()), 20_000).catch(
        () => false,
      );
      const notifiedFull = await waitFor(() => events().includes('disk-full'), 10_000).then(
        () => 1,
        () => 0,
      );
      const n0 = readFileSync(truth, 'utf8').split('\n').filter(Boolean).length;
      await sleep(3000);
      const runsWhileFull = readFileSync(truth, 'utf8').split('\n').filter(Boolean).length - n0;
      const aliveWhileFull = alive(d);
      rmSync(filler);
      const recovered = await waitFor(
        () => readFileSync(truth, 'utf8').split('\n').filter(Boolean).length >= n0 + runsWhileFull + 2,
        30_000,
      ).then(
        () => 1,
        () => 0,
      );
      await waitFor(() => events().includes('disk-recovered'), 10_000).catch(() => {});
      d.child.kill('SIGTERM');
      await d.exited;
      const sent = events();
      const ids = readFileSync(truth, 'utf8').split('\n').filter(Boolean);
      const rows = new Map(runsOf(stateDir).map((r) => [r.id, r.status]));
      const unrecorded = ids.filter((id) => rows.get(id) !== 'succeeded').length;
      report('full-disk', {
        reported: reported ? 1 : 0,
        notifiedFull,
        notifications: sent.join(','),
        runsWhileFull,
        recovered,
        executions: ids.length,
        unrecorded,
        crashes: aliveWhileFull ? 0 : 1,
      });
      expect(aliveWhileFull).toBe(true);
      expect(reported).toBeTruthy();
      expect(sent).toEqual(['disk-full', 'disk-recovered']); // once each
      expect(runsWhileFull).toBeLessThanOrEqual(1);
      expect(recovered).toBe(1);
      expect(unrecorded).toBe(0);
    } finally {
      spawnSync('umount', ['-l', mount]);
      if (existsSync(mount)) rmSync(mount, { recursive: true, force: true });
    }
  });
});
