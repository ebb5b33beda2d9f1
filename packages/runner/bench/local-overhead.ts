// Figure (issue 3): the local backend's overhead of `startRun` over spawning the command directly.
// Target: median overhead <= 30 ms over >= 30 interleaved runs of `true`.
//   node bench/local-overhead.ts [runs=40]
// With HABITAT_BENCH_BASE=<another build's dist/index.js> (e.g. the commit before a change, built apart), that
// build's startRun runs too, interleaved round by round, and the medians are compared (ratio this/base).
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { startRun } from '@habitat/runner';
import { agentWith, deadline, median, ms, print, quantile, row, tempDir } from './lib.ts';

const runs = Number(process.argv[2] ?? 40);
deadline(120, 'local-overhead');

const stateDir = tempDir();
const agent = agentWith({ run: { kind: 'command', command: ['true'] } });

function spawnTrue(): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.once('error', reject);
    child.once('close', () => resolve(performance.now() - t0));
  });
}

const baseFile = process.env.HABITAT_BENCH_BASE;
const baseStartRun: typeof startRun | undefined = baseFile
  ? (await import(pathToFileURL(baseFile).href)).startRun
  : undefined;

async function habitatTrue(run: typeof startRun = startRun): Promise<number> {
  const t0 = performance.now();
  const result = await run(agent, { stateDir, trigger: 'manual' }).result;
  if (result.status !== 'succeeded') throw new Error(`run ${result.status}: ${result.error?.message}`);
  return performance.now() - t0;
}

// Warm-up: module loading, first spawn, first mkdir of the state dir.
for (let i = 0; i < 3; i++) {
  await spawnTrue();
  await habitatTrue();
  if (baseStartRun) await habitatTrue(baseStartRun);
}
const direct: number[] = [];
const habitat: number[] = [];
const base: number[] = [];
for (let i = 0; i < runs; i++) {
  // Interleaved, rotating which goes first, so drift in machine load hits each equally.
  const steps = [
    async () => direct.push(await spawnTrue()),
    async () => habitat.push(await habitatTrue()),
    ...(baseStartRun ? [async () => base.push(await habitatTrue(baseStartRun))] : []),
  ];
  for (let k = 0; k < steps.length; k++) await steps[(i + k) % steps.length]!();
}
const overhead = median(habitat) - median(direct);
print(`runner local backend: ${runs} interleaved runs of \`true\``);
print(row(['', 'median', 'p90', 'min']));
print(row(['---', '---', '---', '---']));
print(
  row([
    'child_process.spawn (baseline)',
    ms(median(direct)),
    ms(quantile(direct, 0.9)),
    ms(Math.min(...direct)),
  ]),
);
print(row(['startRun', ms(median(habitat)), ms(quantile(habitat, 0.9)), ms(Math.min(...habitat))]));
if (baseStartRun)
  print(row(['startRun, base build', ms(median(base)), ms(quantile(base, 0.9)), ms(Math.min(...base))]));
print(
  `overhead (median startRun - median spawn): ${ms(overhead)} (target <= 30 ms) ${overhead <= 30 ? 'PASS' : 'MISS'}`,
);
if (baseStartRun)
  print(
    `this build vs the base build: ${ms(median(habitat))} vs ${ms(median(base))} median, ratio ${(median(habitat) / median(base)).toFixed(2)}`,
  );
