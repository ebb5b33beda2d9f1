// The daemon's log lines: JSON when stderr is not a terminal (one event per line, each event once, no key
// twice), pretty when asked; HABITAT_LOG_LEVEL and HABITAT_LOG_FORMAT are checked.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { testdir } from '@habitat/testkit';
import { expect, test } from 'vitest';

const CLI = path.resolve(__dirname, '../dist/index.js');
const FLEET = {
  'habitat.yaml': '',
  'agents/a.yaml': 'run: { command: [sh, -c, "echo a"] }\nschedule: { every: 1h }\n',
  'agents/b.yaml': 'run: { command: [sh, -c, "exit 4"] }\nschedule: { every: 1h }\n',
};
const up = (root: string, env: Record<string, string>) =>
  spawnSync(process.execPath, [CLI, 'up', '--once', '--no-layers'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
  });

/** The keys of a flat JSON line, in order, duplicates kept (JSON.parse would drop them). */
const keysOf = (line: string) => [...line.matchAll(/[{,]"([^"]+)":/g)].map((m) => m[1]!);

test('piped, every line is JSON with no key twice, and each run finishes once in the log', () => {
  const out = up(testdir(FLEET), { HABITAT_LOG_LEVEL: 'info' });
  const lines = out.stderr.trim().split('\n');
  const events = lines.map((l) => JSON.parse(l) as { event?: string; runId?: string; pid: number });
  for (const line of lines) {
    const keys = keysOf(line);
    expect(new Set(keys).size, line).toBe(keys.length);
  }
  const finished = events.filter((e) => e.event === 'run.finished');
  expect(finished).toHaveLength(2);
  expect(new Set(finished.map((e) => e.runId)).size).toBe(2);
  expect(events.filter((e) => e.event === 'daemon.started')).toHaveLength(1);
  expect(events.every((e) => typeof e.pid === 'number')).toBe(true);
});

test('HABITAT_LOG_FORMAT=pretty prints for people; bad level or format values are usage errors', () => {
  const root = testdir(FLEET);
  const pretty = up(root, { HABITAT_LOG_LEVEL: 'info', HABITAT_LOG_FORMAT: 'pretty' });
  expect(pretty.stderr).toMatch(/INFO.*daemon started/);
  expect(() => JSON.parse(pretty.stderr.split('\n')[0]!)).toThrow();
  for (const env of [{ HABITAT_LOG_LEVEL: 'loud' }, { HABITAT_LOG_FORMAT: 'xml' }] as Record<
    string,
    string
  >[]) {
    const bad = up(root, env);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(Object.keys(env)[0]);
  }
});
