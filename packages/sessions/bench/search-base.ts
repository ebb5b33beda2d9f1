/**
 * Search time of this build against another build (a baseline), on the same index, interleaved round by round
 * (the order flips every round), for queries of two or more words: those are where the fallback stages run.
 *
 *   node packages/sessions/bench/search-base.ts --base /path/to/base/packages/sessions/dist/index.js \
 *     --db /tmp/habitat-bench/sessions.db [--rounds 7]
 *
 * Make the index with bench.ts or gen-corpus.ts + `habitat sessions index`; a base build is this package built
 * at the commit to compare with (copy its dist/ inside this package so better-sqlite3 resolves). Prints medians
 * per build, the ratio, and the machine's load.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    db: { type: 'string' },
    rounds: { type: 'string', default: '7' },
  },
});
if (!values.base || !values.db) {
  process.stderr.write('usage: search-base.ts --base <base dist/index.js> --db <sessions.db> [--rounds 7]\n');
  process.exit(2);
}
type Lib = typeof import('../src/index.js');
const base = (await import(values.base)) as Lib;
const cand = (await import(join(import.meta.dirname, '..', 'dist', 'index.js'))) as Lib;
const queries = [
  'zzzz missing',
  'docker kubernetes',
  'rate limit',
  'timeout quetzal',
  'flaky snapshot',
  'error build',
];
const a = base.openSessionIndex(values.db);
const b = cand.openSessionIndex(values.db);
const times: { base: number[]; cand: number[] } = { base: [], cand: [] };
for (let round = 0; round < Number(values.rounds); round++)
  for (const q of queries)
    for (const [ix, t] of round % 2
      ? ([
          [a, times.base],
          [b, times.cand],
        ] as const)
      : ([
          [b, times.cand],
          [a, times.base],
        ] as const)) {
      const start = performance.now();
      ix.search(q, { limit: 20 });
      t.push(performance.now() - start);
    }
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
process.stdout.write(
  `${JSON.stringify(
    {
      baseMedianMs: Number(median(times.base).toFixed(2)),
      candidateMedianMs: Number(median(times.cand).toFixed(2)),
      ratio: Number((median(times.cand) / median(times.base)).toFixed(2)),
      load: loadavg().map((l) => Number(l.toFixed(2))),
      modes: Object.fromEntries(queries.map((q) => [q, [a.search(q).mode, b.search(q).mode]])),
    },
    null,
    2,
  )}\n`,
);
a.close();
b.close();
