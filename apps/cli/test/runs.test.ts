// habitat run / logs / history through the built CLI, with a claude agent whose `claude` prints a real
// Claude Code stream (packages/testkit/fixtures/limits: recorded from Claude Code 2.1.330).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { openStore } from '@habitat/scheduler';
import { limitFixture, testdir } from '@habitat/testkit';
import { expect, test } from 'vitest';

const CLI = path.resolve(__dirname, '../dist/index.js');
const FIXTURE = limitFixture('five-hour-warning');

function fleet() {
  const root = testdir({
    'habitats/feed/prompts/main.md': 'do the thing\n',
    'agents/feed.yaml':
      // IS_SANDBOX: the stand-in claude runs as root in CI, which a real claude accepts only in a sandbox.
      'repo: ../habitats/feed\nrun: { claude: { prompt: prompts/main.md } }\nschedule: { every: 1h }\nenv: { IS_SANDBOX: "1" }\n',
    // A `claude` that prints a recorded stream, says something on stderr and asks to be woken in 2 hours.
    'bin/claude.sh': `#!/bin/sh\ncat > /dev/null\ncat '${FIXTURE}'\necho 'warning: slow network' >&2\necho 2h > "$HABITAT_WAKE_FILE"\n`,
  });
  spawnSync('mv', [path.join(root, 'bin/claude.sh'), path.join(root, 'bin/claude')]);
  const env = { ...process.env, NO_COLOR: '1', PATH: `${path.join(root, 'bin')}:${process.env.PATH}` };
  const habitat = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], { cwd: root, encoding: 'utf8', env });
  return { root, env, habitat };
}

test('a foreground run renders the stream for people, --raw keeps it exact, --json is JSON only; the run is history and its wake holds', () => {
  const { root, env, habitat } = fleet();
  expect(habitat('history').stdout).toBe('no runs yet\n');
  const run = habitat('run', 'feed');
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toMatch(/^\d\d:\d\d:\d\d {2}● claude started · claude-sonnet-5-5 · session /m);
  expect(run.stdout).toMatch(
    /^\d\d:\d\d:\d\d {2}⏸ rate limit five_hour: allowed_warning, resets 2026-12-0[12] \d\d:\d\d[+-]\d\d:\d\d$/m,
  );
  // --utc: the reset and the line stamps in UTC, as every time habitat prints (logs renders the same log)
  expect(habitat('--utc', 'logs', 'feed').stdout).toMatch(
    /^\d\d:\d\d:\d\d {2}⏸ rate limit five_hour: allowed_warning, resets 2026-12-01 10:06Z$/m,
  );
  expect(run.stdout).toMatch(/^\d\d:\d\d:\d\d {2}■ success · 1 turn\(s\) · \$0\.0004/m);
  expect(run.stderr).toMatch(/stderr: warning: slow network/);
  expect(run.stdout).not.toContain('{"type"');

  const raw = habitat('run', 'feed', '--raw');
  expect(raw.stdout).toBe(readFileSync(FIXTURE, 'utf8'));

  const json = habitat('run', 'feed', '--json');
  const result = JSON.parse(json.stdout) as { status: string; runId: string; wakeAt: string };
  expect(result.status).toBe('succeeded');
  expect(json.stderr).toContain('rate limit five_hour');

  // Recorded without a daemon: history sees all three runs, and the agent's next run is its wake request.
  const history = JSON.parse(habitat('history', '--json').stdout) as { runId: string; status: string }[];
  expect(history.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  expect(history[0]!.runId).toBe(result.runId);
  const store = openStore(path.join(root, '.habitat'), { readonly: true });
  const plan = store.plan('feed')!;
  store.close();
  expect(plan.next_reason).toBe('wake');
  expect(plan.next_at).toBe(Date.parse(result.wakeAt));
  expect(plan.next_at! - Date.now()).toBeGreaterThan(115 * 60_000);
  const up = habitat('up', '--once');
  expect(up.stdout).toBe('nothing was due\n'); // once, without an empty table's "(none)" under it
  expect(JSON.parse(habitat('history', '--json').stdout)).toHaveLength(3);

  // The log keeps the exact stream, stderr lines marked; logs renders it, --raw prints it as written.
  // A name that is no agent (and has no logs) is a usage error, also with --follow (it waited forever).
  for (const follow of [[], ['--follow']]) {
    const typo = habitat('logs', 'fede', ...follow);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain('no agent "fede"');
  }
  // So is `history` of it (it said "no runs of fede yet", exit 0), on the fast path and under commander.
  for (const fast of ['1', '0']) {
    const typo = spawnSync(process.execPath, [CLI, 'history', 'fede'], {
      cwd: root,
      env: { ...env, HABITAT_DAEMON_FAST: fast },
      encoding: 'utf8',
    });
    expect([typo.status, typo.stderr]).toEqual([2, expect.stringContaining('no agent "fede"')]);
  }
  expect(habitat('history', 'feed', '--json').status).toBe(0);
  const logs = habitat('logs', 'feed');
  expect(logs.stdout).toMatch(/^\d\d:\d\d:\d\d {2}■ success/m);
  expect(logs.stdout).toMatch(/^\d\d:\d\d:\d\d {2}stderr: warning: slow network$/m);
  const logDir = path.join(root, '.habitat/logs/feed');
  const newest = readdirSync(logDir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .at(-1)!;
  expect(habitat('logs', 'feed', '--raw').stdout).toBe(readFileSync(path.join(logDir, newest), 'utf8'));
  expect(readFileSync(path.join(logDir, newest), 'utf8')).toBe(
    `${readFileSync(FIXTURE, 'utf8')}[stderr] warning: slow network\n`,
  );
});

test('logs --follow between runs waits for the next run and prints it', async () => {
  const { root, env, habitat } = fleet();
  expect(habitat('run', 'feed', '-q').status).toBe(0);
  const follower = spawn(process.execPath, [CLI, 'logs', 'feed', '--follow'], { cwd: root, env });
  let out = '';
  let err = '';
  follower.stdout.on('data', (c) => (out += c));
  follower.stderr.on('data', (c) => (err += c));
  const exited = new Promise<number | null>((resolve) => follower.once('close', resolve));
  await new Promise((r) => setTimeout(r, 1500));
  expect(err).toContain('waiting for the next run of feed');
  const before = out.split('■ success').length - 1;
  expect(before).toBe(1);
  expect(habitat('run', 'feed', '-q').status).toBe(0);
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
  expect(code).toBe(0);
  expect(out.split('■ success').length - 1).toBe(2);
}, 30_000);

test('logs --follow --all keeps following run after run', async () => {
  const { root, env, habitat } = fleet();
  const follower = spawn(process.execPath, [CLI, 'logs', 'feed', '--follow', '--all'], { cwd: root, env });
  let out = '';
  follower.stdout.on('data', (c) => (out += c));
  await new Promise((r) => setTimeout(r, 800));
  for (let i = 0; i < 2; i++) expect(habitat('run', 'feed', '-q').status).toBe(0);
  for (let i = 0; i < 50 && out.split('■ success').length - 1 < 2; i++)
    await new Promise((r) => setTimeout(r, 100));
  expect(out.split('■ success').length - 1).toBe(2);
  expect(follower.exitCode).toBeNull();
  follower.kill('SIGINT');
  await new Promise((resolve) => follower.once('close', resolve));
}, 30_000);

test('kill -9 of a foreground run leaves no credential file once the daemon starts', async () => {
  const root = testdir({
    'habitats/slow/README.md': 'x\n',
    'tok.json': '{"token":"tok-kill9-0123456789"}',
    'agents/slow.yaml':
      'repo: ../habitats/slow\nrun: { command: [sleep, "30"] }\nschedule: manual\ncredentials:\n  - { name: tok, from: ../tok.json, as: file }\n',
  });
  const secrets = path.join(root, '.habitat/secrets');
  const child = spawn(process.execPath, [CLI, 'run', 'slow', '-q'], {
    cwd: root,
    stdio: 'ignore',
    detached: true,
  });
  const listed = () => (existsSync(secrets) ? readdirSync(secrets).filter((f) => !f.endsWith('.owner')) : []);
  for (let i = 0; i < 100 && listed().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(listed()).toHaveLength(1);
  process.kill(-child.pid!, 'SIGKILL'); // the CLI and its agent
  await new Promise((r) => setTimeout(r, 300));
  expect(listed()).toHaveLength(1); // what the crash left
  const up = spawnSync(process.execPath, [CLI, 'up', '--once', '--no-layers'], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(up.status, up.stderr).toBe(0);
  expect(readdirSync(secrets)).toEqual([]);
}, 30_000);

test('a damaged scheduler state: `habitat run` runs and says it was not recorded, `habitat up` refuses to start; both name the file and the fix', () => {
  const { root, habitat } = fleet();
  expect(habitat('run', 'feed', '-q').status).toBe(0);
  const file = path.join(root, '.habitat', 'scheduler.db');
  const store = openStore(path.join(root, '.habitat'));
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  // every page but the first (its header and the schema) overwritten with garbage
  const fd = openSync(file, 'r+');
  for (let page = 1; page < statSync(file).size / 4096; page++)
    writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, page * 4096);
  closeSync(fd);
  const fix = `restore it from a backup, or move it away (mv ${file} ${file}.broken)`;
  const run = habitat('run', 'feed', '-q');
  expect(run.status, run.stderr).toBe(0);
  expect(run.stderr).toContain(
    `warning: not recorded in the scheduler state: ${file} is not a usable SQLite database (corrupt or overwritten).`,
  );
  expect(run.stderr).toContain(fix);
  // the read-only commands (their open reads only the header and the schema) name it as well
  for (const read of [habitat('history'), habitat('status')]) {
    expect(read.status).toBe(1);
    expect(read.stderr).toContain(`${file} is not a usable SQLite database`);
  }
  const up = habitat('up', '--once', '--no-layers');
  expect(up.status).toBe(1);
  expect(up.stderr).toMatch(/scheduler\.db (fails SQLite's integrity check|is not a usable SQLite database)/);
  expect(up.stderr).toContain(fix);
});

test('pause, resume, stats, history or logs of an agent that does not exist names the typo and the agents there, daemon or not', () => {
  const { habitat } = fleet();
  for (const verb of ['pause', 'resume']) {
    const typo = habitat(verb, 'fede');
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/no agent "fede" in .*agents \(agents: feed\)/);
    expect(typo.stderr).not.toMatch(/daemon/);
    // a real agent with no daemon up: that is what it says then
    const down = habitat(verb, 'feed');
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/no habitat daemon is running/);
  }
  // stats of a typo is not an agent with no runs
  const stats = habitat('stats', '--agent', 'fede');
  expect(stats.status).toBe(2);
  expect(stats.stderr).toMatch(/no agent "fede" in .*agents and no runs of one \(agents: feed\)/);
  // so do history and logs of a typo
  const history = habitat('history', 'fede');
  expect(history.status).toBe(2);
  expect(history.stderr).toMatch(/no agent "fede" in .*agents and no runs of one \(agents: feed\)/);
  const logs = habitat('logs', 'fede');
  expect(logs.status).toBe(2);
  expect(logs.stderr).toMatch(/no agent "fede" in .*agents and no logs of one \(agents: feed\)/);
  // a run id that is not there says where the runs are listed
  expect(habitat('logs', 'feed', '--run', 'nosuch').stderr).toContain(
    '(`habitat history feed` lists its runs)',
  );
});

test("status and stats show the same cost for an agent that reports none (status said '-', stats '$0.00')", () => {
  const root = testdir({ 'agents/tidy.yaml': 'run: { command: [echo, tidied] }\nschedule: { every: 1h }\n' });
  const habitat = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
  expect(habitat('run', 'tidy').status).toBe(0);
  // the last column of the agent's row in each table
  const costOf = (out: string) =>
    out
      .split('\n')
      .find((l) => l.startsWith('tidy '))
      ?.trim()
      .split(/\s+/)
      .at(-1);
  const stats = costOf(habitat('stats').stdout);
  expect(stats).toMatch(/^\$\d+\.\d\d$/);
  expect(costOf(habitat('status').stdout)).toBe(stats);
});
