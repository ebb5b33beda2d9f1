/**
 * Benchmark the session index against ccusage and plain baselines on a generated corpus.
 *
 *   node packages/sessions/bench/bench.ts [--size 256MB] [--files 600] [--dir /tmp/habitat-bench] [--skip-ccusage]
 *
 * Needs `pnpm --filter @habitat/sessions build` first (imports dist/). Prints one JSON object with every figure.
 * Cold index runs in a child process so its peak RSS is its own.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, globSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateCorpus, parseSize } from './gen-corpus.ts';

const here = import.meta.dirname;
const pkg = join(here, '..');
const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '256MB' },
    files: { type: 'string', default: '600' },
    dir: { type: 'string', default: '/tmp/habitat-bench' },
    'skip-ccusage': { type: 'boolean', default: false },
    'child-index': { type: 'string' },
  },
});

if (values['child-index']) {
  // child mode: one cold or warm index pass, report time and peak RSS
  const { indexSessions } = await import(join(pkg, 'dist', 'index.js'));
  const [corpus, db] = values['child-index'].split('::');
  const t = performance.now();
  const r = indexSessions({ dbPath: db, sources: { claude: [corpus], defaults: false } });
  process.stdout.write(
    JSON.stringify({
      ms: Math.round(performance.now() - t),
      events: r.events,
      maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
  process.exit(0);
}

const bytes = parseSize(values.size);
const corpus = join(values.dir, `corpus-${values.size}-${values.files}`);
const db = join(values.dir, `sessions-${values.size}.db`);
const ms = (t: number) => Math.round((performance.now() - t) * 10) / 10;
const out: Record<string, unknown> = { size: values.size };

if (!existsSync(corpus)) generateCorpus({ out: corpus, bytes, files: Number(values.files), seed: 1 });
const files = globSync('projects/**/*.jsonl', { cwd: corpus }).map((f) => join(corpus, f));
out.files = files.length;
out.corpusMB = Math.round(files.reduce((n, f) => n + statSync(f).size, 0) / 1024 ** 2);

// baseline: plain single-threaded parse of every line
{
  const t = performance.now();
  let lines = 0;
  for (const f of files)
    for (const line of readFileSync(f, 'utf8').split('\n'))
      if (line) {
        JSON.parse(line);
        lines++;
      }
  out.plainParseMs = ms(t);
  out.lines = lines;
}

// ccusage daily (it re-parses everything on every call)
const ccusage = join(pkg, 'node_modules', '.bin', 'ccusage');
if (!values['skip-ccusage']) {
  const env = { ...process.env, CLAUDE_CONFIG_DIR: corpus, HOME: join(values.dir, 'home') };
  execFileSync(ccusage, ['daily', '--offline', '--json'], { env }); // warm the page cache
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    execFileSync(ccusage, ['daily', '--offline', '--json'], { env, maxBuffer: 1 << 26 });
    runs.push(ms(t));
  }
  out.ccusageDailyMs = Math.min(...runs);
}

// cold index in a child process
for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
const child = (arg: string) =>
  JSON.parse(execFileSync(process.execPath, [join(here, 'bench.ts'), '--child-index', arg]).toString());
out.coldIndex = child(`${corpus}::${db}`);
out.dbMB = Math.round(statSync(db).size / 1024 ** 2);

const { indexSessions, openSessionIndex } = await import(join(pkg, 'dist', 'index.js'));
const sources = { claude: [corpus], defaults: false };
{
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    indexSessions({ dbPath: db, sources });
    runs.push(ms(t));
  }
  out.reindexUnchangedMs = Math.min(...runs);
}
{
  // append one realistic turn (a prompt and a split assistant message) to one session
  const target = files[Math.floor(files.length / 2)] as string;
  const lines = readFileSync(target, 'utf8').split('\n').filter(Boolean).slice(1, 12);
  const t0 = performance.now();
  appendFileSync(target, `${lines.join('\n')}\n`);
  const t = performance.now();
  const r = indexSessions({ dbPath: db, sources });
  out.appendOneSessionMs = ms(t);
  out.appendReport = { appended: r.appended, events: r.events };
  void t0;
}

const index = openSessionIndex(db);
{
  const runs: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    index.stats({ by: 'day' });
    runs.push(ms(t));
  }
  out.statsByDayMs = Math.min(...runs);
  const cli = join(pkg, '..', '..', 'apps', 'cli', 'dist', 'index.js');
  if (existsSync(cli)) {
    const stateDir = join(values.dir, 'state');
    // the CLI wants a coordinator (a habitat.yaml) where it runs
    if (!existsSync(join(values.dir, 'habitat.yaml')))
      writeFileSync(join(values.dir, 'habitat.yaml'), 'defaults: { timeout: 5m }\n');
    const cliRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      execFileSync(
        process.execPath,
        [cli, 'sessions', 'stats', '--by', 'day', '--json', '--state-dir', stateDir, '--claude-dir', corpus],
        { cwd: values.dir },
      );
      cliRuns.push(ms(t));
    }
    out.statsByDayCliMs = Math.min(...cliRuns.slice(1));
  }
}
{
  const queries = [
    'docker',
    'timeout',
    'function',
    'error build',
    'docker container timeout',
    'retry backoff schedule',
    'flaky snapshot',
    'migration',
    'the',
    'zzzz missing',
    'sess*',
    '"quoted phrase"',
  ];
  const times: number[] = [];
  const perQuery = new Map<string, number[]>();
  for (let round = 0; round < 5; round++)
    for (const q of queries) {
      const t = performance.now();
      index.search(q, { limit: 20 });
      const took = ms(t);
      times.push(took);
      perQuery.set(q, [...(perQuery.get(q) ?? []), took]);
    }
  times.sort((a, b) => a - b);
  out.search = {
    p50Ms: times[Math.floor(times.length * 0.5)],
    p95Ms: times[Math.floor(times.length * 0.95)],
    maxMs: times[times.length - 1],
    // the median of each query: the p95 is the slowest query's typical time
    perQueryMedianMs: Object.fromEntries(
      [...perQuery].map(([q, xs]) => [q, [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]]),
    ),
  };
}
index.close();
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
