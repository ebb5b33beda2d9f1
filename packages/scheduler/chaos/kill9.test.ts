// kill -9 at any moment: a loop of SIGKILLs at random points of the daemon's life (start-up, reconcile,
// spawn, mid-run, recording), measured against ground truth the agents write outside the state dir.
// Figures: kills, executions, duplicates, lost wake-ups, runs recorded wrongly, leaked secret files and
// containers, crashes. Every one but kills and executions must be 0.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { openStore } from '../src/index.js';
import {
  agentYaml,
  analyse,
  fleet,
  leftoverRunFiles,
  readTruth,
  report,
  sleep,
  socketUp,
  type Up,
  up,
  WAKE_MS,
  waitFor,
} from './harness.js';

/**
 * SIGKILL daemons at random moments for `ms`, then let a last one settle and stop it with SIGTERM. Under load
 * fewer runs get going in `ms`: the loop goes on (up to 40 s more) until `enough()` says there were enough.
 */
async function killLoop(
  root: string,
  stateDir: string,
  ms: number,
  settleMs: number,
  enough: (kills: number) => boolean = () => true,
) {
  let kills = 0;
  const killedAt: number[] = [];
  let crashes = 0;
  const crashLogs: string[] = [];
  // How long a warm start-up takes on this machine now (spawn to "daemon started"; the first start also
  // creates the state): the kills are spread from late in a start-up to a few runs in. A fixed 0.15-1.95 s
  // killed nearly every daemon in its start-up at load 17 (25 executions, 0 adopted runs: the test failed).
  let startUpMs = 0;
  for (let i = 0; i < 2; i++) {
    const first = up(root);
    const t0 = Date.now();
    await waitFor(() => first.stderr().includes('daemon started'), 60_000);
    startUpMs = Date.now() - t0;
    first.child.kill('SIGKILL');
    await first.exited;
  }
  const end = Date.now() + ms;
  const cap = end + 40_000;
  while (Date.now() < cap && (Date.now() < end || !enough(kills))) {
    const d: Up = up(root);
    let killed = false;
    const exit = d.exited.then((e) => {
      if (!killed) {
        crashes++;
        crashLogs.push(d.stderr().slice(-2000));
      }
      return e;
    });
    // Anywhere from mid start-up to a few runs in.
    await sleep(startUpMs * (0.5 + Math.random() * 0.5) + Math.random() * 1800);
    killed = true;
    killedAt.push(Date.now());
    d.child.kill('SIGKILL');
    await exit;
    kills++;
  }
  const last = up(root);
  // settled: started and serving
  await waitFor(() => socketUp(stateDir) && last.stderr().includes('daemon started'), 60_000);
  await sleep(settleMs);
  const horizon = Date.now() - WAKE_MS - 3000;
  last.child.kill('SIGTERM');
  const { code, signal } = await last.exited;
  if (code !== 0) {
    crashes++;
    crashLogs.push(`last daemon: exit ${code} ${signal ?? ''}\n${last.stderr().slice(-3000)}`);
  }
  return { kills, killedAt, startUpMs, crashes, crashLogs, horizon };
}

interface RunOutcome {
  id: string;
  log_path: string | null;
  result: string | null;
}

describe('kill -9 loop', () => {
  test('local agents: 0 duplicates, 0 lost wake-ups, 0 logs missing drained output or with it twice, 0 leaked secret files, 0 crashes', {
    timeout: 180_000,
  }, async () => {
    const script = `
echo "start $HABITAT_RUN_ID $HABITAT_AGENT $(date +%s%3N)" >> TRUTH
cat "$HABITAT_SECRETS_DIR/tok" > /dev/null
case "$HABITAT_AGENT" in a0|a1) sleep 4 ;; *) sleep 0.7 ;; esac
printf '${WAKE_MS / 1000}s\\n' > "$HABITAT_WAKE_FILE"
echo "end $HABITAT_RUN_ID $HABITAT_AGENT $(date +%s%3N)" >> TRUTH
echo "out-end $HABITAT_RUN_ID"
echo "err-end $HABITAT_RUN_ID" >&2
`;
    // a0 and a1 run for 4 s: longer than a start-up even under load (1.4 s measured at load 18), so some runs
    // are still going when the next daemon starts and are adopted; with 0.7 s runs only, none was at load 18.
    const agents = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`a${i}`, agentYaml(script)]));
    const f = fleet(agents, { 'secret.txt': 'chaos-secret-value-8c1f\n' });
    // more than the kills and the 20 executions asserted below (a start line each in the agents' own record)
    const started = (kills: number) =>
      kills > 15 && existsSync(f.truth) && readTruth(f.truth).filter((l) => l.kind === 'start').length > 30;
    const loop = await killLoop(
      f.root,
      f.stateDir,
      Number(process.env.HABITAT_CHAOS_MS ?? 40_000),
      8000,
      started,
    );
    const truth = readTruth(f.truth);
    const figures = analyse(truth, f.stateDir, loop.horizon, 300);
    const leakedSecretFiles = leftoverRunFiles(f.stateDir);
    // Every run has its last output (written after any kill) in its log: those followed to their end (started
    // or adopted: read from the same FIFOs), and those that ended while no daemon was up or as one was killed
    // (what was still in the pipes, the wrapper drained into the run dir when the agent ended). A daemon writes
    // what it reads at once (complete lines), so only a kill between a read and its write could lose bytes.
    const store = openStore(f.stateDir, { readonly: true });
    const results = new Map(
      (store.db.prepare('SELECT id, log_path, result FROM runs').all() as RunOutcome[]).map((r) => [r.id, r]),
    );
    store.close();
    let adopted = 0;
    let endedWhileDown = 0;
    let logsMissingOutput = 0;
    let endedWhileDownMissingOutput = 0;
    let outputTwice = 0;
    let keptButMissing = 0;
    const missing: string[] = [];
    for (const t of truth.filter((l) => l.kind === 'end')) {
      const r = results.get(t.runId);
      const whileDown = /ended while the coordinator was down/.test(r?.result ?? '');
      if (/adopted after a coordinator restart/.test(r?.result ?? '')) adopted++;
      if (whileDown) endedWhileDown++;
      const text = r?.log_path && existsSync(r.log_path) ? readFileSync(r.log_path, 'utf8') : '';
      const out = text.includes(`out-end ${t.runId}`);
      const err = text.includes(`[stderr] err-end ${t.runId}`);
      const complete = out && err;
      // When the kills came against the run's end (its `end` line is written just before its last two lines):
      // a kill a few ms after it points at output a daemon had read and not yet written.
      const near = loop.killedAt.map((k) => k - t.at).filter((d) => Math.abs(d) < 2000);
      if (!complete)
        missing.push(
          `${t.runId}: ${r?.result ?? 'not recorded'}; kills at ${near.map((d) => `${d > 0 ? '+' : ''}${d} ms`).join(', ') || 'none'} from its end\n${text.slice(-300)}`,
        );
      // the wrapper drained a stream (the record names which), and the log lacks that stream's last line: that
      // output was lost on the way. (A stream it did not drain was read by the daemon that was killed: below.)
      const kept = /kept by its wrapper \(([a-z ]+)\)/.exec(r?.result ?? '')?.[1] ?? '';
      if ((kept.includes('stdout') && !out) || (kept.includes('stderr') && !err)) keptButMissing++;
      if (!complete && whileDown) endedWhileDownMissingOutput++;
      else if (!complete) logsMissingOutput++;
      // the wrapper's drain is handed on exactly once (drain-handoff.ts): a line twice is a hand-off repeated
      if (text.split('\n').filter((l) => l === `out-end ${t.runId}`).length > 1) outputTwice++;
    }
    report('kill9-local', {
      agents: 6,
      startUpMs: loop.startUpMs,
      kills: loop.kills,
      ...figures,
      adopted,
      logsMissingOutput,
      endedWhileDown,
      endedWhileDownMissingOutput,
      keptButMissing,
      outputTwice,
      leakedSecretFiles,
      crashes: loop.crashes,
    });
    if (loop.crashLogs.length) process.stdout.write(`${loop.crashLogs.join('\n---\n')}\n`);
    expect(loop.kills).toBeGreaterThan(10);
    expect(figures.executions).toBeGreaterThan(20);
    expect(figures.duplicates).toBe(0);
    expect(figures.lostWakes).toBe(0);
    expect(figures.recordedWrong).toBe(0);
    if (missing.length) process.stdout.write(`runs missing output:\n${missing.join('\n---\n')}\n`);
    expect(logsMissingOutput).toBe(0);
    // A run that ended while no daemon was up, or as one was killed, has what its wrapper drained. What a
    // daemon had read from the pipe and not yet written when it was killed is gone: the CPU time between its
    // read(2) and write(2), microseconds unless it is preempted there under load (measured: 1 run in ~190 that
    // ended while down; 0 in 382 in session 5; a build that busy-waits 40 ms there loses 3 in 25, each the
    // stdout line with a kill +12/+20 ms after the run's end, its stderr drained). Reported, not asserted: the
    // stdout line can go that way while the wrapper drains stderr, so only the streams the record says were
    // kept are asserted. Output the wrapper drained never goes missing.
    expect(keptButMissing).toBe(0);
    expect(outputTwice).toBe(0);
    expect(adopted).toBeGreaterThan(0);
    expect(leakedSecretFiles).toBe(0);
    expect(loop.crashes).toBe(0);
  });

  describe('Docker agents', async () => {
    const { buildTestImage, requireDockerInCI } = await import('@habitat/testkit');
    const docker = await requireDockerInCI();
    test.skipIf(!docker)(
      '0 duplicates, 0 lost wake-ups, 0 leaked containers or secret files, 0 crashes',
      { timeout: 240_000 },
      async () => {
        const image = await buildTestImage();
        const script = `
echo "start $HABITAT_RUN_ID $HABITAT_AGENT $(($(date +%s) * 1000))" >> /work/truth.log
cat /run/secrets/tok > /dev/null
sleep 1
printf '${WAKE_MS / 1000}s\\n' > "$HABITAT_WAKE_FILE"
echo "end $HABITAT_RUN_ID $HABITAT_AGENT $(($(date +%s) * 1000))" >> /work/truth.log
`;
        const extra = (name: string) =>
          `repo: ../habitats/${name}\nisolation: { backend: docker, image: "${image}", network: none }\n`;
        const names = ['d0', 'd1'];
        const f = fleet(Object.fromEntries(names.map((n) => [n, agentYaml(script, extra(n))])), {
          'secret.txt': 'chaos-docker-secret-77ab\n',
        });
        const truths = names.map((n) => {
          const dir = path.join(f.root, 'habitats', n);
          mkdirSync(dir, { recursive: true });
          chmodSync(dir, 0o777);
          writeFileSync(path.join(dir, 'truth.log'), '', { mode: 0o666 });
          chmodSync(path.join(dir, 'truth.log'), 0o666);
          return path.join(dir, 'truth.log');
        });
        const loop = await killLoop(
          f.root,
          f.stateDir,
          Number(process.env.HABITAT_CHAOS_DOCKER_MS ?? 45_000),
          10_000,
        );
        const truth = truths.flatMap((t) => readTruth(t));
        // seconds resolution inside the busybox image
        const figures = analyse(truth, f.stateDir, loop.horizon, 1100);
        const leakedContainers = execFileSync(
          'docker',
          ['ps', '-aq', '--filter', `label=habitat.stateDir=${f.stateDir}`],
          { encoding: 'utf8' },
        )
          .split('\n')
          .filter(Boolean).length;
        const leakedSecretFiles = leftoverRunFiles(f.stateDir);
        report('kill9-docker', {
          agents: names.length,
          kills: loop.kills,
          ...figures,
          leakedContainers,
          leakedSecretFiles,
          crashes: loop.crashes,
        });
        if (loop.crashLogs.length) process.stdout.write(`${loop.crashLogs.join('\n---\n')}\n`);
        expect(loop.kills).toBeGreaterThan(5);
        expect(figures.executions).toBeGreaterThan(4);
        expect(figures.duplicates).toBe(0);
        expect(figures.lostWakes).toBe(0);
        expect(figures.recordedWrong).toBe(0);
        expect(leakedContainers).toBe(0);
        expect(leakedSecretFiles).toBe(0);
        expect(loop.crashes).toBe(0);
      },
    );
  });
});
