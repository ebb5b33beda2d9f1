// Figure (issue 3): `startRun` of a trivial agent on the Docker backend vs `docker run --rm` of the same
// image and command. Target: median ratio <= 1.0 over >= 10 interleaved runs.
//   node bench/docker-start.ts [runs=12]
// Needs the test image: `cd packages/testkit && pnpm vitest run test/docker.test.ts` builds habitat-test:latest.
import { execFile, spawnSync } from 'node:child_process';
import { startRun } from '@habitat/runner';
import { agentWith, deadline, median, ms, print, quantile, row, tempDir } from './lib.ts';

const IMAGE = process.env.HABITAT_BENCH_IMAGE ?? 'habitat-test:latest';
const runs = Number(process.argv[2] ?? 12);
deadline(300, 'docker-start');

if (spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' }).status !== 0) {
  process.stderr.write(
    `image ${IMAGE} is missing: build it with \`cd packages/testkit && pnpm vitest run test/docker.test.ts\`\n`,
  );
  process.exit(2);
}

const stateDir = tempDir();
// The same limits-free container `docker run` makes: no network, the image's default user.
const agent = agentWith({
  run: { kind: 'command', command: ['true'] },
  isolation: { backend: 'docker', image: IMAGE, network: 'none' },
});

function dockerRun(): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile('docker', ['run', '--rm', '--network', 'none', IMAGE, 'true'], (error) =>
      error ? reject(error) : resolve(performance.now() - t0),
    );
  });
}

async function habitatRun(): Promise<number> {
  const t0 = performance.now();
  const result = await startRun(agent, { stateDir, trigger: 'manual' }).result;
  if (result.status !== 'succeeded') throw new Error(`run ${result.status}: ${result.error?.message}`);
  return performance.now() - t0;
}

await dockerRun();
await habitatRun();
const cli: number[] = [];
const habitat: number[] = [];
for (let i = 0; i < runs; i++) {
  if (i % 2 === 0) {
    cli.push(await dockerRun());
    habitat.push(await habitatRun());
  } else {
    habitat.push(await habitatRun());
    cli.push(await dockerRun());
  }
}
const ratio = median(habitat) / median(cli);
print(`runner docker backend: ${runs} interleaved runs of \`true\` in ${IMAGE}`);
print(row(['', 'median', 'p90', 'min']));
print(row(['---', '---', '---', '---']));
print(row(['docker run --rm (baseline)', ms(median(cli)), ms(quantile(cli, 0.9)), ms(Math.min(...cli))]));
print(row(['startRun (docker)', ms(median(habitat)), ms(quantile(habitat, 0.9)), ms(Math.min(...habitat))]));
print(
  `ratio (median startRun / median docker run): ${ratio.toFixed(2)} (target <= 1.0) ${ratio <= 1 ? 'PASS' : 'MISS'}`,
);
