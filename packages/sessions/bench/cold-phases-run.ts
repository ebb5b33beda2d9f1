/**
 * One cold build in a child process whose better-sqlite3 statements (`run`/`get`/`all`, `exec`, `pragma`) are
 * wrapped to add up the database thread's CPU time per SQL text, with the parser thread's, the helper threads' and
 * the rest of the database thread's CPU from `/proc/self/task`. Used by `cold-phases.ts` (one build, every figure)
 * and `cold-bound.ts` (rounds beside the parse floor). Nothing in the package is changed for it; the wrapping costs
 * ~0.5 µs a call (~0.3 s at 256 MB, in the "JavaScript and waiting" line), and what of it falls inside a measured
 * call is calibrated on a no-op and taken off in `sqlNetMs`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export type ColdPhases = {
  load: string;
  loadAfter: string;
  events: number;
  wallMs: number;
  cpuMs: number;
  parserCpuMs: number;
  databaseThreadMs: number;
  databaseTailMs: number;
  helpersMs: number;
  /** CPU of the database thread inside SQLite's statements, every statement of the build */
  sqlMs: number;
  sqlCalls: number;
  /** the wrapper's own CPU inside one measured call, µs (calibrated on a no-op) */
  wrapperUs: number;
  /** sqlMs less sqlCalls x wrapperUs */
  sqlNetMs: number;
  javascriptAndWaitingMs: number;
  writtenMB: number;
  peakRssMB: number;
  statements: Array<{ sql: string; ms: number; sysMs: number; calls: number }>;
};

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
const label = (sql) => sql.replace(/\\s+/g, ' ').trim().slice(0, 70);
const wrap = (proto, name, sqlOf) => {
  const inner = proto[name];
  proto[name] = function (...args) {
    const c0 = process.threadCpuUsage();
    try { return inner.apply(this, args); } finally {
      const c = process.threadCpuUsage(c0);
      const k = label(sqlOf(this, args));
      const e = spent.get(k) ?? { ms: 0, sysMs: 0, calls: 0 };
      // system time apart: the kernel's share (writing pages out, faults) is what the machine's state moves most
      e.ms += (c.user + c.system) / 1000; e.sysMs += c.system / 1000; e.calls++; spent.set(k, e);
    }
  };
};
const probe = new Database(':memory:');
const Statement = Object.getPrototypeOf(probe.prepare('SELECT 1'));
for (const m of ['run', 'get', 'all']) wrap(Statement, m, (s) => s.source);
wrap(Database.prototype, 'exec', (_, [sql]) => sql);
wrap(Database.prototype, 'pragma', (_, [sql]) => 'PRAGMA ' + sql);
probe.close();
// what the wrapping itself puts inside each measured call (two thread-CPU reads, the label, the map update), measured
// on a no-op; sqlNetMs takes it off every statement call so a lower bound built on it is not inflated by the wrapper
const noop = { f() {} };
wrap(noop, 'f', () => 'calibrate');
for (let i = 0; i < 200000; i++) noop.f();
const cal = spent.get('calibrate');
const wrapperUs = (cal.ms * 1000) / cal.calls;
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
  .map(([sql, e]) => ({ sql, ms: Math.round(e.ms), sysMs: Math.round(e.sysMs), calls: e.calls }));
const sqlMs = statements.reduce((a, s) => a + s.ms, 0);
const sqlCalls = statements.reduce((a, s) => a + s.calls, 0);
process.stdout.write(JSON.stringify({ events: r.events, wallMs: Math.round(performance.now() - t0), cpuMs,
  parserCpuMs: Math.max(atLast.parser, cpuMs - end.main - end.helpers), databaseThreadMs: end.main,
  databaseTailMs: end.main - atLast.main, helpersMs: end.helpers, sqlMs, sqlCalls, wrapperUs: Math.round(wrapperUs * 1000) / 1000,
  sqlNetMs: Math.round(sqlMs - (sqlCalls * wrapperUs) / 1000), javascriptAndWaitingMs: end.main - sqlMs,
  // bytes handed to write(2)/pwrite(2) by the whole process: what the page cache had to copy (the kernel's share)
  writtenMB: Math.round(Number(/wchar: (\\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))[1]) / 1048576),
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), statements: statements.slice(0, 25) }) + '\\n');
`;

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** One cold build of `corpus` by the build at `dist` (its dist/index.js) into `<work>/cold/sessions.db`. */
export function runColdPhases(o: {
  dist: string;
  corpus: string;
  work: string;
  threads?: string;
  env?: NodeJS.ProcessEnv;
}): ColdPhases {
  mkdirSync(o.work, { recursive: true });
  const script = join(o.work, 'cold-phases-child.mjs');
  writeFileSync(script, child);
  const db = join(o.work, 'cold', 'sessions.db');
  rmSync(join(o.work, 'cold'), { recursive: true, force: true });
  mkdirSync(join(o.work, 'cold'), { recursive: true });
  const before = load();
  const r = spawnSync(process.execPath, [script, o.dist, sqlite, db, o.corpus, o.threads ?? '2'], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    env: o.env ?? process.env,
  });
  if (r.status !== 0) throw new Error(`cold build of ${o.corpus} by ${o.dist}: ${r.stderr}`);
  const row = JSON.parse(r.stdout.trim().split('\n').pop() as string);
  return { load: before, loadAfter: load(), ...row };
}
