// The config commands through the built CLI, on real directories.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { testdir } from '@habitat/testkit';
import { expect, test } from 'vitest';

const CLI = path.resolve(__dirname, '../dist/index.js');
const habitat = (cwd: string, ...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });

const BROKEN: Record<string, string> = {
  'agents/cron.yaml': 'run: { command: [echo] }\nschedule: { cron: "*/61 * * * *" }\n',
  'agents/typo.yaml': 'run: { command: [echo] }\nschedul: { every: 1h }\n',
  'agents/syntax.yaml': 'run:\n  command: [echo\n',
  'agents/type.yaml': 'run: { command: echo }\n',
  'agents/duration.yaml': 'run: { command: [echo] }\ntimeout: soon\n',
  'agents/tz.yaml': 'run: { command: [echo] }\nschedule: { cron: "0 * * * *", timezone: Nowhere/Land }\n',
  'agents/script.yaml': 'run: { script: missing.sh }\n',
  'agents/cred.yaml': 'run: { command: [echo] }\ncredentials: [{ name: x, from: nope.env }]\n',
  'agents/enum.yaml': 'run: { command: [echo] }\noverlap: sometimes\n',
  'agents/norun.yaml': 'schedule: manual\n',
  'agents/empty.yaml': '',
  'agents/dup.yml': 'run: { command: [echo] }\n',
  'agents/dup.yaml': 'run: { command: [echo] }\n',
  'agents/good.yaml':
    'run: { command: [echo, ok] }\nschedule: { every: 6h }\ncredentials: [{ name: api, from: ../api.env }]\n',
  'api.env': 'API_TOKEN=not-to-be-printed-123\n',
};

test('validate prints one precise diagnostic per broken file and exits 2; list --json still lists the valid agents', () => {
  const root = testdir(BROKEN);
  const validate = habitat(root, 'validate');
  expect(validate.status).toBe(2);
  const located = validate.stdout.split('\n').filter((l) => /^agents\/\S+\.ya?ml(:\d+:\d+)?( |$)/.test(l));
  expect(located.map((l) => l.split(/[: ]/)[0]).sort()).toEqual(
    ['cron', 'typo', 'syntax', 'type', 'duration', 'tz', 'script', 'cred', 'enum', 'norun', 'empty']
      .map((n) => `agents/${n}.yaml`)
      .concat('agents/dup.yml')
      .sort(),
  );
  expect(validate.stdout).toContain('agents/cron.yaml:2:19 schedule.cron');
  expect(validate.stdout).toContain('did you mean "schedule"?');
  expect(validate.stdout).toMatch(/12 errors in 12 files; 2 agents valid/);
  const list = habitat(root, 'list', '--json');
  expect(list.status).toBe(0);
  const agents = JSON.parse(list.stdout) as { name: string; credentials: string[] }[];
  expect(agents.map((a) => a.name)).toEqual(['dup', 'good']);
  expect(agents[1]!.credentials).toEqual(['api']);
  expect(list.stdout + list.stderr).not.toContain('not-to-be-printed-123');
  expect(list.stderr).toContain('agents/typo.yaml:2:1');
});

test('init where git has no identity: the files are written and the message says how to commit them', () => {
  const dir = testdir();
  // no global or system git config, and no name or address for git to guess from
  const out = spawnSync(process.execPath, [CLI, 'init', 'fleet'], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      NO_COLOR: '1',
      HOME: dir,
      XDG_CONFIG_HOME: dir,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: path.join(dir, 'no-gitconfig'),
      GIT_AUTHOR_NAME: '',
      GIT_AUTHOR_EMAIL: '',
      GIT_COMMITTER_NAME: '',
      GIT_COMMITTER_EMAIL: '',
      EMAIL: '',
    },
  });
  expect(out.status, out.stderr).toBe(0);
  expect(existsSync(path.join(dir, 'fleet', 'habitat.yaml'))).toBe(true);
  expect(out.stdout).toContain(
    'not committed: git does not know who you are: set git config --global user.name',
  );
  expect(out.stdout).toContain(`then: git -C ${path.join(dir, 'fleet')} commit -m "habitat init"`);
  expect(out.stdout).not.toContain('fatal:');
});

test('init and new agent make a coordinator that validates, with the schema line for editors', () => {
  const dir = testdir();
  const root = path.join(dir, 'fleet');
  expect(habitat(dir, 'init', 'fleet').status).toBe(0);
  expect(existsSync(path.join(root, '.git'))).toBe(true);
  expect(readFileSync(path.join(root, '.gitignore'), 'utf8')).toContain('.habitat/');
  expect(habitat(root, 'new', 'agent', 'feed').status).toBe(0);
  for (const f of ['CLAUDE.md', 'prompts/main.md', 'scripts/run.sh', '.gitignore'])
    expect(existsSync(path.join(root, 'habitats/feed', f))).toBe(true);
  expect(readFileSync(path.join(root, 'agents/feed.yaml'), 'utf8')).toMatch(
    /^# yaml-language-server: \$schema=\.\/\.schema\.json/,
  );
  const validate = habitat(root, 'validate');
  if (process.getuid?.() === 0) {
    // Claude Code refuses --dangerously-skip-permissions as root: said at once, with the fix.
    expect(validate.stdout).toContain('agents/feed.yaml');
    expect(validate.stdout).toContain('this claude agent would run as root (the coordinator runs as root');
    expect(validate.stdout).toContain('set isolation.user');
    expect(validate.status).toBe(2);
  } else {
    expect(validate.stdout).toContain('2 agents valid');
    expect(validate.status).toBe(0);
  }
  expect(habitat(root, 'new', 'agent', 'feed').status).toBe(1);
  expect(JSON.parse(habitat(root, 'schema').stdout).properties.schedule).toBeDefined();
});

test('usage errors exit 2; an unknown command suggests the right one', () => {
  const root = testdir();
  const out = habitat(root, 'valdate');
  expect(out.status).toBe(2);
  expect(out.stderr).toContain('validate');
});

test('list: an every agent the daemon has not planned yet is due now (it runs at first sight), as up --once shows', () => {
  const root = testdir({ 'agents/tick.yaml': 'run: { command: ["true"] }\nschedule: { every: 1h }\n' });
  const before = Date.now();
  const [tick] = JSON.parse(habitat(root, 'list', '--json').stdout) as { next: string }[];
  expect(Date.parse(tick!.next)).toBeGreaterThanOrEqual(before - 1000);
  expect(Date.parse(tick!.next)).toBeLessThanOrEqual(Date.now());
  const up = habitat(root, 'up', '--once', '--json');
  expect(up.status, up.stderr).toBe(0);
  expect(up.stdout).toContain('"agent": "tick"');
  // Planned now: one interval after that run.
  const [after] = JSON.parse(habitat(root, 'list', '--json').stdout) as { next: string }[];
  expect(Date.parse(after!.next) - Date.now()).toBeGreaterThan(59 * 60_000);
});

test('status, next, stats and accounts answer on a coordinator where nothing has run yet, and create no state', () => {
  const root = testdir({ 'agents/tick.yaml': 'run: { command: ["true"] }\nschedule: { every: 1h }\n' });
  for (const command of ['status', 'next', 'stats', 'accounts', 'history']) {
    const out = habitat(root, command);
    expect(out.status, `${command}: ${out.stderr}`).toBe(0);
    expect(out.stderr).not.toContain('no scheduler state');
  }
  const status = JSON.parse(habitat(root, 'status', '--json').stdout) as { agents: { agent: string }[] };
  expect(status.agents.map((a) => a.agent)).toEqual(['tick']);
  expect(existsSync(path.join(root, '.habitat'))).toBe(false);
});

test('before the daemon has planned anything, list, status and next agree on when each agent runs', () => {
  const root = testdir({
    'agents/tick.yaml': 'run: { command: ["true"] }\nschedule: { every: 1h }\n',
    'agents/nightly.yaml': 'run: { command: ["true"] }\nschedule: { cron: "0 3 * * *", jitter: 10m }\n',
    'agents/byhand.yaml': 'run: { command: ["true"] }\nschedule: manual\n',
  });
  const before = Date.now();
  const list = JSON.parse(habitat(root, 'list', '--json').stdout) as { name: string; next: string | null }[];
  const status = JSON.parse(habitat(root, 'status', '--json').stdout) as {
    agents: { agent: string; nextAt: string | null; nextReason: string | null }[];
  };
  const next = JSON.parse(habitat(root, 'next', '--json').stdout) as { agent: string; nextAt: string }[];
  const at = (name: string) => ({
    list: list.find((a) => a.name === name)?.next,
    status: status.agents.find((a) => a.agent === name)?.nextAt,
    next: next.find((a) => a.agent === name)?.nextAt ?? null,
  });
  // due now: the daemon runs an every agent at first sight
  const tick = at('tick');
  for (const t of Object.values(tick)) expect(Date.parse(t!)).toBeGreaterThanOrEqual(before - 1000);
  expect(status.agents.find((a) => a.agent === 'tick')?.nextReason).toBe('first');
  // a cron agent: the same slot, jitter included, everywhere
  const nightly = at('nightly');
  expect(nightly.status).toBe(nightly.list);
  expect(nightly.next).toBe(nightly.list);
  expect(new Date(nightly.list!).getTime()).toBeGreaterThan(before);
  expect(at('byhand')).toEqual({ list: null, status: null, next: null });
  const text = habitat(root, 'next').stdout;
  expect(text).toContain('tick');
  expect(text).not.toMatch(/tick\s+-/);
});
