// Whole-process knowledge at scale: a coordinator with N learning files (default 100,000), the first index
// build (`habitat knowledge index` on no index: time and peak RSS), then warm `habitat knowledge search` and
// `context` interleaved round by round with their baselines (`node -e 0`, `rg -l -w` over the files), medians
// and ratios. Run: `node bench/cli.ts [count] [--rounds 9]` after `pnpm turbo run build --filter=@habitat/cli`.
// KB_FLEET=<dir> keeps the generated fleet between runs (generating 100k files takes a while).
// `--baseline <another build's dist/index.js>` (e.g. a copy of main's apps/cli/dist kept inside apps/cli/node_modules
// so its externals resolve) runs every build and command with that CLI too, in the same rounds: it gets its own
// state dir (a coordinator next to the fleet whose knowledgeDir is the same files) and its own config cache, so
// neither rebuilds the other's index or snapshot.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileNameFor, formatLearning, type Learning } from '@habitat/knowledge';

const count = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 100_000);
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 9);
const habitat = path.resolve(import.meta.dirname, '../../../apps/cli/dist/index.js');
const fleet = process.env.KB_FLEET ?? mkdtempSync(path.join(tmpdir(), 'habitat-kcli-'));
const knowledge = path.join(fleet, 'knowledge');
const baselineAt = process.argv.indexOf('--baseline');
const baseline = baselineAt > 0 ? path.resolve(process.argv[baselineAt + 1]!) : undefined;
const baseFleet = `${fleet}-baseline`;
if (baseline) {
  mkdirSync(baseFleet, { recursive: true });
  writeFileSync(path.join(baseFleet, 'habitat.yaml'), `knowledgeDir: ${JSON.stringify(knowledge)}\n`);
}
/** A baseline command runs in its own coordinator with its own config cache. */
const baselineEnv = { HABITAT_CACHE_DIR: path.join(baseFleet, '.cache') };

// Real lessons draw on a large vocabulary with a few very common words (Zipf-like): 60 engineering words
// plus 4,000 rarer identifiers, as in bench.ts.
const words =
  'postgres redis docker kubernetes pipeline cache queue worker deploy rollout migration index search upload email token oauth proxy certificate dns failover memory leak bundle locale latency throughput retry backoff rate limit cursor pagination schema lock backup restore alert page incident budget egress region cluster node pool connection timeout'.split(
    ' ',
  );
const vocabulary = [...words, ...Array.from({ length: 4000 }, (_, i) => `term${i.toString(36)}`)];
let seed = 7;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = () => vocabulary[Math.floor(vocabulary.length * rand() ** 2.5)]!;
const sentence = (n: number) => Array.from({ length: n }, pick).join(' ');

mkdirSync(fleet, { recursive: true });
if (!existsSync(path.join(fleet, 'habitat.yaml'))) writeFileSync(path.join(fleet, 'habitat.yaml'), '{}\n');
mkdirSync(knowledge, { recursive: true });
const have = readdirSync(knowledge).filter((n) => n.endsWith('.md')).length;
if (have < count) {
  const t = performance.now();
  for (let i = have; i < count; i++) {
    const learning: Learning = {
      id: `k-${i.toString(36).padStart(8, '0')}`,
      title: `${sentence(6)} ${i}`,
      body: `${sentence(25)}. service-${i % 500} ${sentence(15)}.`,
      tags: [pick(), pick()],
      scope: i % 3 === 0 ? { kind: 'org' } : { kind: 'project', name: `p${i % 50}` },
      status: 'active',
      confidence: 0.5,
      provenance: [{ source: 'person', time: '2026-01-01T00:00:00.000Z' }],
      supersedes: [],
      conflictsWith: [],
      created: '2026-01-01T00:00:00.000Z',
      updated: '2026-01-01T00:00:00.000Z',
    };
    writeFileSync(path.join(knowledge, fileNameFor(learning)), formatLearning(learning));
  }
  console.log(`generated ${count - have} learning files in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

// First build: no index yet, interleaved with its floor (a process that lists and reads every file).
// /usr/bin/time gives the peak RSS of the whole process.
const buildRounds = Number(process.argv[process.argv.indexOf('--build-rounds') + 1] || 3);
const floorScript = `const fs=require('fs'),p=require('path'),d=${JSON.stringify(knowledge)};for(const n of fs.readdirSync(d))fs.readFileSync(p.join(d,n),'utf8')`;
const timed = (args: string[], where = fleet, env: Record<string, string> = {}) => {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', ...args], {
    cwd: where,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  const [s, kb, user, sys] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  // CPU seconds (user + system) next to wall time: on a loaded machine the wall time is mostly waiting.
  return { ms: s! * 1000, mb: kb! / 1024, cpu: (user! + sys!) * 1000, out: r.stdout.trim() };
};
// `--cold`: each build (and its floor) starts with the fleet's files out of the page cache, as after a reboot or
// on this machine an hour later (it drops the cache): posix_fadvise(DONTNEED) on every file, which only this
// fleet's pages leave (no root, nobody else's cache). Without it, the first round may be cold and the rest warm.
const cold = process.argv.includes('--cold');
const evict = () => {
  if (!cold) return;
  const r = spawnSync(
    'python3',
    [
      '-c',
      'import os,sys\nfor e in os.scandir(sys.argv[1]):\n  fd=os.open(e.path,os.O_RDONLY); os.posix_fadvise(fd,0,0,os.POSIX_FADV_DONTNEED); os.close(fd)',
      knowledge,
    ],
    { stdio: 'inherit' },
  );
  if (r.status !== 0)
    throw new Error(
      '--cold needs python3 (os.posix_fadvise) to drop the fleet from the page cache: install python3 or leave --cold off',
    );
};
const builds: { ms: number; mb: number; cpu: number }[] = [];
const baseBuilds: { ms: number; mb: number; cpu: number }[] = [];
const floors: { ms: number; cpu: number }[] = [];
for (let r = 0; r < buildRounds; r++) {
  rmSync(path.join(fleet, '.habitat'), { recursive: true, force: true });
  evict();
  const b = timed(['node', habitat, 'knowledge', 'index']);
  builds.push(b);
  if (r === 0) console.log(`first build: ${b.out}`);
  evict();
  floors.push(timed(['node', '-e', floorScript]));
  if (baseline) {
    rmSync(path.join(baseFleet, '.habitat'), { recursive: true, force: true });
    evict();
    baseBuilds.push(timed(['node', baseline, 'knowledge', 'index'], baseFleet, baselineEnv));
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
if (baseBuilds.length > 0) {
  const [ms, cpu, b] = [
    med(builds.map((x) => x.ms)),
    med(builds.map((x) => x.cpu)),
    med(baseBuilds.map((x) => x.ms)),
  ];
  const bCpu = med(baseBuilds.map((x) => x.cpu));
  console.log(
    `first index build, this build vs the baseline: ${(ms / 1000).toFixed(2)} vs ${(b / 1000).toFixed(2)} s wall (${(ms / b).toFixed(2)}x), ` +
      `${(cpu / 1000).toFixed(2)} vs ${(bCpu / 1000).toFixed(2)} s CPU (${(cpu / bCpu).toFixed(2)}x), peak RSS ${Math.round(Math.max(...builds.map((x) => x.mb)))} vs ${Math.round(Math.max(...baseBuilds.map((x) => x.mb)))} MB ` +
      `(each: ${builds.map((x) => Math.round(x.mb)).join(', ')} vs ${baseBuilds.map((x) => Math.round(x.mb)).join(', ')}); ` +
      `each wall/CPU s: ${builds.map((x) => `${(x.ms / 1000).toFixed(1)}/${(x.cpu / 1000).toFixed(1)}`).join(', ')} vs ${baseBuilds.map((x) => `${(x.ms / 1000).toFixed(1)}/${(x.cpu / 1000).toFixed(1)}`).join(', ')}`,
  );
}
if (buildRounds > 0) {
  const buildMs = med(builds.map((b) => b.ms));
  const buildCpu = med(builds.map((b) => b.cpu));
  const floorMs = med(floors.map((f) => f.ms));
  const floorCpu = med(floors.map((f) => f.cpu));
  console.log(
    `first index build: median ${(buildMs / 1000).toFixed(2)} s wall, ${(buildCpu / 1000).toFixed(2)} s CPU, peak RSS ${Math.round(Math.max(...builds.map((b) => b.mb)))} MB ` +
      `(each: ${builds.map((b) => Math.round(b.mb)).join(', ')} MB); ` +
      `reading every file: ${(floorMs / 1000).toFixed(2)} s wall, ${(floorCpu / 1000).toFixed(2)} s CPU; ` +
      `ratio ${(buildMs / floorMs).toFixed(1)}x wall, ${(buildCpu / floorCpu).toFixed(1)}x CPU (${buildRounds} rounds${cold ? ', each from a cold page cache' : ''}); ` +
      `load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
  );
} else {
  // (--build-rounds 0: the index as it is, brought up to date)
  spawnSync('node', [habitat, 'knowledge', 'index'], { cwd: fleet });
  if (baseline)
    spawnSync('node', [baseline, 'knowledge', 'index'], {
      cwd: baseFleet,
      env: { ...process.env, ...baselineEnv },
    });
}

const rare = 'term2bq';
const common = 'postgres';
const commands: Record<string, string[]> = {
  'node -e 0': ['node', '-e', '0'],
  [`rg -l -w ${rare}`]: ['rg', '-l', '-w', rare, knowledge],
  [`knowledge search ${rare}`]: ['node', habitat, 'knowledge', 'search', rare],
  [`rg -l -w ${common}`]: ['rg', '-l', '-w', common, knowledge],
  [`knowledge search ${common} retry`]: ['node', habitat, 'knowledge', 'search', common, 'retry'],
  'knowledge context': [
    'node',
    habitat,
    'knowledge',
    'context',
    '--task',
    `fix the ${common} ${rare} timeout`,
  ],
  // The same commands through commander and the whole CLI (the fast path off): what the fast path saves.
  [`full CLI: knowledge search ${common} retry`]: [
    'env',
    'HABITAT_KNOWLEDGE_FAST=0',
    'node',
    habitat,
    'knowledge',
    'search',
    common,
    'retry',
  ],
};
if (baseline)
  for (const name of Object.keys(commands).filter((n) => n.includes('knowledge')))
    commands[`baseline: ${name}`] = commands[name]!.map((a) => (a === habitat ? baseline : a));
const ms: Record<string, number[]> = {};
const cpuMs: Record<string, number[]> = {};
for (let r = 0; r < rounds; r++) {
  for (const [name, argv] of Object.entries(commands)) {
    // `env A=B cmd ...`: the variables are set here, so no extra process is timed.
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...(name.startsWith('baseline: ') ? baselineEnv : {}),
    };
    let [cmd, ...args] = argv;
    while (cmd === 'env' || cmd!.includes('=')) {
      if (cmd !== 'env') env[cmd!.split('=')[0]!] = cmd!.split('=').slice(1).join('=');
      [cmd, ...args] = args;
    }
    // Under /usr/bin/time for the CPU seconds (10 ms resolution), which load inflates much less than wall time;
    // every command pays the same wrapper.
    const t = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', cmd!, ...args], {
      cwd: name.startsWith('baseline: ') ? baseFleet : fleet,
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
      encoding: 'utf8',
    });
    ms[name] = [...(ms[name] ?? []), Number(process.hrtime.bigint() - t) / 1e6];
    const [user, sys] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
    cpuMs[name] = [...(cpuMs[name] ?? []), (user! + sys!) * 1000];
  }
}
const m = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, med(v)]));
const c = Object.fromEntries(Object.entries(cpuMs).map(([k, v]) => [k, med(v)]));
console.log(
  `\n${count} learnings, ${rounds} interleaved rounds, medians (${cpus().length} cores, node ${process.version})`,
);
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} at the end`,
);
console.log(
  `| command | median ms | vs node -e 0 | CPU ms | CPU vs node -e 0 | vs rg -l -w (same term) |${baseline ? ' vs baseline (wall / CPU) |' : ''}`,
);
console.log(`|---|---|---|---|---|---|${baseline ? '---|' : ''}`);
for (const [name, v] of Object.entries(m)) {
  const rg = /^(full CLI|baseline)/.test(name)
    ? undefined
    : name.includes(rare)
      ? m[`rg -l -w ${rare}`]
      : name.includes(common)
        ? m[`rg -l -w ${common}`]
        : undefined;
  console.log(
    `| ${name} | ${v.toFixed(0)} | ${(v / m['node -e 0']!).toFixed(1)}x | ${c[name]!.toFixed(0)} | ${(c[name]! / c['node -e 0']!).toFixed(1)}x | ${rg && !name.startsWith('rg') ? `${(v / rg).toFixed(2)}x` : ''} |${
      baseline
        ? ` ${m[`baseline: ${name}`] ? `${(v / m[`baseline: ${name}`]!).toFixed(2)}x / ${(c[name]! / c[`baseline: ${name}`]!).toFixed(2)}x` : ''} |`
        : ''
    }`,
  );
}
if (!process.env.KB_FLEET) rmSync(fleet, { recursive: true, force: true });
