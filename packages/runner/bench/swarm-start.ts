// Figure (issue 12): a trivial run on the Swarm backend vs doing it by hand with the CLI —
// `docker service create --mode replicated-job …`, `docker service logs -f` for the first line and
// `docker service ps` polled until the task is Complete, then `docker service rm` — same image, same
// command, interleaved round by round. Two figures: start-to-first-output and total.
// Target: median ratio (habitat / by hand) <= 1.0 for both.
//   node bench/swarm-start.ts [rounds=10]
// Needs a swarm manager (`docker swarm init --advertise-addr 127.0.0.1 …`, see .ci/run) and the test
// image (`cd packages/testkit && pnpm vitest run test/docker.test.ts` builds habitat-test:latest).
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { settleSwarm, startRun } from '@habitat/runner';
import { agentWith, deadline, median, ms, print, quantile, row, tempDir } from './lib.ts';

const run = promisify(execFile);
const IMAGE = process.env.HABITAT_BENCH_IMAGE ?? 'habitat-test:latest';
const rounds = Number(process.argv[2] ?? 10);
const SCRIPT = 'echo first-line; sleep 0.3; echo done';
deadline(600, 'swarm-start');

const swarm = spawnSync('docker', ['info', '--format', '{{.Swarm.ControlAvailable}}'], { encoding: 'utf8' });
if (swarm.stdout.trim() !== 'true') {
  process.stderr.write(
    'this engine is not a swarm manager: docker swarm init --advertise-addr 127.0.0.1 (see .ci/run)\n',
  );
  process.exit(2);
}
if (spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' }).status !== 0) {
  process.stderr.write(
    `image ${IMAGE} is missing: cd packages/testkit && pnpm vitest run test/docker.test.ts\n`,
  );
  process.exit(2);
}

const stateDir = tempDir();
const repo = tempDir('habitat-bench-repo-');
mkdirSync(path.join(repo, 'x'), { recursive: true });
const agent = agentWith({
  repo: { kind: 'path', path: repo },
  run: { kind: 'command', command: ['sh', '-c', SCRIPT] },
  isolation: { backend: 'swarm', image: IMAGE, network: 'host', user: '1000:1000' },
});

interface Sample {
  first: number;
  total: number;
}

const binds = ['/work', '/habitat/run', '/habitat/claude'].map(
  (dst) => `type=bind,src=${tempDir('habitat-bench-mount-')},dst=${dst}`,
);

/** By hand: what an operator scripting the CLI would do (no registry lookup, like habitat). */
async function byHand(i: number): Promise<Sample> {
  const t0 = performance.now();
  const name = `habitat-bench-hand-${process.pid}-${i}`;
  const { stdout } = await run('docker', [
    'service',
    'create',
    '--detach',
    '--quiet',
    '--no-resolve-image',
    '--name',
    name,
    '--mode',
    'replicated-job',
    '--restart-condition',
    'none',
    '--network',
    'host',
    // the spec habitat gives a run (hardening, mounts, user), so the ratio is habitat's own overhead
    ...['--init', '--read-only', '--cap-drop', 'ALL', '--limit-pids', '512', '--user', '1000:1000'],
    ...['--mount', 'type=tmpfs,dst=/tmp', '--workdir', '/work'],
    ...binds.flatMap((b) => ['--mount', b]),
    '--label',
    'habitat.bench=1',
    IMAGE,
    'sh',
    '-c',
    SCRIPT,
  ]);
  const id = stdout.trim();
  const first = new Promise<number>((resolve) => {
    const logs = spawn('docker', ['service', 'logs', '--follow', '--raw', id], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    logs.stdout.once('data', () => {
      resolve(performance.now() - t0);
      logs.kill();
    });
  });
  for (;;) {
    const ps = await run('docker', ['service', 'ps', '--format', '{{.CurrentState}}', id]);
    if (/^(Complete|Failed|Rejected)/m.test(ps.stdout)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const firstAt = await first;
  await run('docker', ['service', 'rm', id]);
  const total = performance.now() - t0;
  // Docker 20.10 keeps a removed job's finished task and container (moby/moby#42789): the by-hand way
  // leaves them behind; the bench removes the container so runs do not pile up.
  const left = await run('docker', ['ps', '-aq', '--filter', `label=com.docker.swarm.service.id=${id}`]);
  for (const c of left.stdout.split('\n').filter(Boolean)) await run('docker', ['rm', '-f', c]);
  return { first: firstAt, total };
}

async function habitat(): Promise<Sample> {
  const t0 = performance.now();
  let first = 0;
  const handle = startRun(agent, { stateDir, trigger: 'manual' });
  handle.on((e) => {
    if (e.type === 'output' && !first) first = performance.now() - t0;
  });
  const result = await handle.result;
  if (result.status !== 'succeeded') throw new Error(`run ${result.status}: ${result.error?.message}`);
  const total = performance.now() - t0;
  await settleSwarm(); // its service's removal finishes in the background: not in the next sample
  return { first, total };
}

await byHand(-1);
await habitat();
const hand: Sample[] = [];
const ours: Sample[] = [];
for (let i = 0; i < rounds; i++) {
  if (i % 2 === 0) {
    hand.push(await byHand(i));
    ours.push(await habitat());
  } else {
    ours.push(await habitat());
    hand.push(await byHand(i));
  }
}
const col = (s: Sample[], k: keyof Sample) => s.map((x) => x[k]);
print(`runner swarm backend: ${rounds} interleaved rounds of \`${SCRIPT}\` in ${IMAGE}`);
print(row(['', 'first output median', 'p90', 'total median', 'p90']));
print(row(['---', '---', '---', '---', '---']));
for (const [label, s] of [
  ['by hand: service create + logs -f + ps polled (baseline)', hand],
  ['startRun (swarm)', ours],
] as const) {
  print(
    row([
      label,
      ms(median(col(s, 'first'))),
      ms(quantile(col(s, 'first'), 0.9)),
      ms(median(col(s, 'total'))),
      ms(quantile(col(s, 'total'), 0.9)),
    ]),
  );
}
for (const k of ['first', 'total'] as const) {
  const ratio = median(col(ours, k)) / median(col(hand, k));
  print(
    `ratio ${k} (median startRun / median by hand): ${ratio.toFixed(2)} (target <= 1.0) ${ratio <= 1 ? 'PASS' : 'MISS'}`,
  );
}
