// Figure (issue 12): 50 concurrent swarm runs from one daemon (`habitat up`, built CLI) on the
// single-node swarm: every run completes, none is duplicated or lost, each log holds its own output,
// nothing is left on the swarm; the daemon's RSS is sampled every 200 ms (target: peak < 150 MB).
//   node bench/swarm-fleet.ts [runs=50]
// Needs a swarm manager and the test image (see swarm-start.ts), and a build (`pnpm turbo run build`).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deadline, print, tempDir } from './lib.ts';

const IMAGE = process.env.HABITAT_BENCH_IMAGE ?? 'habitat-test:latest';
const runs = Number(process.argv[2] ?? 50);
const CLI = path.resolve(import.meta.dirname, '../../../apps/cli/dist/index.js');
deadline(600, 'swarm-fleet');

const root = tempDir('habitat-bench-fleet-');
mkdirSync(path.join(root, 'agents'));
writeFileSync(path.join(root, 'habitat.yaml'), `maxConcurrentRuns: ${runs}\n`);
for (let i = 0; i < runs; i++) {
  const name = `a${String(i).padStart(2, '0')}`;
  mkdirSync(path.join(root, 'habitats', name), { recursive: true });
  writeFileSync(
    path.join(root, 'agents', `${name}.yaml`),
    [
      `repo: ../habitats/${name}`,
      // Each run prints its own name: a log with another agent's line would be a mix-up.
      `run: { command: [sh, -c, "echo begin-${name}; sleep 3; echo end-${name}"] }`,
      'schedule: { every: 24h }',
      `isolation: { backend: swarm, image: "${IMAGE}", network: host }`,
      '',
    ].join('\n'),
  );
}

const t0 = performance.now();
const daemon = spawn(process.execPath, [CLI, 'up', '--no-layers'], { cwd: root, stdio: 'ignore' });
let peak = 0;
const rss = () => {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${daemon.pid}/status`, 'utf8'))?.[1];
    if (kb) peak = Math.max(peak, Number(kb) / 1024);
  } catch {
    // not up yet, or gone
  }
};
const sampler = setInterval(rss, 200);

/** The result records the runs wrote (logs/<agent>/<stamp>-<run>.json): one per finished run. */
const history = () => {
  const logs = path.join(root, '.habitat', 'logs');
  if (!existsSync(logs)) return [];
  return readdirSync(logs).flatMap((agent) =>
    readdirSync(path.join(logs, agent))
      .filter((f) => f.endsWith('.json'))
      .map((f) => {
        const r = JSON.parse(readFileSync(path.join(logs, agent, f), 'utf8')) as {
          agent: string;
          status: string;
          logPath: string;
        };
        return { agent: r.agent, status: r.status, log_path: r.logPath };
      }),
  );
};
let rows = history();
while (rows.length < runs) {
  await new Promise((r) => setTimeout(r, 500));
  rows = history();
}
const elapsed = performance.now() - t0;
await new Promise((r) => setTimeout(r, 2000)); // the daemon idles with its services being removed
rss();
daemon.kill('SIGTERM');
await new Promise((r) => daemon.once('exit', r));
clearInterval(sampler);

const succeeded = rows.filter((r) => r.status === 'succeeded').length;
const perAgent = new Map<string, number>();
for (const r of rows) perAgent.set(r.agent, (perAgent.get(r.agent) ?? 0) + 1);
const duplicated = [...perAgent.values()].filter((n) => n > 1).length;
const lost = runs - perAgent.size;
const badLogs = rows.filter((r) => {
  const log = r.log_path && existsSync(r.log_path) ? readFileSync(r.log_path, 'utf8') : '';
  return (
    !log.includes(`begin-${r.agent}`) ||
    !log.includes(`end-${r.agent}`) ||
    /begin-a\d+/g.test(log.replace(`begin-${r.agent}`, ''))
  );
}).length;
const { execFileSync } = await import('node:child_process');
const services = execFileSync(
  'docker',
  ['service', 'ls', '-q', '--filter', `label=habitat.stateDir=${path.join(root, '.habitat')}`],
  {
    encoding: 'utf8',
  },
).trim();
print(`runner swarm backend: ${runs} concurrent runs (sleep 3) from one daemon on a single-node swarm`);
print(
  `all recorded in ${(elapsed / 1000).toFixed(1)} s: ${succeeded}/${runs} succeeded, ${duplicated} duplicated, ${lost} lost, ${badLogs} logs wrong`,
);
print(`services left after the daemon stopped: ${services ? services.split('\n').length : 0}`);
print(`daemon peak RSS: ${peak.toFixed(0)} MB (target < 150 MB) ${peak < 150 ? 'PASS' : 'MISS'}`);
const ok = succeeded === runs && duplicated === 0 && lost === 0 && badLogs === 0 && !services && peak < 150;
print(ok ? 'PASS' : 'MISS');
