// Fits the brief's model (src/brief-model.ts) on the eval's TUNING half only: a logistic regression over the
// features of every hit the brief's searches return (label: the hit is a relevant learning of the query; every hit
// of a no-answer query is a negative), L2-regularised, standardised features. The probability cut is chosen from
// out-of-fold predictions (5 folds by query) so it is not fitted on the same queries it is judged on: the highest
// answer-present with no-answer false briefs <= MAX_FALSE. `--write` rewrites src/brief-coefficients.ts.
// Run: `node eval/fit-brief.ts [--write]` after `turbo run build --filter=@habitat/knowledge`.
import { writeFileSync } from 'node:fs';
import {
  BRIEF_FEATURES,
  type BriefFeature,
  briefFeatures,
  type DenseProfile,
  denseProfile,
  EmbeddingRetriever,
  passagesOf,
  searchKnowledge,
} from '@habitat/knowledge';
import { index, type Query, queries, splitOf, toDataset } from './base.ts';
import { QPP_FEATURES, type QppFeature, qppFeatures, sentenceScorer } from './qpp.ts';

/** The no-answer false-brief rate the cut may reach on the tuning half (the target is 0.10: keep a margin). */
const MAX_FALSE = 0.07;
let L2 = Number(process.argv[process.argv.indexOf('--l2') + 1]) || 0.3;
/** The shipped model's features and the eval-only query-performance predictors (eval/qpp.ts). */
type Feature = BriefFeature | QppFeature;
let use = (
  process.argv.includes('--features')
    ? process.argv[process.argv.indexOf('--features') + 1]!.split(',')
    : BRIEF_FEATURES
) as Feature[];
if (process.argv.includes('--write')) {
  const extra = use.filter((f) => QPP_FEATURES.includes(f as QppFeature));
  if (extra.length)
    throw new Error(
      `--write: ${extra.join(', ')} are eval-only features (eval/qpp.ts) that the shipped search does not compute; fit without them`,
    );
}

interface Row {
  q: Query;
  x: number[];
  y: number;
  /** sample weight: an unrelated hit beside the answer costs tokens, not a wrong brief (NEG_WEIGHT) */
  s: number;
}
/**
 * Weight of an irrelevant hit of an answerable query. The brief's failures are a missing answer and a brief for a
 * task nothing fits; a bystander next to the answer is cheaper, and at full weight the model only learns "the top
 * hit is relevant", which every no-answer query also has.
 */
let NEG_WEIGHT = Number(process.argv[process.argv.indexOf('--neg') + 1]) || 0.2;
// `--tune2`, `--tune3`: the added tuning queries (eval/tune2-queries.json, tune3-queries.json) too; never a
// held-out set.
const tune = queries.filter(
  (q) =>
    splitOf(q.id) === 'tune' ||
    (process.argv.includes('--tune2') && splitOf(q.id) === 'tune2') ||
    (process.argv.includes('--tune3') && splitOf(q.id) === 'tune3'),
);
// `--embeddings auto`: the dense features too, from the real model of eval/embed-server.ts (the tuning queries
// only are embedded); `--write` then writes the hybrid brief's model, src/brief-coefficients-dense.ts.
const dense = process.argv.includes('--embeddings');
let profileOf: (passage: string) => Promise<DenseProfile | undefined> = async () => undefined;
let closeServer: (() => Promise<void>) | undefined;
let sentencesOf: (passage: string) => Promise<DenseProfile | undefined> = async () => undefined;
if (dense) {
  const { missing, startEmbedServer } = await import('./embed-server.ts');
  const why = missing();
  if (why) throw new Error(why);
  const server = await startEmbedServer({ cache: true });
  closeServer = server.close;
  const retriever = new EmbeddingRetriever(index, {
    url: server.url,
    model: server.model,
    timeoutMs: 600_000,
  });
  await retriever.refresh();
  profileOf = async (p) => denseProfile(await retriever.nearestScored(p, Number.POSITIVE_INFINITY));
  if (process.argv.includes('--sentences')) {
    // eval-only: each learning's sentences embedded on their own (eval/qpp.ts, denseSentZ / denseSentFirst)
    const score = await sentenceScorer(index, server.url, server.model);
    sentencesOf = async (p) => denseProfile(await score(p));
  }
}
// Every hit of every passage search the brief would make, with all features (a model uses some of them).
const all: { q: Query; f: Record<Feature, number>; y: number }[] = [];
for (const q of tune)
  for (const passage of passagesOf(q.query)) {
    const hits = searchKnowledge(index, passage, { limit: 12, project: q.project });
    const profile = await profileOf(passage);
    const qpp = qppFeatures(index, passage, hits, profile, await sentencesOf(passage));
    hits.forEach((h, i) => {
      const id = toDataset([h.learning.id])[0]!;
      all.push({
        q,
        f: { ...briefFeatures(hits, i, profile), ...qpp[i]! },
        y: q.relevant.includes(id) ? 1 : 0,
      });
    });
  }
await closeServer?.();
let rows: Row[] = [];
const makeRows = () => {
  rows = all.map(({ q, f, y }) => ({
    q,
    x: use.map((k) => f[k]),
    y,
    s: y === 1 || q.kind === 'none' ? 1 : NEG_WEIGHT,
  }));
};

function fit(train: Row[]): { w: number[]; b: number } {
  const d = use.length;
  const total = train.reduce((a, r) => a + r.s, 0);
  const mean = use.map((_, j) => train.reduce((a, r) => a + r.x[j]!, 0) / train.length);
  const sd = use.map(
    (_, j) => Math.sqrt(train.reduce((a, r) => a + (r.x[j]! - mean[j]!) ** 2, 0) / train.length) || 1,
  );
  const z = train.map((r) => r.x.map((v, j) => (v - mean[j]!) / sd[j]!));
  const w = new Array<number>(d).fill(0);
  let b = 0;
  // Plain gradient descent: a few hundred rows, a handful of features; no library needed.
  for (let it = 0; it < 3000; it++) {
    const gw = new Array<number>(d).fill(0);
    let gb = 0;
    for (const [k, r] of train.entries()) {
      const p = 1 / (1 + Math.exp(-(b + w.reduce((a, wj, j) => a + wj * z[k]![j]!, 0))));
      const e = (p - r.y) * r.s;
      gb += e;
      for (let j = 0; j < d; j++) gw[j]! += e * z[k]![j]!;
    }
    for (let j = 0; j < d; j++) w[j]! -= 0.5 * (gw[j]! / total + (L2 * w[j]!) / total);
    b -= 0.5 * (gb / total);
  }
  // Back to raw units, so the shipped model needs no scaler.
  const raw = w.map((wj, j) => wj / sd[j]!);
  return { w: raw, b: b - raw.reduce((a, rj, j) => a + rj * mean[j]!, 0) };
}
const prob = (m: { w: number[]; b: number }, x: number[]) =>
  1 / (1 + Math.exp(-(m.b + m.w.reduce((a, wj, j) => a + wj * x[j]!, 0))));

function select(verbose: boolean) {
  makeRows();
  // Out-of-fold probabilities: each query's hits scored by a model fitted without that query.
  const fold = (q: Query) => {
    let h = 7;
    for (const c of q.id) h = (h * 31 + c.charCodeAt(0)) % 1_000_003;
    return h % 5;
  };
  const oof = new Map<Row, number>();
  for (let k = 0; k < 5; k++) {
    const m = fit(rows.filter((r) => fold(r.q) !== k));
    for (const r of rows.filter((r) => fold(r.q) === k)) oof.set(r, prob(m, r.x));
  }

  function rates(p: (r: Row) => number, cut: number) {
    const present: boolean[] = [];
    const falseBrief: boolean[] = [];
    for (const q of tune) {
      const mine = rows.filter((r) => r.q === q && p(r) >= cut);
      if (q.kind === 'none') falseBrief.push(mine.length > 0);
      else present.push(mine.some((r) => r.y === 1));
    }
    const rate = (xs: boolean[]) => xs.filter(Boolean).length / xs.length;
    return { present: rate(present), falseBrief: rate(falseBrief) };
  }

  // The out-of-fold curve at a few false-brief levels: models compared at the same false-brief rate, not at
  // whichever cut each one's rule picks.
  // `--curve 0.1,0.3`: other levels (e.g. the shipped model's own false-brief rate on the tuning data)
  const levels = process.argv.includes('--curve')
    ? process.argv[process.argv.indexOf('--curve') + 1]!.split(',').map(Number)
    : [0.1, 0.15, 0.2];
  const curve = levels.map((at) => {
    let best = 0;
    for (let cut = 0.05; cut <= 0.95; cut += 0.0125) {
      const r = rates((row) => oof.get(row)!, cut);
      if (r.falseBrief <= at + 1e-9) best = Math.max(best, r.present);
    }
    return `${best.toFixed(3)}@${at}`;
  });
  let chosen = { cut: 0.5, present: 0, falseBrief: 1, rule: `false briefs <= ${MAX_FALSE}` };
  let youden = { cut: 0.5, present: 0, falseBrief: 1 };
  if (verbose)
    console.log(
      `features ${use.join(',')} · L2 ${L2} · negatives beside an answer ×${NEG_WEIGHT} · ${rows.length} hits of ${tune.length} tuning queries`,
    );
  for (let cut = 0.05; cut <= 0.9; cut += 0.025) {
    const r = rates((row) => oof.get(row)!, cut);
    if (verbose)
      console.log(
        `cut ${cut.toFixed(3)}: out-of-fold answer-present ${r.present.toFixed(3)} false briefs ${r.falseBrief.toFixed(3)}`,
      );
    if (r.falseBrief <= MAX_FALSE && r.present > chosen.present)
      chosen = { ...chosen, cut: +cut.toFixed(3), ...r };
    if (r.present - r.falseBrief > youden.present - youden.falseBrief)
      youden = { cut: +cut.toFixed(3), ...r };
  }
  // No cut reaches MAX_FALSE (the larger tuning set, tune2, is harder): the one with the best answer-present
  // minus false briefs.
  if (chosen.present === 0) chosen = { ...youden, rule: 'the best answer-present minus false briefs' };
  const model = fit(rows);
  const inSample = rates((row) => prob(model, row.x), chosen.cut);
  if (verbose)
    console.log(
      `chosen cut ${chosen.cut}: out-of-fold ${chosen.present.toFixed(3)} / ${chosen.falseBrief.toFixed(3)}; in-sample ${inSample.present.toFixed(3)} / ${inSample.falseBrief.toFixed(3)}`,
    );
  const weights = Object.fromEntries(BRIEF_FEATURES.map((f) => [f, 0])) as Record<BriefFeature, number>;
  use.forEach((f, j) => {
    if (f in weights) weights[f as BriefFeature] = +model.w[j]!.toFixed(4);
  });
  if (verbose) console.log(JSON.stringify({ weights, bias: +model.b.toFixed(4) }));

  return { chosen, model, inSample, weights, curve };
}

if (process.argv.includes('--grid')) {
  // Feature sets, L2 and the weight of bystanders, compared out of fold (tuning half only).
  // `--sets a,b;c,d`: these feature sets instead of the list below
  const given = process.argv.includes('--sets')
    ? process.argv[process.argv.indexOf('--sets') + 1]!.split(';')
    : undefined;
  const sets = given ?? [
    'evidence,matched,gap,own,org,unknown',
    'evidence,matched,relScore,gap,own,org,unknown',
    ...(dense
      ? [
          'evidence,matched,gap,own,org,unknown,denseZ',
          'evidence,matched,gap,own,org,unknown,denseZ,denseFirst',
          'evidence,matched,relScore,gap,own,org,unknown,denseZ,denseFirst',
          'evidence,matched,own,org,denseZ,denseFirst',
        ]
      : []),
    'evidence,titleEvidence,matched,relScore,gap,own,org,unknown',
  ];
  for (const set of sets)
    for (const neg of [0.05, 0.2])
      for (const l2 of [3]) {
        use = set.split(',') as Feature[];
        NEG_WEIGHT = neg;
        L2 = l2;
        const { chosen, inSample, curve } = select(false);
        console.log(
          `${set.padEnd(52)} neg ${neg} L2 ${l2}: cut ${chosen.cut} out-of-fold ${chosen.present.toFixed(3)} / ${chosen.falseBrief.toFixed(3)} · in-sample ${inSample.present.toFixed(3)} / ${inSample.falseBrief.toFixed(3)} · out-of-fold answer-present at false briefs ${curve.join(' ')}`,
        );
      }
  index.close();
  process.exit(0);
}
const { chosen, model, weights } = select(true);
if (process.argv.includes('--write')) {
  const file = new URL(`../src/brief-coefficients${dense ? '-dense' : ''}.ts`, import.meta.url);
  writeFileSync(
    file,
    `// Generated by \`node eval/fit-brief.ts --features ${use.join(',')} --neg ${NEG_WEIGHT} --l2 ${L2}${process.argv.includes('--tune2') ? ' --tune2' : ''}${process.argv.includes('--tune3') ? ' --tune3' : ''}${dense ? ' --embeddings auto' : ''} --write\`
// (fitted on the eval's tuning data; cut from out-of-fold predictions: ${chosen.rule}); do not edit by hand.
import type { BriefModel } from './brief-model.js';

export const BRIEF_COEFFICIENTS${dense ? '_DENSE' : ''}: BriefModel = {
  weights: {
${BRIEF_FEATURES.map((f) => `    ${f}: ${weights[f]},`).join('\n')}
  },
  bias: ${+model.b.toFixed(4)},
  cut: ${chosen.cut},
};
`,
  );
  console.log(`wrote ${file.pathname}`);
}
index.close();
