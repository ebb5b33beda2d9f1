// End to end: the real daemon (`habitat up`) on a temp coordinator with local agents, and the real TUI in
// a real terminal (tmux), asserting what a person would see.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';

const CLI = path.resolve(__dirname, '../../cli/dist/index.js');
const TUI = path.resolve(__dirname, '../dist/index.js');
const SERVER = `habitat-tui-e2e-${process.pid}`;
const SESSION = 'tui';
let root = '';
let daemon: ChildProcess | undefined;

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SERVER, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', SESSION);
const keys = (...k: string[]) => tmux('send-keys', '-t', SESSION, ...k);

async function see(what: string | RegExp, timeoutMs = 15_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    last = screen();
    if (typeof what === 'string' ? last.includes(what) : what.test(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never saw ${String(what)} on the screen; it showed:\n${last}`);
}

async function until(ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out; the screen showed:\n${screen()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function up(): ChildProcess {
  const child = spawn(process.execPath, [CLI, 'up', '--no-layers'], { cwd: root, stdio: 'ignore' });
  daemon = child;
  return child;
}

async function stopDaemon(): Promise<void> {
  const child = daemon;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

beforeAll(() => {
  for (const [what, file] of [
    ['@habitat/cli', CLI],
    ['@habitat/tui', TUI],
  ])
    if (!existsSync(file!))
      throw new Error(`${file} is missing: build it first (turbo run build --filter=${what})`);
  root = mkdtempSync(path.join(tmpdir(), 'habitat-tui-e2e-'));
  mkdirSync(path.join(root, 'agents'));
  const agent = (name: string, yaml: string) =>
    writeFileSync(path.join(root, 'agents', `${name}.yaml`), yaml);
  agent(
    'ticker',
    'run: { command: [sh, -c, "i=0; while [ $i -lt 60 ]; do i=$((i+1)); echo tick $i; sleep 0.1; done"] }\nschedule: { every: 2s }\n',
  );
  agent('broken', 'run: { command: [sh, -c, "echo about to fail; exit 3"] }\nschedule: manual\n');
  agent('quiet', 'run: { command: ["true"] }\nschedule: manual\n');
  agent('typo', 'run: { command: ["true"] }\nschedul: manual\n');
});

afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    // already gone
  }
  await stopDaemon();
  // a killed daemon's agents finish on their own; what they still write goes to files already unlinked
  rmSync(root, { recursive: true, force: true });
});

test('a person watches the fleet, opens a live run, runs an agent, survives a daemon restart, and quits', async () => {
  up();
  await new Promise((r) => setTimeout(r, 300));
  tmux(
    'new-session',
    '-d',
    '-s',
    SESSION,
    '-x',
    '100',
    '-y',
    '30',
    `'${process.execPath}' '${TUI}' --dir '${root}'; echo "TUI-EXITED rc=$?"; sleep 60`,
  );

  // The fleet: every agent, live through the daemon.
  let s = await see(/live: daemon pid \d+/);
  s = await see('ticker');
  expect(s).toContain('broken');
  expect(s).toContain('quiet');
  expect(s).toMatch(/AGENT▼ +STATE +NEXT +LAST RUN +TODAY/);
  // one broken agent file never stops the others, and the header says so
  expect(s).toMatch(/3 agents, \d running, 1 invalid/);
  expect(s).toMatch(/^! typo\.yaml:2 .*schedul.* \(habitat validate\)/m);

  // Resize to 80x24: the table is laid out again and nothing wraps.
  const wide = s.split('\n')[1]!;
  tmux('resize-window', '-t', SESSION, '-x', '80', '-y', '24');
  await until(() => {
    const lines = screen().split('\n');
    return (
      lines[1] !== wide &&
      /AGENT▼ +STATE +NEXT +LAST RUN +TODAY/.test(lines[1]!) &&
      /^live: daemon pid/.test(lines[22]!)
    );
  });
  for (const line of screen().split('\n')) expect(line.length).toBeLessThanOrEqual(80);

  // A run appearing: the ticker runs every 2s.
  await see(/ticker +running for \d+s/);

  // Run `broken` now: it fails, and the fleet says so with the exit code.
  keys('g'); // no-op in the fleet view
  keys('Home');
  s = await see(/> broken/);
  keys('r');
  await see(/broken queued: [0-9A-Z]{26}/);
  s = await see(/broken +failed: failed \(exit 3\)/);
  // Its cost today (a shell agent: nothing) reads as `habitat status` prints it.
  const statusRow = execFileSync(process.execPath, [CLI, 'status'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .find((l) => l.startsWith('broken '));
  const fleetRow = s.split('\n').find((l) => /broken +failed/.test(l));
  expect(fleetRow?.trim().split(/ +/).at(-1)).toBe(statusRow?.trim().split(/ +/).at(-1));
  expect(fleetRow?.trim().split(/ +/).at(-1)).toBe('$0.00');

  // The ticker's live log: its newest lines, following.
  keys('End');
  await see(/> ticker/);
  keys('Enter');
  s = await see(/ticker · run [0-9A-Z]{26} · running · following/);
  s = await see(/tick \d+/);
  const newest = () => Math.max(...[...screen().matchAll(/tick (\d+)/g)].map((m) => Number(m[1])));
  const first = newest();
  await until(() => newest() > first);
  expect(s).toContain('HISTORY');

  // Cancelling asks first; anything but y keeps the run.
  keys('x');
  await see("Cancel ticker's run");
  keys('n');
  await see('not done');

  // The daemon goes away: read-only, said so; it comes back: live again.
  await stopDaemon();
  await see(/READ-ONLY: (the daemon went away|no daemon is running)/);
  up();
  await see(/live: daemon pid \d+/, 20_000);

  // A past run's log opens from its file: broken's failed run.
  keys('Escape');
  await see(/\[1 fleet\]/);
  keys('Home');
  await see(/> broken/);
  keys('Enter');
  s = await see(/broken · run [0-9A-Z]{26} · failed/);
  s = await see('about to fail');
  expect(s).toMatch(/>\d\d:\d\d failed \d+ms exit 3/);

  // ? shows the keys; q exits and gives the terminal back.
  keys('?');
  await see('Keys (? or esc closes)');
  keys('q');
  s = await see('TUI-EXITED rc=0');
  expect(s).not.toContain('AGENT');
}, 90_000);

test('habitat --utc tui shows times in UTC, as the CLI does; without it, the local zone, named in the header', async () => {
  const nightly = path.join(root, 'agents', 'nightly.yaml');
  writeFileSync(nightly, 'run: { command: ["true"] }\nschedule: { cron: "30 4 * * *" }\n');
  try {
    const next = JSON.parse(
      execFileSync(process.execPath, [CLI, '-C', root, 'list', '--json'], { encoding: 'utf8' }),
    ) as { name: string; next: string | null }[];
    const at = new Date(next.find((a) => a.name === 'nightly')!.next!);
    const hhmm = (h: number, m: number) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
    for (const [session, utc] of [
      ['utc', true],
      ['local', false],
    ] as const) {
      tmux(
        'new-session',
        '-d',
        '-s',
        session,
        '-x',
        '120',
        '-y',
        '30',
        `TZ=Asia/Kolkata '${process.execPath}' '${CLI}' -C '${root}' ${utc ? '--utc ' : ''}tui`,
      );
      const shown = () => tmux('capture-pane', '-p', '-t', session);
      const end = Date.now() + 15_000;
      while (!/nightly/.test(shown()) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      const s = shown();
      expect(s).toContain(utc ? 'times UTC' : 'times +05:30');
      // the cron agent's next run, in the zone named (Kolkata is UTC+05:30)
      const local = new Date(at.getTime() + 330 * 60_000);
      const want = utc
        ? hhmm(at.getUTCHours(), at.getUTCMinutes())
        : hhmm(local.getUTCHours(), local.getUTCMinutes());
      expect(s).toMatch(new RegExp(`nightly .*${want}`));
      tmux('kill-session', '-t', session);
    }
  } finally {
    rmSync(nightly, { force: true });
  }
}, 60_000);

test("sessions search shows a tool call's input as text, not as escaped JSON", async () => {
  // a Claude Code transcript whose Edit call spans lines; indexed into this coordinator's state dir
  const home = mkdtempSync(path.join(tmpdir(), 'habitat-tui-e2e-claude-'));
  const file = path.join(home, 'projects', '-w-app', 's-edit.jsonl');
  mkdirSync(path.dirname(file), { recursive: true });
  const base = { sessionId: 's-edit', cwd: '/w/app', version: '2.1.0' };
  writeFileSync(
    file,
    `${[
      {
        ...base,
        type: 'user',
        uuid: 'u1',
        timestamp: '2026-11-30T09:00:00Z',
        message: { role: 'user', content: 'deploy the site' },
      },
      {
        ...base,
        type: 'assistant',
        uuid: 'u2',
        parentUuid: 'u1',
        timestamp: '2026-11-30T09:00:05Z',
        message: {
          id: 'msg_1',
          role: 'assistant',
          model: 'claude-sonnet-4-5',
          content: [
            {
              type: 'tool_use',
              id: 'toolu_1',
              name: 'Edit',
              input: {
                file_path: '/w/app/deploy.sh',
                old_string: 'cd site\nnpm run build',
                new_string: 'cd site\nnpm run walrusdeploy',
              },
            },
          ],
        },
      },
    ]
      .map((line) => JSON.stringify(line))
      .join('\n')}\n`,
  );
  execFileSync(process.execPath, [
    CLI,
    '-C',
    root,
    'sessions',
    'index',
    '--no-defaults',
    '--claude-dir',
    home,
  ]);
  tmux(
    'new-session',
    '-d',
    '-s',
    'search',
    '-x',
    '120',
    '-y',
    '30',
    `'${process.execPath}' '${TUI}' --dir '${root}'`,
  );
  const shown = () => tmux('capture-pane', '-p', '-t', 'search');
  const type = (...k: string[]) => tmux('send-keys', '-t', 'search', ...k);
  const end = Date.now() + 15_000;
  while (!/\[1 fleet\]/.test(shown()) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  type('3');
  while (!/\[3 sessions\]/.test(shown()) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  type('/');
  type('-l', 'walrusdeploy');
  // Enter once the prompt holds the words (sent at once, it can reach the prompt before they do)
  while (!/search sessions: walrusdeploy/.test(shown()) && Date.now() < end)
    await new Promise((r) => setTimeout(r, 100));
  type('Enter');
  let s = shown();
  while (!/string: cd site/.test(s) && Date.now() < end + 15_000) {
    await new Promise((r) => setTimeout(r, 100));
    s = shown();
  }
  expect(s).toMatch(/…string: cd site npm run «walrusdeploy»$/m);
  expect(s).not.toContain('\\n');
  expect(s).not.toContain('"new_string"');
  tmux('kill-session', '-t', 'search');
  rmSync(home, { recursive: true, force: true });
}, 60_000);
