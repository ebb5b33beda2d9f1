// What a read-only command loads: only the modules it uses (issue 17). Checked on the built CLI with a
// module-load hook, and, for what is bundled, with the bundle's metafile (which sources each chunk holds).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { testdir } from '@habitat/testkit';
import { expect, test } from 'vitest';

const DIST = path.resolve(__dirname, '../dist');
const CLI = path.join(DIST, 'index.js');
const HOOK = path.resolve(__dirname, 'fixtures/record-loads.mjs');
type Metafile = { outputs: Record<string, { inputs: Record<string, unknown> }> };
const metafile = JSON.parse(readFileSync(path.join(DIST, 'metafile-esm.json'), 'utf8')) as Metafile;
// the knowledge fast path's own bundle (tsup.config.ts)
Object.assign(
  metafile.outputs,
  (JSON.parse(readFileSync(path.join(DIST, 'fast', 'metafile-esm.json'), 'utf8')) as Metafile).outputs,
);

/** Run a command; the modules it loaded: files outside the bundle, and the sources inside the chunks it loaded. */
function loads(cwd: string, env: Record<string, string>, ...args: string[]): string[] {
  const record = path.join(cwd, `loads-${args.join('-')}.txt`);
  const run = spawnSync(process.execPath, ['--import', HOOK, CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env, NO_COLOR: '1', HABITAT_TEST_LOADS: record },
  });
  expect(run.status, `${args.join(' ')}: ${run.stderr}`).toBe(0);
  const urls = readFileSync(record, 'utf8').split('\n');
  const out: string[] = [];
  for (const url of urls) {
    if (!url.startsWith('file:')) continue;
    const file = new URL(url).pathname;
    const chunk = path.relative(path.dirname(DIST), file);
    const inputs = file.startsWith(DIST) ? metafile.outputs[chunk]?.inputs : undefined;
    out.push(...(inputs ? Object.keys(inputs) : [file]));
  }
  return out;
}

const HEAVY =
  /node_modules\/(\.pnpm\/)?[^/]*?(zod|yaml|dockerode|@modelcontextprotocol|pino|chokidar|ink|react)[@/]/;

test('help, version, status, list, next and history load neither YAML, zod, Docker, MCP, pino nor the daemon', () => {
  const root = testdir({
    'habitat.yaml': 'defaults: { timeout: 5m }\n',
    'agents/hello.yaml': 'run: { command: [echo, hi] }\nschedule: { every: 1h }\n',
  });
  const env = { HOME: root, HABITAT_CACHE_DIR: path.join(root, 'cache') };
  expect(
    spawnSync(process.execPath, [CLI, 'up', '--once'], { cwd: root, env: { ...process.env, ...env } }).status,
  ).toBe(0);
  for (const args of [['--help'], ['--version'], ['status'], ['list'], ['next'], ['history']]) {
    const modules = loads(root, env, ...args);
    expect(
      modules.filter((m) => HEAVY.test(m)),
      args.join(' '),
    ).toEqual([]);
    expect(
      modules.filter((m) => /scheduler\/src\/daemon\.ts|runner\/src\/(start-run|docker|local)\.ts/.test(m)),
      args.join(' '),
    ).toEqual([]);
  }
});

test('status, next and history answer without commander; read-only, without better-sqlite3 where node:sqlite is quiet', () => {
  const root = testdir({
    'habitat.yaml': 'defaults: { timeout: 5m }\n',
    'agents/hello.yaml': 'run: { command: [echo, hi] }\nschedule: { every: 1h }\n',
  });
  const env = { HOME: root, HABITAT_CACHE_DIR: path.join(root, 'cache') };
  expect(
    spawnSync(process.execPath, [CLI, 'up', '--once'], { cwd: root, env: { ...process.env, ...env } }).status,
  ).toBe(0);
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const quietSqlite = major > 24 || (major === 24 && minor >= 15);
  for (const args of [['status'], ['next', '--json'], ['history', 'hello', '-n', '1']]) {
    const modules = loads(root, env, ...args);
    expect(
      modules.filter((m) => /node_modules\/(\.pnpm\/)?commander[@/]/.test(m)),
      args.join(' '),
    ).toEqual([]);
    if (quietSqlite)
      expect(
        modules.filter((m) => /better-sqlite3/.test(m)),
        args.join(' '),
      ).toEqual([]);
  }
});

test('the fast status/next/history print what the full commands print, errors and exit codes included', () => {
  const root = testdir({
    'habitat.yaml': '',
    'agents/ok.yaml': 'run: { command: [echo, fine] }\nschedule: { every: 1h }\n',
    'agents/three.yaml': 'run: { command: [sh, -c, "exit 3"] }\nschedule: { every: 2h }\n',
    'agents/later.yaml': 'run: { command: [echo] }\nschedule: manual\n',
  });
  const env = { ...process.env, HOME: root, HABITAT_CACHE_DIR: path.join(root, 'cache'), NO_COLOR: '1' };
  const run = (args: string[], extra: Record<string, string> = {}) => {
    const out = spawnSync(process.execPath, [CLI, ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...env, ...extra },
    });
    return { status: out.status, stdout: out.stdout, stderr: out.stderr };
  };
  expect(run(['up', '--once', '--no-layers']).status).toBe(1);
  const cases = [
    ['status'],
    ['status', '--json'],
    ['status', '--format', 'tsv', '--utc'],
    ['--utc', 'next'],
    ['next', '--json', '-C', '.'],
    ['history'],
    ['history', 'three', '--limit=1', '--json'],
    ['history', '-n', '2', '--format=tsv'],
    ['history', 'nobody'],
    ['history', '-n', '0'],
    ['status', '--format', 'xml'],
    ['status', 'extra'],
    ['-C', 'no/such/dir', 'status'],
    ['status', '--help'],
  ];
  for (const args of cases) {
    const fast = run(args);
    const full = run(args, { HABITAT_DAEMON_FAST: '0' });
    // "running for 12ms"-style cells cannot differ here: nothing is running
    expect(fast, args.join(' ')).toEqual(full);
  }
});

test('`habitat run` starts without commander, and prints what the full command prints, errors and exit codes included', () => {
  const root = testdir({
    'habitat.yaml': '',
    'agents/ok.yaml': 'run: { command: [echo, fine] }\n',
    'agents/three.yaml': 'run: { command: [sh, -c, "echo out; echo err >&2; exit 3"] }\n',
    'agents/broken.yaml': 'run: { command: [echo] }\nschedule: { evry: 1h }\n',
    'agents/box.yaml':
      'run: { command: ["true"] }\nisolation: { backend: docker, image: habitat-test:latest }\n',
    'agents/swarm.yaml':
      'run: { command: ["true"] }\nisolation: { backend: swarm, image: habitat-test:latest }\n',
  });
  const env = { ...process.env, HOME: root, HABITAT_CACHE_DIR: path.join(root, 'cache'), NO_COLOR: '1' };
  // the first run reads the files in full and writes the config snapshot (a run whose snapshot does not hold is
  // handed to the full CLI, checked below); from then on a run loads neither commander nor YAML nor zod
  loads(root, env, 'run', 'ok');
  const modules = loads(root, env, 'run', 'ok');
  expect(modules.filter((m) => /node_modules\/(\.pnpm\/)?(commander|yaml|zod)[@/]/.test(m))).toEqual([]);
  expect(modules.some((m) => m.endsWith('dist/fast/run.js'))).toBe(true);
  // a run's id, times and duration differ from run to run: compared without them
  const stable = (text: string) =>
    text
      .replace(/[0-9A-HJKMNP-TV-Z]{26}/g, '<id>')
      .replace(/\d{8}-\d{6}/g, '<stamp>')
      .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')
      .replace(/"durationMs": \d+/g, '"durationMs": <n>')
      .replace(/ in \d+(\.\d+)?m?s /g, ' in <n> ')
      .replace(/\(node:\d+\)/g, '(node:<pid>)');
  const run = (args: string[], extra: Record<string, string> = {}) => {
    const out = spawnSync(process.execPath, [CLI, ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...env, ...extra },
    });
    // With --json the agent's stdout and stderr both go to stderr, from two pipes: which line comes first is
    // the order the two were read in, not defined (under load `out` and `err` swapped, and this failed). Those
    // runs compare their stderr as a set of lines; every other run compares it as it is.
    const stderr = stable(out.stderr);
    return {
      status: out.status,
      stdout: stable(out.stdout),
      stderr: args.includes('--json') ? stderr.split('\n').sort().join('\n') : stderr,
    };
  };
  const cases = [
    ['run', 'ok'],
    ['run', 'three', '--json'],
    ['-C', '.', 'run', '-q', 'three'],
    ['--dir=.', 'run', 'ok', '--raw', '--utc'],
    ['run', 'ok', '--quiet', '--json'],
    ['run', 'nobody'],
    ['run', 'broken'],
    ['run'],
    ['run', 'ok', 'extra'],
    ['run', 'ok', '--bogus'],
    ['run', '--json=1', 'ok'],
    ['run', '--help'],
    ['-C', 'no/such/dir', 'run', 'ok'],
  ];
  for (const args of cases) {
    const fast = run(args);
    const full = run(args, { HABITAT_RUN_FAST: '0' });
    expect(fast, args.join(' ')).toEqual(full);
  }
  // runs that reach the engine through dockerode (left out of the one-file run) go to the full CLI: the same output
  // (engines that are not there; Swarm only below, where nothing runs: this machine's engine may be in a swarm)
  for (const [args, extra] of [
    [['run', 'box'], { DOCKER_HOST: 'tcp://127.0.0.1:1' }],
    [['run', 'box'], { HABITAT_DOCKER_CLIENT: 'dockerode', DOCKER_HOST: 'unix:///nonexistent.sock' }],
  ] as Array<[string[], Record<string, string>]>) {
    const fast = run(args, extra);
    expect(fast.stderr, args.join(' ')).toMatch(/error/);
    expect(fast, args.join(' ')).toEqual(run(args, { ...extra, HABITAT_RUN_FAST: '0' }));
    // through the split build's copy of the fast path (dist/run-split.js): still no commander
    const record = path.join(root, 'loads-dockerode.txt');
    spawnSync(process.execPath, ['--import', HOOK, CLI, ...args], {
      cwd: root,
      env: { ...env, ...extra, HABITAT_TEST_LOADS: record },
    });
    const files = readFileSync(record, 'utf8').split('\n');
    expect(files.some((f) => f.endsWith('/dist/run-split.js'))).toBe(true);
    expect(files.filter((f) => /main-[A-Z0-9]+\.js$/.test(f))).toEqual([]);
  }
  // and the one-file run itself hands them over before it starts anything (dockerode is a stub in it)
  const fastFile = path.join(path.dirname(CLI), 'fast', 'run.js');
  for (const [agent, extra] of [
    ['swarm', {}],
    ['box', { DOCKER_HOST: 'tcp://127.0.0.1:1' }],
    ['box', { HABITAT_DOCKER_CLIENT: 'dockerode' }],
  ] as Array<[string, Record<string, string>]>) {
    const out = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(fastFile)}); console.log(await m.runFast(['run', '${agent}']));`,
      ],
      { cwd: root, encoding: 'utf8', env: { ...env, ...extra } },
    );
    expect({ stdout: out.stdout, stderr: out.stderr }, agent).toEqual({ stdout: 'false\n', stderr: '' });
  }
  // no snapshot yet (a new cache each time): the same output through the full CLI
  let fresh = 0;
  for (const args of [
    ['run', 'three', '--json'],
    ['run', 'broken'],
    ['run', 'nobody'],
  ]) {
    const cold = () => ({ HABITAT_CACHE_DIR: path.join(root, `cold-${fresh++}`) });
    expect(run(args, cold()), args.join(' ')).toEqual(run(args, { ...cold(), HABITAT_RUN_FAST: '0' }));
  }
  expect(run(['run', 'three']).status).toBe(3);
});

test('the built --help is the live help', () => {
  const built = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  const live = spawnSync(process.execPath, [CLI, '--help'], {
    encoding: 'utf8',
    env: { ...process.env, HABITAT_FULL_HELP: '1', NO_COLOR: '1' },
  });
  expect(built.status).toBe(0);
  expect(built.stdout).toBe(live.stdout);
  expect(built.stdout).toContain('sessions');
});

test('sessions search and stats --json on an index load the query module only: no indexer, secretlint or chokidar', () => {
  const root = testdir({
    'habitat.yaml': 'defaults: { timeout: 5m }\n',
    'claude/projects/-w/s1.jsonl': `${JSON.stringify({ type: 'user', sessionId: 's1', uuid: 'u1', timestamp: '2026-01-01T00:00:00Z', cwd: '/w', message: { role: 'user', content: 'hello fast path' } })}\n`,
  });
  const env = { HOME: root, HABITAT_CACHE_DIR: path.join(root, 'cache') };
  // relative to the run's cwd (the record of loaded modules is named after the arguments)
  const where = ['--state-dir', 'state', '--claude-dir', 'claude', '--no-defaults'];
  expect(
    spawnSync(process.execPath, [CLI, 'sessions', 'index', ...where], {
      cwd: root,
      env: { ...process.env, ...env },
    }).status,
  ).toBe(0);
  for (const args of [
    ['sessions', 'search', 'hello', '--json', ...where],
    ['sessions', 'stats', '--json', ...where],
  ]) {
    const modules = loads(root, env, ...args);
    expect(
      modules.some((m) => /sessions\/src\/query\.ts/.test(m)),
      args.join(' '),
    ).toBe(true);
    expect(
      modules.filter((m) => /sessions\/src\/(indexer|redact|writer)\.ts|secretlint|chokidar/.test(m)),
      args.join(' '),
    ).toEqual([]);
  }
});

test('knowledge search and context on a current index: one bundle file, no commander, YAML, zod or (where node:sqlite is quiet) better-sqlite3; a changed file goes to the full CLI once', () => {
  const root = testdir({ 'habitat.yaml': '{}\n' });
  const env = { HOME: root, HABITAT_CACHE_DIR: path.join(root, 'cache') };
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
  expect(
    cli('knowledge', 'add', 'The staging deploy needs the canary flag before the migration.').status,
  ).toBe(0);
  expect(cli('knowledge', 'search', 'canary').status).toBe(0); // writes the settings snapshot
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const quietSqlite = major > 24 || (major === 24 && minor >= 15);
  const files = (args: string[]) => {
    const record = path.join(root, `files-${args.join('-')}.txt`);
    const run = spawnSync(process.execPath, ['--import', HOOK, CLI, ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ...env, HABITAT_TEST_LOADS: record },
    });
    expect(run.status, run.stderr).toBe(0);
    return {
      stdout: run.stdout,
      urls: readFileSync(record, 'utf8')
        .split('\n')
        .filter((u) => u.startsWith('file:')),
    };
  };
  for (const args of [
    ['knowledge', 'search', 'canary', 'flag'],
    ['knowledge', 'context', '--task', 'deploy staging with the canary flag'],
  ]) {
    const { urls, stdout } = files(args);
    expect(stdout, args.join(' ')).toContain('canary');
    const ours = urls
      .filter((u) => u.includes('/dist/'))
      .map((u) => path.relative(DIST, new URL(u).pathname));
    expect(ours, args.join(' ')).toEqual(['index.js', path.join('fast', 'knowledge.js')]);
    const modules = loads(root, env, ...args);
    expect(modules.filter((m) => HEAVY.test(m) || /commander/.test(m))).toEqual([]);
    if (quietSqlite) expect(modules.filter((m) => /better-sqlite3/.test(m))).toEqual([]);
  }
  // A learning edited by hand: the index is not current, the full CLI syncs it (and answers), then the fast path again.
  const dir = path.join(root, 'knowledge');
  const name = readdirSync(dir).find((n) => n.endsWith('.md'))!;
  writeFileSync(
    path.join(dir, name),
    readFileSync(path.join(dir, name), 'utf8').replace('canary flag', 'canary gate'),
  );
  const synced = files(['knowledge', 'search', 'gate']);
  expect(synced.stdout).toContain('canary gate');
  expect(synced.urls.some((u) => /\/dist\/main-/.test(u))).toBe(true);
  const again = files(['knowledge', 'search', 'gate']);
  expect(again.stdout).toBe(synced.stdout);
  expect(again.urls.some((u) => /\/dist\/main-/.test(u))).toBe(false);
});
