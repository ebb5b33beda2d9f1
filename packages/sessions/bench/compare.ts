/**
 * Whole-process comparisons, baseline and habitat interleaved round by round (medians, ratio):
 *
 *   node packages/sessions/bench/compare.ts --corpus /tmp/corpus --work /tmp/work [--rounds 5] [--index]
 *
 * - `sessions stats --by day --json` against `ccusage daily --offline --json` (and their per-day totals compared);
 * - `sessions search` for a rare term (absent), the rarest word the index holds and a common one, against
 *   `rg -F -l` over the raw files (wall and CPU medians);
 * - `node -e 0` (what any Node command pays to start);
 * - with `--index`: a cold index (`indexSessions`, in a child process) against reading and `JSON.parse` of every
 *   line, each with its peak RSS; `--base-dist <sessions dist/index.js>` interleaves a second build (the baseline) too;
 * - with `--base-cli <another build's apps/cli/dist/index.js>`: that CLI runs every habitat command too, in the same
 *   rounds (its own cache dir: a config snapshot is keyed by build), and each row gets its median and the ratio
 *   between the two builds, so a regression shows against the build before it, not only against rg.
 *
 * Needs the CLI built (`pnpm turbo run build --filter @habitat/cli`) and ccusage (a devDependency here).
 * `--work` gets a habitat.yaml and the state dir; the index is built there first if missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseFloorScript } from './parse-floor.ts';

const here = import.meta.dirname;
const cli = join(here, '..', '..', '..', 'apps', 'cli', 'dist', 'index.js');
const ccusage = join(here, '..', 'node_modules', '.bin', 'ccusage');
const { values } = parseArgs({
  options: {
    corpus: { type: 'string' },
    work: { type: 'string', default: '/tmp/habitat-compare' },
    rounds: { type: 'string', default: '5' },
    index: { type: 'boolean', default: false },
    'skip-ccusage': { type: 'boolean', default: false },
    /** with --index: a second build of @habitat/sessions (its dist/index.js) to interleave as the baseline */
    'base-dist': { type: 'string' },
    /** another build's CLI (apps/cli/dist/index.js) run beside this one for every habitat command */
    'base-cli': { type: 'string' },
  },
});
if (!values.corpus) throw new Error('--corpus <dir> is needed (make one with bench/gen-corpus.ts)');
const corpus = values.corpus;
const work = values.work;
const rounds = Number(values.rounds);
const stateDir = join(work, 'state');
mkdirSync(work, { recursive: true });
if (!existsSync(join(work, 'habitat.yaml')))
  writeFileSync(join(work, 'habitat.yaml'), 'defaults: { timeout: 5m }\n');
const env = { ...process.env, HOME: join(work, 'home'), CLAUDE_CONFIG_DIR: corpus, NO_COLOR: '1' };
mkdirSync(env.HOME, { recursive: true });

/**
 * Run a command; wall time in ms, CPU time (user + system, GNU time's %U %S) in ms and peak RSS in MB (%M). CPU
 * time is what the other engineers' load on a shared machine disturbs least.
 */
function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): { ms: number; cpuMs: number; rssMB: number; out: string } {
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', cmd, ...args], {
    cwd: opts.cwd ?? work,
    env: opts.env ?? env,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const ms = performance.now() - t;
  if (r.status !== 0 && !(cmd === 'rg' && r.status === 1))
    throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  const [user, sys, rss] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  return {
    ms,
    cpuMs: Math.round(((user ?? 0) + (sys ?? 0)) * 1000),
    rssMB: Math.round((rss ?? 0) / 1024),
    out: r.stdout,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)] as number);
};
const baseCli = values['base-cli'] ? resolve(values['base-cli']) : undefined;
const baseEnv = { ...env, HABITAT_CACHE_DIR: join(work, 'cache-base') };
const habWith = (entry: string, ...args: string[]) => [
  entry,
  ...args,
  '--state-dir',
  stateDir,
  '--claude-dir',
  corpus,
  '--no-defaults',
];
const hab = (...args: string[]) => habWith(cli, ...args);
const result: Record<string, unknown> = {
  corpus,
  rounds,
  node: process.version,
  load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
};

if (!existsSync(join(stateDir, 'sessions.db'))) run(process.execPath, hab('sessions', 'index'));

/**
 * The rarest word the index holds (letters only, 5 or more): a rare term with hits, beside \`quetzalcoatl\`, which a
 * generated corpus does not hold at all (both tools then read everything and find nothing).
 */
function rarestTerm(): { term: string; events: number } {
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite');
  const db = new DatabaseSync(join(stateDir, 'sessions.db'), { readOnly: true });
  try {
    db.exec('CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, events_fts, row)');
    const row = db
      .prepare(
        "SELECT term, doc FROM temp.v WHERE term GLOB '[a-z][a-z][a-z][a-z][a-z]*' AND term NOT GLOB '*[^a-z]*' ORDER BY doc LIMIT 1",
      )
      .get() as { term: string; doc: number };
    return { term: row.term, events: row.doc };
  } finally {
    db.close();
  }
}
const rare = rarestTerm();
result.rareWithHits = rare;

type Pair = { name: string; baseline: [string, string[]]; habitat: [string, string[]] };
const pairs: Pair[] = [
  {
    name: 'node -e 0',
    baseline: [process.execPath, ['-e', '0']],
    habitat: [process.execPath, [cli, '--version']],
  },
  {
    name: 'search rare term',
    baseline: ['rg', ['-F', '-l', 'quetzalcoatl', corpus]],
    habitat: [process.execPath, hab('sessions', 'search', 'quetzalcoatl', '--json', '--limit', '20')],
  },
  {
    name: 'search rare term with hits',
    baseline: ['rg', ['-F', '-l', rare.term, corpus]],
    habitat: [process.execPath, hab('sessions', 'search', rare.term, '--json', '--limit', '20')],
  },
  {
    name: 'search common term',
    baseline: ['rg', ['-F', '-l', 'timeout', corpus]],
    habitat: [process.execPath, hab('sessions', 'search', 'timeout', '--json', '--limit', '20')],
  },
];
if (!values['skip-ccusage'])
  pairs.unshift({
    name: 'stats by day',
    baseline: [ccusage, ['daily', '--offline', '--json']],
    habitat: [process.execPath, hab('sessions', 'stats', '--by', 'day', '--json')],
  });

type Series = { baseline: number[]; habitat: number[]; base: number[] };
const times: Record<string, Series> = {};
const cpu: Record<string, Series> = {};
for (const p of pairs) {
  times[p.name] = { baseline: [], habitat: [], base: [] };
  cpu[p.name] = { baseline: [], habitat: [], base: [] };
}
/** The same habitat command through the --base-cli build (the first argument is the CLI entry). */
const runBase = (p: Pair) =>
  run(p.habitat[0], [baseCli as string, ...p.habitat[1].slice(1)], { env: baseEnv });
for (const p of pairs) {
  run(...p.baseline); // warm the page cache and the compile cache
  run(...p.habitat);
  if (baseCli) runBase(p);
}
for (let i = 0; i < rounds; i++)
  for (const p of pairs) {
    // the two builds swap places every round, so neither always runs right after the baseline
    const order = baseCli && i % 2 === 1 ? (['base', 'habitat'] as const) : (['habitat', 'base'] as const);
    const b = run(...p.baseline);
    times[p.name]?.baseline.push(b.ms);
    cpu[p.name]?.baseline.push(b.cpuMs);
    for (const which of order) {
      if (which === 'base' && !baseCli) continue;
      const r = which === 'base' ? runBase(p) : run(...p.habitat);
      times[p.name]?.[which].push(r.ms);
      cpu[p.name]?.[which].push(r.cpuMs);
    }
  }
const table: Record<string, unknown> = {};
for (const p of pairs) {
  const t = times[p.name] as Series;
  const b = median(t.baseline);
  const h = median(t.habitat);
  // CPU (user + sys, 10 ms resolution): what other processes' load disturbs least
  const c = cpu[p.name] as Series;
  table[p.name] = {
    baselineMs: b,
    habitatMs: h,
    ratio: Math.round((h / b) * 100) / 100,
    baselineCpuMs: median(c.baseline),
    habitatCpuMs: median(c.habitat),
    ...(baseCli && {
      baseCliMs: median(t.base),
      baseCliRatio: Math.round((median(t.base) / b) * 100) / 100,
      baseCliCpuMs: median(c.base),
      habitatToBaseCli: Math.round((h / median(t.base)) * 100) / 100,
    }),
  };
}
result.wholeProcess = table;
result.loadAfter = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

if (!values['skip-ccusage']) {
  // the same per-day totals
  const theirs = JSON.parse(run(ccusage, ['daily', '--offline', '--json']).out) as {
    daily: Array<Record<string, number | string>>;
  };
  const mine = JSON.parse(
    run(process.execPath, hab('sessions', 'stats', '--by', 'day', '--json')).out,
  ) as unknown;
  const rows = (Array.isArray(mine) ? mine : ((mine as { rows?: unknown[] }).rows ?? [])) as Array<
    Record<string, number | string>
  >;
  const pick = (d: Record<string, number | string>) =>
    [d.inputTokens, d.outputTokens, d.cacheReadTokens, d.cacheCreationTokens].join('/');
  const byDay = new Map(rows.map((d) => [String(d.key ?? d.day ?? d.date), pick(d)]));
  const differing = theirs.daily.filter((d) => byDay.get(String(d.period ?? d.date)) !== pick(d)).length;
  result.statsEqualCcusage = { days: theirs.daily.length, differing };
}

if (values.index) {
  const floorScript = parseFloorScript(corpus);
  const dists: Record<string, string> = { 'cold index': join(here, '..', 'dist', 'index.js') };
  if (values['base-dist']) dists['cold index (base)'] = values['base-dist'];
  const idx: Record<string, { ms: number[]; cpuMs: number[]; rssMB: number[] }> = {
    'JSON.parse floor': { ms: [], cpuMs: [], rssMB: [] },
  };
  for (const name of Object.keys(dists)) idx[name] = { ms: [], cpuMs: [], rssMB: [] };
  const cold = (dist: string) => {
    const dir = join(work, 'cold');
    rmSync(dir, { recursive: true, force: true });
    const script = join(work, 'cold.mjs');
    writeFileSync(
      script,
      `const m=await import(${JSON.stringify(dist)});m.indexSessions({dbPath:${JSON.stringify(join(dir, 'sessions.db'))},sources:{claude:[${JSON.stringify(corpus)}],defaults:false}});`,
    );
    return run(process.execPath, [script]);
  };
  const record = (name: string, r: { ms: number; cpuMs: number; rssMB: number }) => {
    idx[name]?.ms.push(r.ms);
    idx[name]?.cpuMs.push(r.cpuMs);
    idx[name]?.rssMB.push(r.rssMB);
  };
  for (let i = 0; i < rounds; i++) {
    record('JSON.parse floor', run(process.execPath, ['-e', floorScript]));
    for (const [name, dist] of Object.entries(dists)) record(name, cold(dist));
  }
  const floor = median(idx['JSON.parse floor']?.ms ?? []);
  const floorCpu = median(idx['JSON.parse floor']?.cpuMs ?? []);
  result.coldIndex = Object.fromEntries(
    Object.entries(idx).map(([k, v]) => [
      k,
      {
        ms: median(v.ms),
        ratioToFloor: Math.round((median(v.ms) / floor) * 10) / 10,
        cpuMs: median(v.cpuMs),
        cpuRatioToFloor: Math.round((median(v.cpuMs) / floorCpu) * 10) / 10,
        peakRssMB: Math.max(...v.rssMB),
      },
    ]),
  );
}
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
void execFileSync;
