/**
 * Where the database thread's time goes in a cold build, statement by statement: one cold build in a child process
 * whose better-sqlite3 statements (`run`/`get`/`all`, `exec`, `pragma`) are wrapped to add up this thread's CPU time
 * per SQL text, and the parser thread's, the helper threads' and the rest of the database thread's CPU from
 * `/proc/self/task`. Nothing in the package is changed for it; the wrapping costs ~0.5 µs a call (~0.3 s at 256 MB, in
 * the "JavaScript and waiting" line).
 *
 *   node packages/sessions/bench/cold-phases.ts --corpus /tmp/sb/corpus-256MB --work /tmp/cp [--threads 2] [--dist <dist/index.js>]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string' },
    work: { type: 'string' },
    threads: { type: 'string', default: '2' },
    dist: { type: 'string' },
  },
});
if (!values.corpus || !values.work) {
  process.stderr.write(
    'usage: cold-phases.ts --corpus <claude dir> --work <dir> [--threads 1|2] [--dist <dist/index.js>]\n',
  );
  process.exit(2);
}
const work = values.work;
mkdirSync(work, { recursive: true });
const dist = values.dist ?? join(import.meta.dirname, '..', 'dist', 'index.js');
// the package's own copy (by its real path, so the child's wrapping reaches the instance the index uses)
const sqlite = realpathSync(
  createRequire(join(import.meta.dirname, '..', 'package.json')).resolve('better-sqlite3'),
);

const child = `
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
const [dist, sqlite, db, corpus, threads] = process.argv.slice(2);
const Database = createRequire(import.meta.url)(sqlite);
const spent = new Map();
const cpu = () => { const c = process.threadCpuUsage(); return (c.user + c.system) / 1000; };
const label = (sql) => sql.replace(/\\s+/g, ' ').trim().slice(0, 70);
const wrap = (proto, name, sqlOf) => {
  const inner = proto[name];
  proto[name] = function (...args) {
    const t = cpu();
    try { return inner.apply(this, args); } finally {
      const k = label(sqlOf(this, args));
      const e = spent.get(k) ?? { ms: 0, calls: 0 };
      e.ms += cpu() - t; e.calls++; spent.set(k, e);
    }
  };
};
const probe = new Database(':memory:');
const Statement = Object.getPrototypeOf(probe.prepare('SELECT 1'));
for (const m of ['run', 'get', 'all']) wrap(Statement, m, (s) => s.source);
wrap(Database.prototype, 'exec', (_, [sql]) => sql);
wrap(Database.prototype, 'pragma', (_, [sql]) => 'PRAGMA ' + sql);
probe.close();
spent.clear();
const tick = 10; // ms per clock tick (USER_HZ 100)
const threadsCpu = () => {
  const out = { main: 0, parser: 0, helpers: 0 };
  for (const t of readdirSync('/proc/self/task')) {
    let stat, comm;
    try { stat = readFileSync('/proc/self/task/' + t + '/stat', 'utf8'); comm = readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim(); } catch { continue; }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (Number(f[11]) + Number(f[12])) * tick;
    if (comm === 'MainThread') out.main += ms; else if (comm === 'WorkerThread') out.parser += ms; else out.helpers += ms;
  }
  return out;
};
const m = await import(dist);
rmSync(db, { force: true });
let atLast;
const t0 = performance.now();
const c0 = process.cpuUsage();
const r = m.indexSessions({ dbPath: db, sources: { claude: [corpus], defaults: false }, threads: Number(threads),
  onProgress: (p) => { if (p.files === p.totalFiles) atLast = threadsCpu(); } });
const end = threadsCpu();
const c = process.cpuUsage(c0);
const cpuMs = Math.round((c.user + c.system) / 1000);
const statements = [...spent].sort((a, b) => b[1].ms - a[1].ms)
  .map(([sql, e]) => ({ sql, ms: Math.round(e.ms), calls: e.calls }));
const sqlMs = statements.reduce((a, s) => a + s.ms, 0);
process.stdout.write(JSON.stringify({ events: r.events, wallMs: Math.round(performance.now() - t0), cpuMs,
  parserCpuMs: Math.max(atLast.parser, cpuMs - end.main - end.helpers), databaseThreadMs: end.main,
  databaseTailMs: end.main - atLast.main, helpersMs: end.helpers, sqlMs, javascriptAndWaitingMs: end.main - sqlMs,
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), statements: statements.slice(0, 25) }) + '\\n');
`;
const script = join(work, 'cold-phases-child.mjs');
writeFileSync(script, child);
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const db = join(work, 'cold', 'sessions.db');
rmSync(join(work, 'cold'), { recursive: true, force: true });
mkdirSync(join(work, 'cold'), { recursive: true });
const before = load();
const r = spawnSync(process.execPath, [script, dist, sqlite, db, values.corpus, values.threads ?? '2'], {
  encoding: 'utf8',
  maxBuffer: 1 << 24,
});
if (r.status !== 0) throw new Error(r.stderr);
const row = JSON.parse(r.stdout.trim().split('\n').pop() as string);
process.stdout.write(`${JSON.stringify({ load: before, loadAfter: load(), ...row }, null, 2)}\n`);
