// Figure (issue 3): the local backend's overhead of `startRun` over spawning the command directly.
// Target: median overhead <= 30 ms over >= 30 interleaved runs of `true`.
//   node bench/local-overhead.ts [runs=40]
import { spawn } from 'node:child_process';
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

async function habitatTrue(): Promise<number> {
  const t0 = performance.now();
  const result = await startRun(agent, { stateDir, trigger: 'manual' }).result;
  if (result.status !== 'succeeded') throw new Error(`run ${result.status}: ${result.error?.message}`);
  return performance.now() - t0;
}

// Warm-up: module loading, first spawn, first mkdir of the state dir.
for (let i = 0; i < 3; i++) {
  await spawnTrue();
  await habitatTrue();
}
const direct: number[] = [];
const habitat: number[] = [];
for (let i = 0; i < runs; i++) {
  // Interleaved, alternating which goes first, so drift in machine load hits both equally.
  if (i % 2 === 0) {
    direct.push(await spawnTrue());
    habitat.push(await habitatTrue());
  } else {
    habitat.push(await habitatTrue());
    direct.push(await spawnTrue());
  }
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
print(
  `overhead (median startRun - median spawn): ${ms(overhead)} (target <= 30 ms) ${overhead <= 30 ? 'PASS' : 'MISS'}`,
);
