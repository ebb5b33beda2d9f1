// Figure (issue 17): whole-process `habitat run` of a trivial Docker agent against `docker run --rm` of the
// same image and command with the same network setting. Target: median ratio <= 1.3. Interleaved round by
// round (the order alternates), medians.
//   node bench/docker-run.ts [rounds=10]   (needs habitat-test:latest: cd packages/testkit && pnpm vitest run test/docker.test.ts)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const rounds = Number(process.argv[2] ?? 10);
const IMAGE = process.env.HABITAT_BENCH_IMAGE ?? 'habitat-test:latest';
const CLI = path.resolve(import.meta.dirname, '../dist/index.js');
if (spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' }).status !== 0) {
  process.stderr.write(
    `image ${IMAGE} is missing: cd packages/testkit && pnpm vitest run test/docker.test.ts\n`,
  );
  process.exit(2);
}
const root = mkdtempSync(path.join(tmpdir(), 'habitat-bench-docker-run-'));
mkdirSync(path.join(root, 'agents'));
mkdirSync(path.join(root, 'repo'));
writeFileSync(
  path.join(root, 'agents/trivial.yaml'),
  `repo: ../repo\nrun: { command: ["true"] }\nisolation: { backend: docker, image: ${IMAGE}, network: none }\n`,
);
const env = { ...process.env, HOME: root, HABITAT_CACHE_DIR: path.join(root, 'cache'), NO_COLOR: '1' };

function time(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const out = spawnSync(cmd, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (out.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${out.status}: ${out.stderr}`);
  return ms;
}
const habitat = () => time(process.execPath, [CLI, 'run', 'trivial']);
const docker = () => time('docker', ['run', '--rm', '--network', 'none', IMAGE, 'true']);
// Informational: `docker run` with the hardening habitat applies to every container (no capabilities,
// read-only root with a tmpfs /tmp, an init, a pids limit, no-new-privileges, the repo mounted).
const hardened = () =>
  time('docker', [
    'run',
    '--rm',
    '--network',
    'none',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--pids-limit',
    '512',
    '--read-only',
    '--tmpfs',
    '/tmp:rw,nosuid,nodev,size=1g,mode=1777',
    '--init',
    '-v',
    `${path.join(root, 'repo')}:/work:rw`,
    '-w',
    '/work',
    IMAGE,
    'true',
  ]);

habitat();
docker();
hardened();
const h: number[] = [];
const d: number[] = [];
const x: number[] = [];
const steps = [() => d.push(docker()), () => h.push(habitat()), () => x.push(hardened())];
for (let r = 0; r < rounds; r++) for (let i = 0; i < steps.length; i++) steps[(i + r) % steps.length]!();
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ratio = median(h) / median(d);
process.stdout.write(
  `Node ${process.version}, ${rounds} interleaved rounds, ${new Date().toISOString().slice(0, 10)}\n\n` +
    '| figure | median | baseline median | ratio | target |\n| --- | --- | --- | --- | --- |\n' +
    `| \`habitat run\` (whole process), trivial Docker agent, network none | ${median(h).toFixed(0)} ms | \`docker run --rm --network none\` ${median(d).toFixed(0)} ms | ${ratio.toFixed(2)}x | <= 1.3x ${ratio <= 1.3 ? 'PASS' : 'MISS'} |\n` +
    `| same, against \`docker run\` with habitat's hardening (informational) | ${median(h).toFixed(0)} ms | ${median(x).toFixed(0)} ms | ${(median(h) / median(x)).toFixed(2)}x | |\n`,
);
