// `habitat learn` inside a run: its lesson goes through the run's own learn file (no state dir, no socket) and
// is stored when the run ends as that run's and that agent's — whatever the agent claims in its environment —
// from a foreground run and from the daemon alike.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { testdir, waitFor } from '@habitat/testkit';
import { afterEach, describe, expect, test } from 'vitest';

const CLI = path.resolve(__dirname, '../dist/index.js');
const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

const habitat = (root: string, ...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

interface Learning {
  title: string;
  tags: string[];
  scope: { kind: string; name?: string };
  provenance: { source: string; agent: string | null; runId: string | null }[];
}

function fleet(): string {
  const root = testdir({ 'habitat.yaml': '{}\n' });
  mkdirSync(path.join(root, 'agents'));
  const learn = `${process.execPath} ${CLI} learn`;
  // The second lesson comes from an agent that lies about who it is and which run this is.
  const script = `${learn} "the build needs TZ=UTC set" --tags ci,tz; HABITAT_AGENT=other HABITAT_RUN_ID=01FAKE ${learn} "flaky tests pass on the second retry"; [ -z "$HABITAT_STATE_DIR" ]`; // fails the run if it had the state dir
  writeFileSync(
    path.join(root, 'agents', 'teach.yaml'),
    `run: { command: [sh, -c, ${JSON.stringify(script)}] }\nschedule: manual\n`,
  );
  return root;
}

const learnings = (root: string) =>
  JSON.parse(habitat(root, 'knowledge', 'list', '--json').stdout || '[]') as Learning[];

function expectStoredAsTheRun(root: string, runId: string) {
  const got = learnings(root).sort((a, b) => a.title.localeCompare(b.title));
  expect(got.map((l) => l.title)).toEqual([
    'flaky tests pass on the second retry',
    'the build needs TZ=UTC set',
  ]);
  expect(got[1]!.tags).toEqual(['ci', 'tz']);
  for (const l of got) {
    expect(l.scope).toEqual({ kind: 'agent', name: 'teach' });
    expect(l.provenance).toHaveLength(1);
    expect(l.provenance[0]).toMatchObject({ source: 'explicit', agent: 'teach', runId });
  }
}

describe('habitat learn inside a run', () => {
  test('a foreground run: stored as its own, the agent never had the state dir', () => {
    const root = fleet();
    const out = habitat(root, 'run', 'teach', '--json');
    expect(out.status, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout) as { id?: string; runId?: string };
    const runId = result.id ?? result.runId!;
    expect(out.stderr).toContain('lesson recorded');
    expectStoredAsTheRun(root, runId);
  });

  test('a run of the daemon: stored when it ends', { timeout: 60_000 }, async () => {
    const root = fleet();
    const daemon = spawn(process.execPath, [CLI, 'up', '--no-layers'], { cwd: root, stdio: 'ignore' });
    children.push(daemon);
    await waitFor(() => existsSync(path.join(root, '.habitat', 'habitat.sock')), { timeout: 20_000 });
    const out = habitat(root, 'run', 'teach', '--json');
    expect(out.status, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout) as { id?: string; runId?: string };
    await waitFor(() => learnings(root).length === 2, { timeout: 20_000 });
    expectStoredAsTheRun(root, result.id ?? result.runId!);
    daemon.kill('SIGTERM');
  });

  test('a run that ended while no daemon was up: stored by the next `habitat up`', {
    timeout: 60_000,
  }, async () => {
    const root = testdir({ 'habitat.yaml': '{}\n' });
    mkdirSync(path.join(root, 'agents'));
    // Lesson first, then long enough for the daemon to be killed under it, then it ends with no daemon.
    const marker = path.join(root, 'lesson-written');
    const script = `${process.execPath} ${CLI} learn "the learn channel outlives its coordinator"; touch ${marker}; sleep 2`;
    writeFileSync(
      path.join(root, 'agents', 'teach.yaml'),
      `run: { command: [sh, -c, ${JSON.stringify(script)}] }\nschedule: { every: 1h }\n`,
    );
    const first = spawn(process.execPath, [CLI, 'up', '--no-layers'], { cwd: root, stdio: 'ignore' });
    children.push(first);
    await waitFor(() => existsSync(marker), { timeout: 20_000 });
    first.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 3000)); // the agent's `sleep 2` ends with no daemon up
    // Reconciling at start-up records it: its run.finished came before anyone listened for lessons.
    const second = spawn(process.execPath, [CLI, 'up', '--no-layers'], { cwd: root, stdio: 'ignore' });
    children.push(second);
    await waitFor(() => learnings(root).length === 1, { timeout: 20_000 });
    const [lesson] = learnings(root);
    expect(lesson!.title).toBe('the learn channel outlives its coordinator');
    expect(lesson!.provenance[0]).toMatchObject({ source: 'explicit', agent: 'teach' });
    const history = JSON.parse(habitat(root, 'history', '--json').stdout) as { status: string }[];
    expect(history.map((r) => r.status)).toEqual(['succeeded']);
    second.kill('SIGTERM');
  });
});
