// `habitat up` names the agent files it cannot use, with file, line and fix, in its log: without it a typo showed
// only as an agent that never ran (status said "1 problem(s)", the log nothing).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { testdir } from '@habitat/testkit';
import { expect, test } from 'vitest';

const CLI = path.resolve(__dirname, '../dist/index.js');

test('up logs each problem of the agent files as agent.invalid', () => {
  const root = testdir({
    'agents/ok.yaml': 'run: { command: ["true"] }\nschedule: manual\n',
    'agents/typo.yaml': 'run: { command: ["true"] }\nschedule: { evry: 1h }\n',
  });
  const up = spawnSync(process.execPath, [CLI, 'up', '--once'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(up.status, up.stderr).toBe(0);
  const lines = `${up.stdout}\n${up.stderr}`
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map(
      (l) => JSON.parse(l) as { event?: string; file?: string; line?: number; msg?: string; level: number },
    );
  const invalid = lines.filter((l) => l.event === 'agent.invalid');
  const file = path.join(root, 'agents/typo.yaml');
  expect(invalid.length).toBeGreaterThan(0);
  expect(invalid.every((l) => l.file === file && l.level === 40)).toBe(true);
  expect(invalid.map((l) => l.msg)).toContainEqual(
    `${file}:2:13 schedule.evry: unknown key "evry" (did you mean "every"?) (allowed here: cron, timezone, every, jitter, manual)`,
  );
});

test("up's spawner lines name the spawner as spawnerPid: one pid key a line (it was the coordinator's, then the spawner's)", async () => {
  const root = testdir({ 'agents/now.yaml': 'run: { command: ["true"] }\nschedule: { every: 1h }\n' });
  const { spawn } = await import('node:child_process');
  const up = spawn(process.execPath, [CLI, 'up'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  up.stdout.on('data', (d) => {
    out += d;
  });
  up.stderr.on('data', (d) => {
    out += d;
  });
  try {
    for (let i = 0; i < 300 && !out.includes('"run finished"'); i++)
      await new Promise((r) => setTimeout(r, 50));
  } finally {
    up.kill('SIGTERM');
    await new Promise((r) => up.once('exit', r));
  }
  const started = out.split('\n').find((l) => l.includes('"spawner.started"'));
  expect(started, out).toBeDefined();
  expect(started!.match(/"pid":/g)).toHaveLength(1);
  const line = JSON.parse(started!) as { pid: number; spawnerPid: number };
  expect(line.pid).toBe(up.pid);
  expect(line.spawnerPid).toEqual(expect.any(Number));
  expect(line.spawnerPid).not.toBe(up.pid);
});
