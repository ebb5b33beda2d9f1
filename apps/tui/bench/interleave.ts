// Baseline and candidate TUI builds under the firehose, alternated round by round (bench/firehose.ts each
// time), with the medians and the candidate/baseline ratios at the end. The baseline is another build's dist,
// e.g. main's copied under node_modules/ so its imports resolve:
//
//   cp -r apps/tui/dist apps/tui/node_modules/.old-dist      # on the commit to compare against
//   node apps/tui/bench/interleave.ts --rounds 3 --baseline node_modules/.old-dist/index.js -- --seconds 60
//
// HABITAT_BENCH_LOCK=<file>: each run takes `flock <file>` (a shared machine's benchmark lock).
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    baseline: { type: 'string' },
  },
  allowPositionals: true,
});
if (!values.baseline) throw new Error('--baseline <path to another build of dist/index.js> is required');
const FIREHOSE = path.join(import.meta.dirname, 'firehose.ts');
const builds = [
  { name: 'baseline', tui: path.resolve(values.baseline) },
  { name: 'candidate', tui: path.resolve(import.meta.dirname, '../dist/index.js') },
];

interface Report {
  subscriptions: number;
  cpuPercentOfOneCore: number;
  newestLineAgeMs: { p50: number | null; p95: number | null };
  rssMb: { first: number; last: number; max: number; slopeLastHalfMbPerMin: number };
}
const results: Record<string, Report[]> = { baseline: [], candidate: [] };
for (let round = 1; round <= Number(values.rounds); round++) {
  for (const b of round % 2 ? builds : [...builds].reverse()) {
    const lock = process.env.HABITAT_BENCH_LOCK;
    const cmd = [process.execPath, FIREHOSE, ...positionals];
    const out = execFileSync(lock ? 'flock' : cmd[0]!, lock ? [lock, ...cmd] : cmd.slice(1), {
      encoding: 'utf8',
      env: { ...process.env, HABITAT_BENCH_TUI: b.tui },
      maxBuffer: 16 * 1024 * 1024,
    });
    const r = JSON.parse(out.slice(0, out.indexOf('\nlast screen:'))) as Report;
    results[b.name]!.push(r);
    process.stdout.write(
      `round ${round} ${b.name.padEnd(9)} load ${loadavg()[0]!.toFixed(1)}: cpu ${r.cpuPercentOfOneCore}%, RSS ${r.rssMb.first} -> ${r.rssMb.last} MB (max ${r.rssMb.max}, last half ${r.rssMb.slopeLastHalfMbPerMin} MB/min), newest line p50/p95 ${r.newestLineAgeMs.p50}/${r.newestLineAgeMs.p95} ms, subscriptions ${r.subscriptions}\n`,
    );
  }
}
const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const figures: [string, (r: Report) => number][] = [
  ['cpu % of a core', (r) => r.cpuPercentOfOneCore],
  ['RSS last MB', (r) => r.rssMb.last],
  ['RSS growth MB', (r) => r.rssMb.last - r.rssMb.first],
  ['RSS slope, last half, MB/min', (r) => r.rssMb.slopeLastHalfMbPerMin],
  ['newest line p95 ms', (r) => r.newestLineAgeMs.p95 ?? Number.NaN],
];
for (const [name, f] of figures) {
  const base = median(results.baseline!.map(f));
  const cand = median(results.candidate!.map(f));
  process.stdout.write(
    `median ${name}: baseline ${base}, candidate ${cand}, ratio ${(cand / base).toFixed(2)}\n`,
  );
}
