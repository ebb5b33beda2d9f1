/**
 * Where a cold build's time goes per thread: each build runs in a child process; at its last file (the parser thread
 * has posted everything) and at its end, the CPU time of every thread from `/proc/self/task/<tid>/stat`, so the
 * database thread's tail after the parsing can be told from the overlap. With `--base-dist` a second build (the
 * baseline) is interleaved round by round. Prints one JSON line per build and the medians.
 *
 *   node packages/sessions/bench/cold-threads.ts --corpus /tmp/sb/corpus-256MB --work /tmp/ct [--rounds 3] \
 *     [--threads 2] [--base-dist <another build's packages/sessions/dist/index.js>]
 *
 * On an idle machine the wall time of a two-thread build is about max(parser, database thread during parsing) +
 * the database thread's tail; the columns are those three.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string' },
    work: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    'base-dist': { type: 'string' },
  },
});
if (!values.corpus || !values.work) {
  process.stderr.write(
    'usage: cold-threads.ts --corpus <claude dir> --work <dir> [--rounds 3] [--threads 1|2] [--base-dist <dist/index.js>]\n',
  );
  process.exit(2);
}
const work = values.work;
mkdirSync(work, { recursive: true });
const builds: Record<string, string> = {
  'this build': join(import.meta.dirname, '..', 'dist', 'index.js'),
};
if (values['base-dist']) builds.baseline = values['base-dist'];

// the child: one cold build, thread CPU read at the last file and at the end (the parser thread is gone by then)
const child = `
import { readdirSync, readFileSync, rmSync } from 'node:fs';
const [dist, db, corpus, threads] = process.argv.slice(2);
const m = await import(dist);
const tick = 10; // ms per clock tick (USER_HZ 100)
const cpu = () => {
  const out = { main: 0, parser: 0, gc: 0 };
  for (const t of readdirSync('/proc/self/task')) {
    let stat, comm;
    try { stat = readFileSync('/proc/self/task/' + t + '/stat', 'utf8'); comm = readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim(); } catch { continue; }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (Number(f[11]) + Number(f[12])) * tick;
    if (comm === 'MainThread') out.main += ms; else if (comm === 'WorkerThread') out.parser += ms; else out.gc += ms;
  }
  return out;
};
rmSync(db, { force: true });
let last, lastMs;
const t0 = performance.now();
const c0 = process.cpuUsage();
const r = m.indexSessions({ dbPath: db, sources: { claude: [corpus], defaults: false }, threads: Number(threads),
  onProgress: (p) => { if (p.files === p.totalFiles) { last = cpu(); lastMs = performance.now() - t0; } } });
const end = cpu();
const c = process.cpuUsage(c0);
const cpuMs = Math.round((c.user + c.system) / 1000);
// the parser thread has often ended by the last file's progress: its CPU is what the other threads leave
process.stdout.write(JSON.stringify({ events: r.events, wallMs: Math.round(performance.now() - t0),
  cpuMs, lastFileMs: Math.round(lastMs), parserCpuMs: Math.max(last.parser, cpuMs - end.main - end.gc),
  dbCpuAtLastFileMs: last.main, dbTailCpuMs: end.main - last.main, gcThreadsCpuMs: end.gc,
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }) + '\\n');
`;
const script = join(work, 'cold-threads-child.mjs');
writeFileSync(script, child);

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const runs: Record<string, Array<Record<string, number>>> = {};
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [name, dist] of Object.entries(builds)) {
    const before = load();
    const db = join(work, 'cold', 'sessions.db');
    rmSync(join(work, 'cold'), { recursive: true, force: true });
    mkdirSync(join(work, 'cold'), { recursive: true });
    const r = spawnSync(process.execPath, [script, dist, db, values.corpus, values.threads ?? '2'], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
    const row = JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, number>;
    process.stdout.write(`${JSON.stringify({ round, build: name, load: before, ...row })}\n`);
    runs[name] = [...(runs[name] ?? []), row];
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const medians = Object.fromEntries(
  Object.entries(runs).map(([name, rows]) => [
    name,
    Object.fromEntries(Object.keys(rows[0] ?? {}).map((k) => [k, median(rows.map((r) => r[k] as number))])),
  ]),
);
process.stdout.write(`${JSON.stringify({ medians, loadAfter: load() }, null, 2)}\n`);
