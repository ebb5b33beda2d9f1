// More offered than maxConcurrentRuns can run (issue 17): a real daemon with one run slot and agents that take
// longer than their interval. Slots they skip are counted in `status` (text and --json), and the daemon warns
// when a reload of the agent files leaves the fleet asking for more run time than it has.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { testdir, waitFor } from '@habitat/testkit';
import { afterEach, expect, test } from 'vitest';
import { CONTRACT } from './json-contract.js';

const CLI = path.resolve(__dirname, '../dist/index.js');
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0))
    if (c.exitCode === null) {
      c.kill('SIGKILL');
      await new Promise((r) => c.once('exit', r));
    }
});

const habitat = (root: string, ...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });

test('skipped slots show in status and status --json; a reload that overloads the fleet is warned about', async () => {
  const root = testdir({
    'habitat.yaml': 'maxConcurrentRuns: 1\n',
    // each run takes 1.2 s of a 1 s interval: with one slot, the next slots are skipped while it runs
    'agents/slow.yaml': 'run: { command: [sleep, "1.2"] }\nschedule: { every: 1s }\n',
  });
  const daemon = spawn(process.execPath, [CLI, 'up', '--no-layers'], {
    cwd: root,
    env: { ...process.env, HABITAT_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(daemon);
  let log = '';
  daemon.stderr!.on('data', (c) => (log += c));
  await waitFor(() => /daemon started/.test(log), { timeout: 20_000, what: 'the daemon' });
  // no run history at start: nothing to estimate from, so no warning yet
  expect(log).not.toContain('daemon.overloaded');

  const status = await waitFor(
    () => {
      const out = habitat(root, 'status', '--json');
      if (out.status !== 0) return undefined;
      const s = CONTRACT.status.parse(JSON.parse(out.stdout));
      // a finished run too: the reload below estimates from the median duration of finished runs
      return s.daemon.live && s.skippedLastHour > 0 && s.agents[0]?.lastRun ? s : undefined;
    },
    { timeout: 20_000, what: 'a skipped slot and a finished run' },
  );
  expect(status.skippedLastHour).toBeGreaterThan(0);
  const text = habitat(root, 'status');
  expect(text.stdout).toMatch(/\d+ run\(s\) queued, [1-9]\d* slot\(s\) skipped in the last hour/);

  // A second agent file: the reload estimates 2 agents x 3,600 fires x ~1.2 s against 3,600 run-seconds.
  writeFileSync(
    path.join(root, 'agents/slow2.yaml'),
    'run: { command: [sleep, "1.2"] }\nschedule: { every: 1s }\n',
  );
  const warning = await waitFor(
    () =>
      log
        .split('\n')
        .filter((l) => l.includes('"daemon.overloaded"'))
        .map((l) => JSON.parse(l) as { msg: string; maxConcurrentRuns: number; firesPerHour: number })[0],
    { timeout: 20_000, what: 'the overload warning after the reload' },
  );
  expect(log.indexOf('agents reloaded')).toBeLessThan(log.indexOf('"daemon.overloaded"'));
  expect(warning).toMatchObject({ maxConcurrentRuns: 1, firesPerHour: 7200 });
  expect(warning.msg).toMatch(/x what maxConcurrentRuns 1 can run/);
}, 60_000);
