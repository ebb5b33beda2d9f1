// `sessions list|search|stats` on the fast path (sessions-fast.ts, one bundle file, node:sqlite read-only) against
// the full CLI (HABITAT_SESSIONS_FAST=0), on an index of the real transcripts: the same status, stdout and stderr
// byte for byte, text and --json; and what the fast path must not answer (an index to sync, migrate, clear or
// narrow, flags it does not know) goes to the full CLI.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { testdir } from '@habitat/testkit';
import { beforeAll, describe, expect, test } from 'vitest';

const DIST = path.resolve(__dirname, '../dist');
const CLI = path.join(DIST, 'index.js');
const HOOK = path.resolve(__dirname, 'fixtures/record-loads.mjs');
const REAL = path.resolve(__dirname, '../../../../shared/real-sessions');
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const quietSqlite = major > 24 || (major === 24 && minor >= 15);

let root: string;
// a zone with an offset and daylight saving: local days and times are exercised, not UTC's
const env = () => ({
  ...process.env,
  NO_COLOR: '1',
  HOME: root,
  HABITAT_CACHE_DIR: path.join(root, 'cache'),
  TZ: 'America/New_York',
});

/** One run: status, output, and the dist files it loaded (index.js, fast/sessions.js, main-*.js ...). */
function habitat(args: string[], extra: Record<string, string> = {}) {
  const record = path.join(root, 'loads.txt');
  const out = spawnSync(process.execPath, ['--import', HOOK, CLI, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...env(), ...extra, HABITAT_TEST_LOADS: record },
  });
  const urls = readFileSync(record, 'utf8').split('\n');
  return {
    result: { status: out.status, stdout: out.stdout, stderr: out.stderr },
    dist: urls
      .filter((u) => u.startsWith(`file://${DIST}/`))
      .map((u) => path.relative(DIST, new URL(u).pathname)),
    addon: urls.some((u) => /better-sqlite3/.test(u)),
    commander: urls.some((u) => /commander/.test(u)),
  };
}
const full = (args: string[]) => habitat(args, { HABITAT_SESSIONS_FAST: '0' }).result;

beforeAll(() => {
  root = testdir({ 'habitat.yaml': '' });
  const index = spawnSync(
    process.execPath,
    [
      CLI,
      'sessions',
      'index',
      '--no-defaults',
      '--claude-dir',
      path.join(REAL, 'claude'),
      '--codex-dir',
      path.join(REAL, 'codex'),
    ],
    { cwd: root, encoding: 'utf8', env: env() },
  );
  expect(index.status, index.stderr).toBe(0);
  // the first read writes the settings snapshot (the fast path reads settings only from it)
  expect(full(['sessions', 'list']).status).toBe(0);
}, 120_000);

describe('sessions fast path', () => {
  test('answers list, search and stats alone (one bundle file, no commander) and exactly as the full CLI', () => {
    const cases = [
      ['sessions', 'list'],
      ['sessions', 'list', '-n', '3'],
      ['sessions', 'list', '--json', '--limit', '500'],
      ['sessions', 'list', '--format', 'tsv', '--errors'],
      ['sessions', 'list', '--tool', 'Bash', '--since', '2020-01-01', '--utc'],
      ['--utc', 'sessions', 'list', '--source', 'codex', '--json'],
      ['sessions', 'list', '--project', 'no-such-project'],
      ['sessions', 'search', 'error'],
      ['sessions', 'search', 'error', '--json'],
      ['sessions', 'search', 'git', 'status', '--limit', '5', '--sort', 'recent'],
      ['sessions', 'search', '"git status"', '--json', '-n', '3'],
      ['sessions', 'search', 'sess*', '--json'],
      ['sessions', 'search', 'the', '--json'],
      ['sessions', 'search', 'zzqxv', 'qqwyz'],
      ['sessions', 'search', 'AND (', '"', '--json'],
      ['sessions', 'search', 'test', '--source', 'claude', '--tool', 'Bash', '--json'],
      ['sessions', 'stats'],
      ['sessions', 'stats', '--by', 'day', '--json'],
      ['sessions', 'stats', '--by', 'day', '--timezone', 'Asia/Kolkata', '--json'],
      ['sessions', 'stats', '--by', 'model', '--format', 'tsv'],
      ['sessions', 'stats', '--by', 'project', '--json', '--errors'],
      ['sessions', 'stats', '--by', 'source'],
      ['sessions', 'stats', '--by', 'agent', '--json'],
      ['-C', '.', 'sessions', 'stats', '--by', 'day', '--since', '2020-01-01', '--until', '2100-01-01'],
      ['sessions', 'stats', '--state-dir', '.habitat', '--json'],
    ];
    let nonEmpty = 0;
    for (const args of cases) {
      const fast = habitat(args);
      const name = args.join(' ');
      expect(fast.dist, name).toEqual(['index.js', path.join('fast', 'sessions.js')]);
      expect(fast.commander, name).toBe(false);
      if (quietSqlite) expect(fast.addon, name).toBe(false);
      expect(fast.result, name).toEqual(full(args));
      expect(fast.result.status, name).toBe(0);
      if (fast.result.stdout.length > 200) nonEmpty++;
    }
    // the cases really print something (hits, rows, tables), not the same empty answer
    expect(nonEmpty).toBeGreaterThan(cases.length - 5);
  }, 120_000);

  test('what it does not know goes to the full CLI, with its messages and exit codes', () => {
    for (const [args, status] of [
      [['sessions', 'list', '--limit=3'], 0],
      [['sessions', 'list', '-n', '0'], 2],
      [['sessions', 'stats', '--by', 'week'], 2],
      [['sessions', 'stats', '--limit', '3'], 2],
      [['sessions', 'search', 'error', '--sort', 'oldest'], 2],
      [['sessions', 'search', 'error', '--format', 'tsv'], 2],
      [['sessions', 'list', 'extra'], 2],
      [['sessions', 'list', '--since', 'yesterday-ish'], 2],
      [['sessions', 'stats', '--timezone', 'Mars/Olympus'], 1],
      [['sessions', 'list', '--help'], 0],
      [['sessions', 'list', '--claude-dir', 'nowhere'], 0],
    ] as Array<[string[], number]>) {
      const fast = habitat(args);
      const name = args.join(' ');
      expect(
        fast.dist.some((f) => f.startsWith('main-')),
        name,
      ).toBe(true);
      expect(fast.result, name).toEqual(full(args));
      expect(fast.result.status, name).toBe(status);
    }
  }, 120_000);

  test('a habitat.yaml with problems is named (file, line, fix) by both paths, --state-dir given or not', () => {
    const other = testdir({ 'habitat.yaml': 'stateDir: [oops\n' });
    const index = path.join(root, '.habitat');
    for (const args of [
      ['-C', other, 'sessions', 'list', '--state-dir', index],
      ['-C', other, 'sessions', 'stats', '--json', '--state-dir', index],
      ['-C', other, 'sessions', 'search', 'error', '--state-dir', index],
      ['-C', other, 'sessions', 'list'],
    ]) {
      const fast = habitat(args);
      const name = args.join(' ');
      expect(fast.result, name).toEqual(full(args));
      expect(fast.result.stderr, name).toContain('habitat.yaml:1:11');
      expect(fast.result.stderr, name).toContain('add the missing "]"');
      expect(fast.result.status, name).toBe(0);
    }
    // the index named by --state-dir still answers
    expect(habitat(['-C', other, 'sessions', 'list', '--json', '--state-dir', index]).result.stdout).toMatch(
      /"id"/,
    );
    // once fixed, the fast path answers again, and says nothing of the file
    writeFileSync(path.join(other, 'habitat.yaml'), '');
    const args = ['-C', other, 'sessions', 'list', '--state-dir', index];
    full(args); // writes the settings snapshot the fast path reads
    const fixed = habitat(args);
    expect(fixed.dist).toEqual(['index.js', path.join('fast', 'sessions.js')]);
    expect(fixed.result.stderr).not.toContain('habitat.yaml');
  }, 120_000);

  test('an index that the ordinary open would write to goes to the full CLI: --refresh, a build in progress, a wide file mode', () => {
    const db = path.join(root, '.habitat', 'sessions.db');
    // (on a copy: a refresh with fewer sources prunes the others)
    const copy = path.join(root, 'copy');
    cpSync(path.join(root, '.habitat'), copy, { recursive: true });
    const claude = ['--no-defaults', '--claude-dir', path.join(REAL, 'claude'), '--state-dir', copy];
    const refresh = habitat(['sessions', 'list', '--json', '--refresh', ...claude]);
    expect(refresh.dist.some((f) => f.startsWith('main-'))).toBe(true);
    expect(refresh.result.status).toBe(0);
    // without --refresh the same command is the fast path's
    expect(habitat(['sessions', 'list', '--json', ...claude]).dist).toEqual([
      'index.js',
      path.join('fast', 'sessions.js'),
    ]);

    // a cold build in progress (its marker names a live process): the full CLI reads it as it is
    const sleeper = spawnSync('sh', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' });
    writeFileSync(path.join(copy, 'sessions.db.building'), sleeper.stdout.trim());
    try {
      const args = ['sessions', 'stats', '--json', '--state-dir', copy];
      const building = habitat(args);
      expect(building.dist.some((f) => f.startsWith('main-'))).toBe(true);
      expect(building.result).toEqual(full(args));
    } finally {
      process.kill(Number(sleeper.stdout.trim()));
    }

    // readable by others: the full CLI narrows it to the owner, after which the fast path answers again
    chmodSync(db, 0o644);
    const wide = habitat(['sessions', 'list', '--json']);
    expect(wide.dist.some((f) => f.startsWith('main-'))).toBe(true);
    expect(statSync(db).mode & 0o077).toBe(0);
    const again = habitat(['sessions', 'list', '--json']);
    expect(again.dist).toEqual(['index.js', path.join('fast', 'sessions.js')]);
    expect(again.result).toEqual(wide.result);
  }, 120_000);
});
