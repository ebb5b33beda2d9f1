// The conventions people expect from a CLI, through the built binary on real directories: finding the
// coordinator like git, init that never clobbers, versions, pipes, colour, bad flag values, tables.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { testdir } from '@habitat/testkit';
import { describe, expect, test } from 'vitest';

const CLI = path.resolve(__dirname, '../dist/index.js');
const PKG = JSON.parse(readFileSync(path.resolve(__dirname, '../package.json'), 'utf8')) as {
  version: string;
};

function habitat(cwd: string, args: string[], env: Record<string, string | undefined> = {}) {
  const base = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, HABITAT_DIR: undefined };
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...base, ...env } as NodeJS.ProcessEnv,
  });
}

const FLEET = {
  'habitat.yaml': 'maxConcurrentRuns: 2\n',
  'agents/a.yaml': 'run: { command: [echo, a] }\nschedule: { every: 1h }\n',
  'agents/b.yaml': 'run: { command: [echo, b] }\n',
};

describe('finding the coordinator', () => {
  test('from a subdirectory, with -C, and with HABITAT_DIR', () => {
    const root = testdir(FLEET);
    const deep = path.join(root, 'some/where/deep');
    mkdirSync(deep, { recursive: true });
    const here = habitat(deep, ['validate']);
    expect(here.status).toBe(0);
    expect(here.stdout).toContain('2 agents valid');
    const outside = testdir();
    expect(habitat(outside, ['-C', deep, 'list', '--json']).status).toBe(0);
    const viaEnv = habitat(outside, ['list', '--json'], { HABITAT_DIR: root });
    expect((JSON.parse(viaEnv.stdout) as { name: string }[]).map((a) => a.name)).toEqual(['a', 'b']);
    const badEnv = habitat(outside, ['list'], { HABITAT_DIR: outside });
    expect(badEnv.status).toBe(2);
    expect(badEnv.stderr).toContain('HABITAT_DIR');
  });

  test('-C or HABITAT_DIR naming a directory that is not there says so, with the path and the fix', () => {
    const outside = testdir();
    const missing = path.join(outside, 'nosuch');
    const viaFlag = habitat(outside, ['-C', missing, 'status']);
    expect(viaFlag.status).toBe(2);
    expect(viaFlag.stderr).toContain(`-C ${missing}: no such directory`);
    expect(viaFlag.stderr).toContain(`habitat init ${missing}`);
    const viaEnv = habitat(outside, ['list'], { HABITAT_DIR: missing });
    expect(viaEnv.status).toBe(2);
    expect(viaEnv.stderr).toContain(`HABITAT_DIR=${missing}: no such directory`);
    expect(existsSync(missing)).toBe(false);
  });

  test('outside any coordinator, commands say so (exit 2) and create nothing', () => {
    const outside = testdir();
    for (const args of [['validate'], ['list'], ['up', '--once'], ['status']]) {
      const out = habitat(outside, args);
      expect(out.status, args.join(' ')).toBe(2);
      expect(out.stderr).toContain('no coordinator here');
    }
    // mcp speaks JSON-RPC on stdin: it must refuse before reading any.
    const mcp = spawnSync(process.execPath, [CLI, 'mcp'], { cwd: outside, encoding: 'utf8', input: '' });
    expect(mcp.status).toBe(2);
    expect(existsSync(path.join(outside, '.habitat'))).toBe(false);
  });
});

test("outside any coordinator, sessions commands index the user's own logs in the user state dir (as ccusage reads them from anywhere)", () => {
  const home = testdir();
  const outside = testdir();
  const project = path.join(home, '.claude', 'projects', '-srv-api');
  mkdirSync(project, { recursive: true });
  const at = (s: number) => new Date(Date.UTC(2026, 2, 3, 12, 0, s)).toISOString();
  const usage = {
    input_tokens: 11,
    output_tokens: 7,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
  };
  const lines = [
    {
      type: 'user',
      sessionId: 's1',
      cwd: '/srv/api',
      timestamp: at(0),
      message: { role: 'user', content: 'deploy the api' },
    },
    {
      type: 'assistant',
      sessionId: 's1',
      cwd: '/srv/api',
      timestamp: at(2),
      requestId: 'r1',
      message: {
        id: 'm1',
        model: 'claude-sonnet-4-5',
        role: 'assistant',
        content: [{ type: 'text', text: 'deployed' }],
        usage,
      },
    },
  ];
  writeFileSync(path.join(project, 's1.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const env = { HOME: home, XDG_STATE_HOME: undefined, XDG_CONFIG_HOME: undefined };
  // the first call indexes (full CLI), the second reads the index (the fast path): both from the user state dir
  for (const round of [1, 2]) {
    const stats = habitat(outside, ['sessions', 'stats', '--by', 'day', '--json'], env);
    expect(stats.status, `${round}: ${stats.stderr}`).toBe(0);
    const rows = JSON.parse(stats.stdout) as { key: string; outputTokens: number }[];
    expect(rows.map((r) => [r.key, r.outputTokens])).toEqual([['2026-03-03', 7]]);
  }
  const list = habitat(outside, ['sessions', 'list', '--json'], env);
  expect(list.status, list.stderr).toBe(0);
  expect((JSON.parse(list.stdout) as { project: string }[]).map((s) => s.project)).toEqual(['/srv/api']);
  expect(existsSync(path.join(home, '.local', 'state', 'habitat', 'sessions.db'))).toBe(true);
  expect(existsSync(path.join(outside, '.habitat'))).toBe(false);
  // XDG_STATE_HOME moves it; -C and HABITAT_DIR still must name a coordinator
  const xdg = path.join(home, 'xdg');
  expect(habitat(outside, ['sessions', 'list', '--json'], { ...env, XDG_STATE_HOME: xdg }).status).toBe(0);
  expect(existsSync(path.join(xdg, 'habitat', 'sessions.db'))).toBe(true);
  const viaFlag = habitat(outside, ['-C', outside, 'sessions', 'list'], env);
  expect(viaFlag.status).toBe(2);
  expect(viaFlag.stderr).toContain('no coordinator here');
});

describe('init and new agent', () => {
  test('init never overwrites, says what it left alone, --force overwrites; it commits', () => {
    const dir = testdir({ 'fleet/habitat.yaml': '# mine\nmaxConcurrentRuns: 9\n' });
    const root = path.join(dir, 'fleet');
    const first = habitat(dir, ['init', 'fleet']);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('left alone habitat.yaml');
    expect(readFileSync(path.join(root, 'habitat.yaml'), 'utf8')).toBe('# mine\nmaxConcurrentRuns: 9\n');
    expect(existsSync(path.join(root, 'agents/hello.yaml'))).toBe(true);
    const log = spawnSync('git', ['-C', root, 'log', '--format=%s', '--name-only'], { encoding: 'utf8' });
    expect(log.stdout).toContain('habitat init');
    expect(log.stdout).toContain('agents/hello.yaml');
    expect(log.stdout).not.toContain('habitat.yaml\n'); // the user's own file is theirs to commit
    const forced = habitat(dir, ['init', 'fleet', '--force']);
    expect(forced.stdout).toContain('wrote habitat.yaml');
    expect(readFileSync(path.join(root, 'habitat.yaml'), 'utf8')).not.toContain('# mine');
  });

  test('new agent commits the habitat in its own repo and leaves the coordinator addable with git add -A', () => {
    const dir = testdir();
    habitat(dir, ['init', 'fleet']);
    const root = path.join(dir, 'fleet');
    expect(habitat(root, ['new', 'agent', 'feed']).status).toBe(0);
    const habitatLog = spawnSync('git', ['-C', path.join(root, 'habitats/feed'), 'log', '--oneline'], {
      encoding: 'utf8',
    });
    expect(habitatLog.stdout).toContain('habitat new agent feed');
    const add = spawnSync('git', ['-C', root, 'add', '-A'], { encoding: 'utf8' });
    expect(add.status).toBe(0);
    expect(add.stderr).not.toContain('embedded git repository');
    const staged = spawnSync('git', ['-C', root, 'diff', '--cached', '--name-only'], { encoding: 'utf8' });
    expect(staged.stdout.trim().split('\n')).toEqual(['agents/feed.yaml']);
  });
});

test('init writes both schemas with modelines; schema --write refreshes stale copies', () => {
  const dir = testdir();
  habitat(dir, ['init', 'fleet']);
  const root = path.join(dir, 'fleet');
  expect(readFileSync(path.join(root, 'habitat.yaml'), 'utf8')).toMatch(
    /^# yaml-language-server: \$schema=\.\/\.habitat\.schema\.json\n/,
  );
  const settings = JSON.parse(readFileSync(path.join(root, '.habitat.schema.json'), 'utf8'));
  expect(settings.$id).toMatch(/habitat\.schema\.json$/);
  writeFileSync(path.join(root, 'agents/.schema.json'), '{}\n');
  const write = habitat(path.join(root, 'agents'), ['schema', '--write']);
  expect(write.stdout).toContain('wrote agents/.schema.json');
  const agent = JSON.parse(readFileSync(path.join(root, 'agents/.schema.json'), 'utf8'));
  expect(agent).toEqual(JSON.parse(habitat(root, ['schema']).stdout));
  expect(agent.$id).toMatch(/agent\.schema\.json$/);
  expect(JSON.parse(habitat(root, ['schema', '--settings']).stdout)).toEqual(settings);
});

describe('output conventions', () => {
  test('-V and --version print the package version', () => {
    const dir = testdir();
    for (const flag of ['-V', '--version']) {
      const out = habitat(dir, [flag]);
      expect(out.status).toBe(0);
      expect(out.stdout.trim()).toBe(PKG.version);
    }
  });

  test('a closed pipe ends the command quietly', () => {
    const files: Record<string, string> = { 'habitat.yaml': '' };
    for (let i = 0; i < 600; i++)
      files[`agents/agent-${String(i).padStart(4, '0')}.yaml`] =
        `run: { command: [echo, ${'x'.repeat(150)}] }\nschedule: { every: 1h }\n`;
    const root = testdir(files);
    const piped = spawnSync(
      'bash',
      ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" list | head -1`],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(piped.stdout.split('\n')[0]).toMatch(/^agent\s+schedule/);
    expect(piped.stderr).toBe('');
    expect(piped.status).toBe(0);
  });

  test('bad flag values are usage errors (exit 2) naming the flag', () => {
    const root = testdir(FLEET);
    for (const [args, flag] of [
      [['history', '-n', 'abc'], '--limit'],
      [['history', '--limit', '0'], '--limit'],
      [['up', '--grace', 'abc'], '--grace'],
      [['list', '--format', 'xml'], '--format'],
      [['sessions', 'list', '--no-defaults', '--since', 'soonish'], 'since'],
    ] as const) {
      const out = habitat(root, [...args]);
      expect(out.status, args.join(' ')).toBe(2);
      expect(out.stderr).toContain(flag);
    }
  });

  test('--since takes any duration the config takes (90s, 1h30m) or a date', () => {
    const root = testdir(FLEET);
    for (const since of ['90s', '1h30m', '2026-01-31']) {
      const out = habitat(root, ['sessions', 'list', '--no-defaults', '--since', since, '--json']);
      expect(out.status, `${since}: ${out.stderr}`).toBe(0);
    }
  });

  test('colour: none when piped or with NO_COLOR, forced by FORCE_COLOR', () => {
    const root = testdir(FLEET);
    expect(habitat(root, ['list'], { NO_COLOR: undefined }).stdout).not.toContain('\x1b[');
    expect(habitat(root, ['list'], { NO_COLOR: undefined, FORCE_COLOR: '1' }).stdout).toContain('\x1b[1m');
    expect(habitat(root, ['list'], { NO_COLOR: '1', FORCE_COLOR: '1' }).stdout).toContain('\x1b[1m');
  });

  test('sessions tables follow the same conventions: no colour piped, tsv, fitted', () => {
    const line = {
      type: 'user',
      cwd: '/srv/x',
      timestamp: '2026-03-03T12:00:00.000Z',
      message: { role: 'user', content: 'hello there' },
    };
    const root = testdir({ ...FLEET, 'claude/projects/-srv-x/s1.jsonl': `${JSON.stringify(line)}\n` });
    const args = ['sessions', 'list', '--no-defaults', '--claude-dir', path.join(root, 'claude')];
    expect(
      habitat(root, ['sessions', 'index', '--no-defaults', '--claude-dir', path.join(root, 'claude')]).status,
    ).toBe(0);
    expect(habitat(root, args, { NO_COLOR: undefined }).stdout).not.toContain('\x1b[');
    expect(habitat(root, [...args, '--format', 'tsv']).stdout.split('\n')[0]).toBe(
      'id\tsource\tlast\tproject\ttitle\ttokens\ttools\terr',
    );
    for (const l of habitat(root, args, { COLUMNS: '70' }).stdout.trimEnd().split('\n'))
      expect(l.length).toBeLessThanOrEqual(70);
  });

  test('tables fit COLUMNS, and --format tsv gives tab-separated rows', () => {
    const root = testdir(FLEET);
    const narrow = habitat(root, ['list'], { COLUMNS: '60' });
    for (const line of narrow.stdout.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(60);
    expect(narrow.stdout).toContain('…');
    const tsv = habitat(root, ['list', '--format', 'tsv']).stdout.trimEnd().split('\n');
    expect(tsv[0]).toBe('agent\tschedule\tnext\tbackend\trun\tcredentials');
    expect(tsv[1]!.split('\t')[0]).toBe('a');
  });

  test('times are local with their offset, or UTC with --utc', () => {
    const root = testdir(FLEET);
    const local = habitat(root, ['list', '--format', 'tsv'], { TZ: 'Asia/Kolkata' }).stdout;
    expect(local.split('\n')[1]!.split('\t')[2]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+05:30$/);
    const utc = habitat(root, ['list', '--format', 'tsv', '--utc'], { TZ: 'Asia/Kolkata' }).stdout;
    expect(utc.split('\n')[1]!.split('\t')[2]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  });
});

describe('an old Node', () => {
  const OLD = path.resolve(__dirname, 'fixtures/old-node.mjs');
  // The real thing too when this machine has one (Debian's /usr/bin/node is 20 here).
  const real = spawnSync('/usr/bin/node', ['-p', 'process.versions.node'], { encoding: 'utf8' });
  const [maj, min] = (real.stdout ?? '').trim().split('.').map(Number) as [number, number];
  const realOld = real.status === 0 && (maj < 22 || (maj === 22 && min < 12));

  function refuse(cli: string, node = process.execPath, pre = ['--import', OLD]) {
    const out = spawnSync(node, [...pre, cli, 'status'], { cwd: testdir(), encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(2);
    expect(out.stderr).toContain('habitat needs Node.js 22.12 or newer');
    return out.stderr;
  }

  test('in the checkout the refusal points at scripts/setup.sh; from an npm install, at installing Node 24', () => {
    expect(refuse(CLI)).toContain('bash scripts/setup.sh');
    // an installed copy: node_modules/@habitat/cli/dist/index.js, no scripts/ above it
    const dist = path.join(testdir(), 'node_modules/@habitat/cli/dist');
    mkdirSync(dist, { recursive: true });
    writeFileSync(path.join(dist, 'index.js'), readFileSync(CLI));
    const installed = refuse(path.join(dist, 'index.js'));
    expect(installed).not.toContain('setup.sh');
    expect(installed).toContain('Install Node.js 24 LTS');
    if (realOld)
      expect(refuse(path.join(dist, 'index.js'), '/usr/bin/node', [])).toContain('Install Node.js 24');
  });
});

test("a usage error points at the help of the command it is about (its options and examples), not habitat's", () => {
  const root = testdir(FLEET);
  for (const [args, help] of [
    [['knowledge', 'context'], 'habitat knowledge context --help'],
    [['-C', root, 'knowledge', 'context'], 'habitat knowledge context --help'],
    [['sessions', 'list', '--source', 'foo'], 'habitat sessions list --help'],
    [['history', '-n', 'abc'], 'habitat history --help'],
    [['run'], 'habitat run --help'],
    [['nosuch'], 'habitat --help'],
  ] as const) {
    const r = habitat(root, [...args]);
    expect(r.status, args.join(' ')).toBe(2);
    expect(r.stderr.trim().endsWith(`(see ${help})`), `${args.join(' ')}: ${r.stderr}`).toBe(true);
  }
});
