// Figure (issue 17): whole-process `habitat run` of a trivial Docker agent against `docker run --rm` of the
// same image and command with the same network setting. Target: median ratio <= 1.3. Interleaved round by
// round (the order alternates), medians.
//   node bench/docker-run.ts [rounds=10]   (needs habitat-test:latest: cd packages/testkit && pnpm vitest run test/docker.test.ts)
// HABITAT_BENCH_BASE_CLI=<another build's dist/index.js> times that build too, in the same rounds (before/after).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const rounds = Number(process.argv[2] ?? 10);
const IMAGE = process.env.HABITAT_BENCH_IMAGE ?? 'habitat-test:latest';
const CLI = path.resolve(import.meta.dirname, '../dist/index.js');
const BASE_CLI = process.env.HABITAT_BENCH_BASE_CLI;
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

/** One run: wall ms, and the child's CPU ms (user + sys, from bash's `times`; the docker CLI's own, not dockerd's). */
function time(
  cmd: string,
  args: string[],
  extraEnv: Record<string, string> = {},
): { wall: number; cpu: number } {
  const quoted = [cmd, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const t0 = performance.now();
  const out = spawnSync(
    'bash',
    ['-c', `${quoted} >/dev/null 2>/tmp/habitat-bench-docker-run.err; s=$?; times; exit $s`],
    {
      cwd: root,
      env: { ...env, ...extraEnv },
      encoding: 'utf8',
    },
  );
  const wall = performance.now() - t0;
  if (out.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${out.status}: ${out.stderr}`);
  const children = out.stdout.trim().split('\n').at(-1)!;
  const cpu = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
    (sum, m) => sum + Number(m[1]) * 60e3 + Number(m[2]) * 1e3,
    0,
  );
  return { wall, cpu };
}
const habitat = () => time(process.execPath, [CLI, 'run', 'trivial']);
// Informational: the same run through dockerode (what an engine at a tcp:// or ssh:// DOCKER_HOST uses).
const viaDockerode = () =>
  time(process.execPath, [CLI, 'run', 'trivial'], { HABITAT_DOCKER_CLIENT: 'dockerode' });
// its own config cache: a snapshot is keyed by the build that wrote it, so one shared by two builds would never hold
const viaBase = () =>
  time(process.execPath, [BASE_CLI!, 'run', 'trivial'], { HABITAT_CACHE_DIR: path.join(root, 'cache-base') });
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

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const loadBefore = load();
habitat();
docker();
hardened();
viaDockerode();
if (BASE_CLI) viaBase();
type Sample = { wall: number; cpu: number };
const h: Sample[] = [];
const d: Sample[] = [];
const x: Sample[] = [];
const o: Sample[] = [];
const b: Sample[] = [];
const steps = [
  () => d.push(docker()),
  () => h.push(habitat()),
  () => x.push(hardened()),
  () => o.push(viaDockerode()),
  ...(BASE_CLI ? [() => b.push(viaBase())] : []),
];
for (let r = 0; r < rounds; r++) for (let i = 0; i < steps.length; i++) steps[(i + r) % steps.length]!();
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const wall = (v: Sample[]) => median(v.map((s) => s.wall));
const cpu = (v: Sample[]) => median(v.map((s) => s.cpu));
const ratio = wall(h) / wall(d);
process.stdout.write(
  `Node ${process.version}, ${rounds} interleaved rounds, ${new Date().toISOString().slice(0, 10)}, load ${loadBefore} -> ${load()}\n\n` +
    '| figure | median | baseline median | ratio | target | CPU (process) |\n| --- | --- | --- | --- | --- | --- |\n' +
    `| \`habitat run\` (whole process), trivial Docker agent, network none | ${wall(h).toFixed(0)} ms | \`docker run --rm --network none\` ${wall(d).toFixed(0)} ms | ${ratio.toFixed(2)}x | <= 1.3x ${ratio <= 1.3 ? 'PASS' : 'MISS'} | ${cpu(h).toFixed(0)} ms vs ${cpu(d).toFixed(0)} ms |\n` +
    `| same, against \`docker run\` with habitat's hardening (informational) | ${wall(h).toFixed(0)} ms | ${wall(x).toFixed(0)} ms | ${(wall(h) / wall(x)).toFixed(2)}x | | ${cpu(h).toFixed(0)} ms vs ${cpu(x).toFixed(0)} ms |\n` +
    `| \`habitat run\` through dockerode (HABITAT_DOCKER_CLIENT=dockerode; informational) | ${wall(o).toFixed(0)} ms | ${wall(d).toFixed(0)} ms | ${(wall(o) / wall(d)).toFixed(2)}x | | ${cpu(o).toFixed(0)} ms |\n` +
    (BASE_CLI
      ? `| \`habitat run\` of the build at HABITAT_BENCH_BASE_CLI (before/after) | ${wall(b).toFixed(0)} ms | ${wall(d).toFixed(0)} ms | ${(wall(b) / wall(d)).toFixed(2)}x | | ${cpu(b).toFixed(0)} ms |\n`
      : ''),
);
