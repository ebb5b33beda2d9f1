/**
 * Redaction throughput of this build against another, interleaved round by round (medians and ratio).
 *
 *   node packages/sessions/bench/redact.ts --corpus <dir of .jsonl> --base-dist <other build's dist/index.js> [--rounds 5]
 *
 * Every text a transcript holds in the places the index redacts (prompt and block text, thinking, tool input JSON,
 * tool result text) is redacted once per round by each build, in the same order; the builds alternate each round
 * so load on a shared machine falls on both. The base build must sit inside this package (e.g.
 * `packages/sessions/.base/dist`) so its imports resolve. Also prints how many secrets each build redacted.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileTexts, jsonlFiles } from './corpus-texts.ts';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string' },
    'base-dist': { type: 'string' },
    rounds: { type: 'string', default: '5' },
  },
});
if (!values.corpus || !values['base-dist']) {
  process.stderr.write('usage: redact.ts --corpus <dir> --base-dist <dist/index.js> [--rounds 5]\n');
  process.exit(2);
}

const texts: string[] = [];
for (const file of jsonlFiles(resolve(values.corpus))) texts.push(...fileTexts(file));

type Mod = { createRedactor: () => { redact: (t: string) => { count: number } } };
const builds: Record<string, Mod> = {
  base: await import(resolve(values['base-dist'])),
  this: await import(resolve(import.meta.dirname, '..', 'dist', 'index.js')),
};
const chars = texts.reduce((a, t) => a + t.length, 0);
const times: Record<string, number[]> = { base: [], this: [] };
// CPU time of this process too: on a shared machine the wall clock measures the neighbours as much as the code
const cpu: Record<string, number[]> = { base: [], this: [] };
const rounds = Number(values.rounds);
for (let round = 0; round < rounds; round++)
  for (const name of round % 2 ? ['this', 'base'] : ['base', 'this']) {
    const { redact } = (builds[name] as Mod).createRedactor();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let n = 0;
    for (const t of texts) n += redact(t).count;
    (times[name] as number[]).push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    (cpu[name] as number[]).push((c.user + c.system) / 1000);
    if (round === 0) process.stdout.write(`${name}: ${n} redactions\n`);
  }
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1] as number;
const b = median(times.base as number[]);
const t = median(times.this as number[]);
const bc = median(cpu.base as number[]);
const tc = median(cpu.this as number[]);
process.stdout.write(
  `${texts.length} texts, ${(chars / 1e6).toFixed(1)} MB, ${rounds} rounds, medians: wall base ${b.toFixed(0)} ms (${(chars / 1e3 / b).toFixed(1)} MB/s), this ${t.toFixed(0)} ms (${(chars / 1e3 / t).toFixed(1)} MB/s), ratio ${(t / b).toFixed(2)}; CPU base ${bc.toFixed(0)} ms, this ${tc.toFixed(0)} ms, ratio ${(tc / bc).toFixed(2)}\n`,
);
