// What a local run printed while no daemon read its pipes (its wrapper drained it into the run dir when the agent
// ended) reaches its log exactly once, even when the daemon handing it on is killed: a real SIGKILL at the
// instant between writing it to the log and recording the run (HABITAT_CRASH_AT, drain-handoff.ts).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { openStore } from '../src/index.js';
import { fleet, runs, up, waitFor } from './up-harness.js';

// 3 s after its first line (the test's kill or SIGSTOP lands in between, even under load) it prints 3,000 lines
// and a stderr line into pipes no one reads (~14 KB: they fit).
const AGENT =
  'run: { command: [sh, -c, "echo started; sleep 3; seq 1 3000; echo err-drained >&2; echo last-line"] }\nschedule: { every: 1h }\n';
const CRASH = { ...process.env, HABITAT_CRASH_AT: 'drain-handed-on' };

const exited = (child: ReturnType<typeof up>) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });

/** A daemon whose run of `drained` has printed its first line (and has its row and log). */
async function running(root: string, env = process.env) {
  const daemon = up(root, [], ['ignore', 'pipe', 'pipe'], env);
  const row = await waitFor(() => {
    const r = runs(root, 'drained').find((r) => r.status === 'running' && r.pid && r.log_path);
    return r && existsSync(r.log_path!) && readFileSync(r.log_path!, 'utf8').includes('started') && r;
  }, 30_000);
  const runDir = path.join(root, '.habitat', 'runs', row.id);
  return { daemon, row, runDir, logPath: row.log_path! };
}

/** The agent has ended and its wrapper drained what no one read (it wrote its exit status after). */
async function drainedAndEnded(runDir: string) {
  await waitFor(() => existsSync(path.join(runDir, '.exit')), 30_000);
  expect(readFileSync(path.join(runDir, '.out.rest'), 'utf8')).toContain('last-line');
}

/** Killed at the crash point: the drain is in the log once, the run not recorded. */
async function killedAfterHandingOn(
  root: string,
  daemon: ReturnType<typeof up>,
  id: string,
  logPath: string,
) {
  expect(await exited(daemon)).toEqual({ code: null, signal: 'SIGKILL' });
  // (read again while the store cannot be opened: runs() is [] then, just after a kill)
  const row = await waitFor(() => runs(root, 'drained').find((r) => r.id === id));
  expect(row.status).toBe('running');
  expect(
    readFileSync(logPath, 'utf8')
      .split('\n')
      .filter((l) => l === 'last-line'),
  ).toHaveLength(1);
}

/** A plain daemon records the run: every line once, in order. */
async function recordedOnce(root: string, id: string, logPath: string) {
  const last = up(root);
  const done = await waitFor(
    () => runs(root, 'drained').find((r) => r.id === id && r.status !== 'running'),
    30_000,
  );
  last.kill('SIGTERM');
  await exited(last);
  expect(done.status).toBe('succeeded');
  const log = readFileSync(logPath, 'utf8').split('\n');
  expect(log.filter((l) => l === 'started')).toHaveLength(1);
  expect(log.filter((l) => /^\d+$/.test(l))).toEqual(Array.from({ length: 3000 }, (_, i) => String(i + 1)));
  expect(log.filter((l) => l === '[stderr] err-drained')).toHaveLength(1);
  expect(log.filter((l) => l === 'last-line')).toHaveLength(1);
  const store = openStore(path.join(root, '.habitat'), { readonly: true });
  const { result } = store.db.prepare('SELECT result FROM runs WHERE id = ?').get(id) as { result: string };
  store.close();
  return JSON.parse(result) as { warnings: string[] };
}

test('ended while no daemon was up; the next one hands the drain on and is killed before recording it: logged once', {
  timeout: 90_000,
}, async () => {
  const root = fleet({ drained: AGENT });
  const { daemon, row, runDir, logPath } = await running(root);
  daemon.kill('SIGKILL');
  await exited(daemon);
  await drainedAndEnded(runDir);
  await killedAfterHandingOn(root, up(root, [], ['ignore', 'pipe', 'pipe'], CRASH), row.id, logPath);
  const result = await recordedOnce(root, row.id, logPath);
  expect(result.warnings[0]).toMatch(/kept by its wrapper \(stdout and stderr\)/);
});

test('the daemon running it (stopped while the agent ended) hands the drain on and is killed before recording it: logged once', {
  timeout: 90_000,
}, async () => {
  const root = fleet({ drained: AGENT });
  // SIGSTOP: the daemon reads nothing more, so the agent's last lines are drained by its wrapper; on SIGCONT
  // the daemon that started the run hands them on itself (the runner's path, not the recovery's).
  const { daemon, row, runDir, logPath } = await running(root, CRASH);
  daemon.kill('SIGSTOP');
  try {
    await drainedAndEnded(runDir);
  } finally {
    daemon.kill('SIGCONT');
  }
  await killedAfterHandingOn(root, daemon, row.id, logPath);
  await recordedOnce(root, row.id, logPath);
});
