// Figure (issue 17): whole-process start-up of every read-only command against `node -e 0` on the same Node.
// Target: each command's median within 2.5x of the baseline's median. Each round runs the baseline and every
// command once, in a rotating order, so machine load hits all of them alike. Wall time is the figure; CPU time
// (user + sys of the child, from bash's `times`) is printed too because it moves less on a busy machine.
//   node bench/startup.ts [rounds=21] [--base <another build's dist/index.js>]
//                                              (build first: pnpm turbo run build --filter=@habitat/cli)
// `--base` runs every command with that build too, in the same rounds (its own compile cache and config snapshot),
// and adds its medians and the ratio between the two builds: a change is measured against the build before it.
// The fixture is a fresh coordinator (one agent run once, the testkit's session indexed, three learnings);
// the compile cache and the config snapshot are warmed by two untimed rounds, as they are after any first use.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const baseAt = process.argv.indexOf('--base');
const BASE = baseAt > 0 ? path.resolve(process.argv[baseAt + 1] ?? '') : undefined;
const positional = process.argv
  .slice(2)
  .filter((_, i, all) => all[i - 1] !== '--base' && all[i] !== '--base');
const rounds = Number(positional[0] ?? 21);
const CLI = path.resolve(import.meta.dirname, '../dist/index.js');
const FIXTURE = path.resolve(import.meta.dirname, '../../../packages/testkit/fixtures/session.jsonl');
const TARGET = 2.5;
const root = mkdtempSync(path.join(tmpdir(), 'habitat-bench-startup-'));
const env = {
  ...process.env,
  NO_COLOR: '1',
  HOME: root,
  HABITAT_CACHE_DIR: path.join(root, 'cache'),
  NODE_COMPILE_CACHE: path.join(root, 'compile-cache'),
};

const habitat = (...args: string[]) =>
  execFileSync(process.execPath, [CLI, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });

// The fixture coordinator.
habitat('init', '.');
habitat('up', '--once');
mkdirSync(path.join(root, 'claude/projects/bench'), { recursive: true });
copyFileSync(FIXTURE, path.join(root, 'claude/projects/bench/session.jsonl'));
habitat('sessions', 'index', '--no-defaults', '--claude-dir', path.join(root, 'claude'));
for (const text of [
  'The deploy script needs AWS_REGION set before it runs',
  'Rate limits reset at the top of the hour; sleep until then',
  'Run the migrations before the integration tests',
])
  habitat('knowledge', 'add', text);

const COMMANDS: string[][] = [
  ['--help'],
  ['--version'],
  ['status'],
  ['list'],
  ['next'],
  ['history'],
  ['sessions', 'stats', '--by', 'day', '--json'],
  ['sessions', 'search', 'hello'],
  ['sessions', 'list'],
  ['knowledge', 'search', 'migrations'],
  ['knowledge', 'context', '--task', 'run the integration tests'],
];
const BASELINE = ['-e', '0'];
const cases: Array<{ name: string; argv: string[]; base?: boolean }> = [
  { name: 'node -e 0', argv: BASELINE },
  ...COMMANDS.map((c) => ({ name: c.join(' '), argv: [CLI, ...c] })),
  ...(BASE ? COMMANDS.map((c) => ({ name: `base: ${c.join(' ')}`, argv: [BASE, ...c], base: true })) : []),
];
// the other build keeps its own caches: each build keys the config snapshot by its own build id
const baseEnv = {
  ...env,
  HABITAT_CACHE_DIR: path.join(root, 'cache-base'),
  NODE_COMPILE_CACHE: path.join(root, 'compile-cache-base'),
};

/** One run: wall ms (measured here) and the child's CPU ms (user + sys, from bash's `times`). */
function sample(argv: string[], base = false): { wall: number; cpu: number } {
  const quoted = [process.execPath, ...argv].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const t0 = performance.now();
  const out = spawnSync('bash', ['-c', `${quoted} >/dev/null 2>&1; s=$?; times; exit $s`], {
    cwd: root,
    env: base ? baseEnv : env,
    encoding: 'utf8',
  });
  const wall = performance.now() - t0;
  if (out.status !== 0) throw new Error(`${argv.join(' ')} exited ${out.status}`);
  // `times` prints the shell's own times, then its children's: "0m0.041s 0m0.012s"
  const children = out.stdout.trim().split('\n').at(-1)!;
  const cpu = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
    (s, m) => s + Number(m[1]) * 60e3 + Number(m[2]) * 1e3,
    0,
  );
  return { wall, cpu };
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

for (let i = 0; i < 2; i++) for (const c of cases) sample(c.argv, c.base);
const wall = new Map(cases.map((c) => [c.name, [] as number[]]));
const cpu = new Map(cases.map((c) => [c.name, [] as number[]]));
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < cases.length; i++) {
    const c = cases[(i + r) % cases.length]!;
    const s = sample(c.argv, c.base);
    wall.get(c.name)!.push(s.wall);
    cpu.get(c.name)!.push(s.cpu);
  }
}

const baseWall = median(wall.get('node -e 0')!);
const baseCpu = median(cpu.get('node -e 0')!);
const out = (line: string) => process.stdout.write(`${line}\n`);
out(`Node ${process.version}, ${rounds} interleaved rounds, ${new Date().toISOString().slice(0, 10)}`);
out('');
out('| command | wall median | ratio to `node -e 0` | CPU median | CPU ratio | target |');
out('| --- | --- | --- | --- | --- | --- |');
let failed = 0;
for (const c of cases.filter((x) => !x.base)) {
  const w = median(wall.get(c.name)!);
  const u = median(cpu.get(c.name)!);
  const ratio = w / baseWall;
  const pass = c.argv === BASELINE || ratio <= TARGET;
  if (!pass) failed++;
  out(
    `| \`${c.name}\` | ${w.toFixed(1)} ms | ${c.argv === BASELINE ? 'baseline' : `${ratio.toFixed(2)}x`} | ${u.toFixed(0)} ms | ${c.argv === BASELINE ? '' : `${(u / baseCpu).toFixed(2)}x`} | ${c.argv === BASELINE ? '' : `<= ${TARGET}x ${pass ? 'PASS' : 'FAIL'}`} |`,
  );
}
process.exitCode = failed > 0 ? 1 : 0;

if (BASE) {
  out('');
  out(`Against the build at ${BASE} (same rounds):`);
  out('');
  out('| command | this build wall | base wall | ratio | this build CPU | base CPU | ratio |');
  out('| --- | --- | --- | --- | --- | --- | --- |');
  for (const c of COMMANDS) {
    const name = c.join(' ');
    const [w, bw, u, bu] = [
      wall.get(name)!,
      wall.get(`base: ${name}`)!,
      cpu.get(name)!,
      cpu.get(`base: ${name}`)!,
    ].map(median) as [number, number, number, number];
    out(
      `| \`${name}\` | ${w.toFixed(1)} ms | ${bw.toFixed(1)} ms | ${(w / bw).toFixed(2)}x | ${u.toFixed(0)} ms | ${bu.toFixed(0)} ms | ${(u / bu).toFixed(2)}x |`,
    );
  }
}
