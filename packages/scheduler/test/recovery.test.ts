// What a kill -9 leaves behind, reconciled by the next daemon: never a second execution, never a lost
// wake request, never a signal to a process that is not the run's.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Backend, backendFor, type LiveRun, registerBackend } from '@habitat/runner';
import { expect, test } from 'vitest';
import { openStore, startDaemon } from '../src/index.js';

function fleet(yaml: string): { root: string; stateDir: string; truth: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'habitat-recover-'));
  const truth = path.join(mkdtempSync(path.join(tmpdir(), 'habitat-truth-')), 'runs');
  writeFileSync(truth, '');
  mkdirSync(path.join(root, 'agents'));
  writeFileSync(path.join(root, 'agents', 'a.yaml'), yaml.replaceAll('TRUTH', truth));
  return { root, stateDir: path.join(root, '.habitat'), truth };
}

/** A `running` row as a killed daemon leaves it. */
function leftRunning(stateDir: string, id: string, fields: { pid?: number; trigger?: string } = {}) {
  const store = openStore(stateDir);
  store.insertRun({
    id,
    agent: 'a',
    trigger: fields.trigger ?? 'schedule',
    status: 'queued',
    queued_at: Date.now(),
  });
  store.markStarted(id, Date.now() - 1000, 'local', null);
  if (fields.pid) store.markProcess(id, fields.pid, null);
  store.close();
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a recycled pid in a stale row is never signalled', async () => {
  const { root, stateDir } = fleet('run: { command: ["true"] }\nschedule: manual\n');
  const bystander = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  try {
    leftRunning(stateDir, '01JSTALE0000000000000000AA', { pid: bystander.pid! });
    const daemon = await startDaemon({ root, watch: false, socket: false });
    await daemon.stop(500);
    expect(alive(bystander.pid!)).toBe(true);
    const store = openStore(stateDir, { readonly: true });
    expect(store.run('01JSTALE0000000000000000AA')?.status).toBe('lost');
    store.close();
  } finally {
    bystander.kill('SIGKILL');
  }
});

test('a run recorded as starting whose agent never started runs once, under its own id', async () => {
  const { root, stateDir, truth } = fleet(
    'run: { command: [sh, -c, "echo $HABITAT_RUN_ID >> TRUTH"] }\nschedule: manual\n',
  );
  leftRunning(stateDir, '01JNEVERSTARTED00000000000');
  const daemon = await startDaemon({ root, watch: false, socket: false });
  await daemon.idle();
  await daemon.stop(500);
  expect(readFileSync(truth, 'utf8').trim().split('\n')).toEqual(['01JNEVERSTARTED00000000000']);
  const store = openStore(stateDir, { readonly: true });
  expect(store.run('01JNEVERSTARTED00000000000')?.status).toBe('succeeded');
  store.close();
});

test('a run that ended while the daemon was down: its exit code and wake request are read, not re-run', async () => {
  const { root, stateDir, truth } = fleet(
    'run: { command: [sh, -c, "echo $HABITAT_RUN_ID >> TRUTH"] }\nschedule: { every: 1s }\n',
  );
  const id = '01JENDEDWHILEDOWN000000000';
  leftRunning(stateDir, id, { trigger: 'wake' });
  const runDir = path.join(stateDir, 'runs', id);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(path.join(runDir, '.started'), '123');
  writeFileSync(path.join(runDir, '.exit'), '0');
  writeFileSync(path.join(runDir, 'wake'), '2h\nquota\n');
  // it ended 300 ms after it started (leftRunning: a second ago), well before the next daemon came up
  const startedAt = openStore(stateDir, { readonly: true }).run(id)!.started_at!;
  utimesSync(path.join(runDir, '.exit'), new Date(startedAt + 300), new Date(startedAt + 300));
  await new Promise((r) => setTimeout(r, 400));
  const daemon = await startDaemon({ root, watch: false, socket: false });
  await new Promise((r) => setTimeout(r, 1500));
  await daemon.stop(500);
  const store = openStore(stateDir, { readonly: true });
  const row = store.run(id)!;
  expect(row.status).toBe('succeeded');
  expect(row.exit_code).toBe(0);
  // its end is when its exit status was written, not when a daemon found it
  expect(row.ended_at).toBe(startedAt + 300);
  expect(row.duration_ms).toBe(300);
  const plan = store.plan('a')!;
  expect(plan.next_reason).toBe('wake');
  expect(plan.next_at! - Date.now()).toBeGreaterThan(110 * 60_000);
  store.close();
  // the agent was not run again (its next run is the wake-up in 2 hours)
  expect(readFileSync(truth, 'utf8')).toBe('');
});

test('killed between the spawn and recording the start (no log path in the row): what the run printed after the kill reaches its log', async () => {
  const { root, stateDir } = fleet('run: { command: [sh, -c, "true"] }\nschedule: { every: 1h }\n');
  const id = '01JNOLOGPATHINTHEROW000000';
  leftRunning(stateDir, id);
  const runDir = path.join(stateDir, 'runs', id);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(path.join(runDir, '.started'), '123');
  // the wrapper drained the pipes and wrote its exit status; the runner had opened the log and written to it
  writeFileSync(path.join(runDir, '.out.rest'), 'printed after the kill\n');
  writeFileSync(path.join(runDir, '.err.rest'), 'err after the kill\n');
  writeFileSync(path.join(runDir, '.exit'), '0');
  mkdirSync(path.join(stateDir, 'logs', 'a'), { recursive: true });
  const log = path.join(stateDir, 'logs', 'a', `20261201-101500-${id}.log`);
  writeFileSync(log, 'before the kill\n');
  const daemon = await startDaemon({ root, watch: false, socket: false });
  await new Promise((r) => setTimeout(r, 1000));
  await daemon.stop(500);
  const store = openStore(stateDir, { readonly: true });
  const row = store.run(id)!;
  const { result } = store.db.prepare('SELECT result FROM runs WHERE id = ?').get(id) as { result: string };
  store.close();
  expect(row.status).toBe('succeeded');
  expect(row.log_path).toBe(log);
  expect(readFileSync(log, 'utf8')).toBe(
    'before the kill\nprinted after the kill\n[stderr] err after the kill\n',
  );
  expect(JSON.parse(result).warnings[0]).toMatch(
    /its output after the kill was kept by its wrapper \(stdout and stderr\)/,
  );
});

/**
 * A stand-in Docker backend whose one container stays `created` until it is removed: what a daemon killed
 * between creating a run's container and starting it leaves. Counts how often the daemon looks.
 */
function createdContainer(runId: string, createdAt: Date) {
  const real = backendFor('docker');
  let present = true;
  const seen = { lookups: 0, removed: false };
  const fake: Backend = {
    ...real,
    findLive: async () => {
      seen.lookups++;
      const live: LiveRun = {
        backend: 'docker',
        runId,
        agent: 'a',
        ref: 'c0ffee',
        state: 'created',
        createdAt: createdAt.toISOString(),
      };
      return present ? [live] : [];
    },
    cleanup: async () => [],
    abandon: async () => {
      present = false;
      seen.removed = true;
      return 'removed';
    },
    ended: (run) => ({ started: Boolean(run.ref) }),
  };
  registerBackend(fake);
  return { seen, restore: () => registerBackend(real) };
}

function leftCreated(stateDir: string, id: string) {
  const store = openStore(stateDir);
  store.insertRun({ id, agent: 'a', trigger: 'schedule', status: 'queued', queued_at: Date.now() });
  store.markStarted(id, Date.now() - 1000, 'docker', null);
  store.markProcess(id, null, 'c0ffee');
  store.close();
}

test('a container left created long ago is removed at once and its run started again, once', async () => {
  const { root, stateDir, truth } = fleet(
    'run: { command: [sh, -c, "echo $HABITAT_RUN_ID >> TRUTH"] }\nschedule: manual\n',
  );
  const id = '01JCREATEDLONGAGO000000000';
  leftCreated(stateDir, id);
  // created 20 s ago: a start request of the killed daemon would have landed long since
  const fake = createdContainer(id, new Date(Date.now() - 20_000));
  try {
    const daemon = await startDaemon({ root, watch: false, socket: false });
    await daemon.idle();
    await daemon.stop(500);
    expect(fake.seen.removed).toBe(true);
    // the first look only: no waiting for a start that cannot come
    expect(fake.seen.lookups).toBe(1);
    expect(readFileSync(truth, 'utf8').trim().split('\n')).toEqual([id]);
  } finally {
    fake.restore();
  }
});

test('a container created a moment ago gets a few seconds to start before it is called never-started', {
  timeout: 20_000,
}, async () => {
  const { root, stateDir, truth } = fleet(
    'run: { command: [sh, -c, "echo $HABITAT_RUN_ID >> TRUTH"] }\nschedule: manual\n',
  );
  const id = '01JCREATEDJUSTNOW000000000';
  leftCreated(stateDir, id);
  const fake = createdContainer(id, new Date());
  try {
    const daemon = await startDaemon({ root, watch: false, socket: false });
    await daemon.idle();
    await daemon.stop(500);
    expect(fake.seen.removed).toBe(true);
    expect(fake.seen.lookups).toBeGreaterThan(5);
    expect(readFileSync(truth, 'utf8').trim().split('\n')).toEqual([id]);
  } finally {
    fake.restore();
  }
});
