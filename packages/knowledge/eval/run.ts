// Retrieval evaluation on a hand-written set (eval/learnings.json, eval/queries.json): plain BM25, BM25 with a
// porter stemmer, and habitat's search and brief, side by side, on the tuning half, the held-out half and all.
// The learnings are loaded through addLearning in the order they were written (so contradiction detection on
// add is exercised) with their dates; each query is asked as an agent of its project would ask it.
// Run: `node eval/run.ts [--failures] [--split tune|heldout|fresh]` after `turbo run build --filter=@habitat/knowledge`.
// `--embeddings auto` (or an endpoint URL, with `--embeddings-model NAME`) adds habitat's hybrid search and brief
// (knowledge.embeddings) over a real model: `auto` starts eval/embed-server.ts in-process, and the run says why
// and goes on lexical only when that model is not installed (see eval/README.md).
import {
  buildContext,
  buildContextHybrid,
  type Context,
  EmbeddingRetriever,
  keyTerms,
  searchHybrid,
  searchKnowledge,
} from '@habitat/knowledge';
import Database from 'better-sqlite3';
import {
  detected,
  detectedBySplit,
  falseConflicts,
  index,
  learnings,
  outcomes,
  type Query,
  queries,
  splitOf,
  toDataset,
  truePairs,
} from './base.ts';

// Baselines: FTS5 BM25 over one column (title, body, tags), the query's words OR'ed, every learning.
function baseline(tokenize: string) {
  const db = new Database(':memory:');
  db.exec(`CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, text, tokenize='${tokenize}')`);
  const insert = db.prepare('INSERT INTO docs (id, text) VALUES (?, ?)');
  for (const l of learnings) insert.run(l.id, `${l.title} ${l.body} ${l.tags.join(' ')}`);
  const select = db.prepare('SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10');
  return (query: string): string[] => {
    const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    if (words.length === 0) return [];
    return (select.all(words.map((w) => `"${w}"`).join(' OR ')) as { id: string }[]).map((r) => r.id);
  };
}
const bm25 = baseline('unicode61');
const bm25porter = baseline('porter unicode61');
const habitatWith = (tuning?: Record<string, unknown>) => (q: Query) =>
  toDataset(
    searchKnowledge(index, q.query, { limit: 10, project: q.project, ...(tuning ? { tuning } : {}) }).map(
      (h) => h.learning.id,
    ),
  );
const habitat = habitatWith();

// The dense retriever, when asked for: every query's hybrid search and hybrid brief computed up front (they are
// async), the vectors' index time and the model's time per text measured on the way.
const embeddingsArg = process.argv.includes('--embeddings')
  ? process.argv[process.argv.indexOf('--embeddings') + 1]
  : undefined;
let retriever: EmbeddingRetriever | undefined;
let closeServer: (() => Promise<void>) | undefined;
const hybridHits = new Map<string, string[]>();
const hybridBriefs = new Map<string, Context>();
const hybridBrief = async (q: Query, rule?: Record<string, unknown>) => {
  const r = await buildContextHybrid(index, {
    task: q.query,
    project: q.project,
    embeddings: retriever!,
    // `--agreement`: the hybrid brief of session 3 (dense agreement rule) instead of the fitted dense model
    ...(rule || process.argv.includes('--agreement')
      ? { rule: { ...(process.argv.includes('--agreement') ? { denseModel: false } : {}), ...rule } }
      : {}),
  });
  if (r.warning) throw new Error(`hybrid brief fell back to BM25: ${r.warning}`);
  return r.context;
};
if (embeddingsArg) {
  let url = embeddingsArg;
  let model = process.argv[process.argv.indexOf('--embeddings-model') + 1] ?? '';
  if (embeddingsArg === 'auto') {
    const { missing, startEmbedServer } = await import('./embed-server.ts');
    const why = missing();
    if (why) console.log(`hybrid skipped: ${why}`);
    else {
      const server = await startEmbedServer({ cache: true });
      ({ url, model } = server);
      closeServer = server.close;
    }
  }
  if (url !== 'auto') {
    retriever = new EmbeddingRetriever(index, { url, model, timeoutMs: 600_000 });
    const t = performance.now();
    const n = await retriever.refresh();
    console.log(
      `embeddings ${model} at ${url}: ${n} learnings embedded in ${Math.round(performance.now() - t)} ms`,
    );
    // with --split, that split's queries only (a tuning run embeds no held-out query)
    const splitOnly = process.argv.includes('--split')
      ? process.argv[process.argv.indexOf('--split') + 1]
      : undefined;
    for (const q of queries.filter((q) => !splitOnly || splitOnly === 'all' || splitOf(q.id) === splitOnly)) {
      const r = await searchHybrid(index, q.query, { limit: 10, project: q.project, embeddings: retriever });
      if (r.warning) throw new Error(`hybrid search fell back to BM25: ${r.warning}`);
      hybridHits.set(q.id, toDataset(r.hits.map((h) => h.learning.id)));
      hybridBriefs.set(q.id, await hybridBrief(q));
    }
  }
}

function ranking(rank: (q: Query) => string[], set: Query[]) {
  const answerable = set.filter((q) => q.kind !== 'none');
  let recall5 = 0;
  let mrr = 0;
  let ndcg = 0;
  for (const q of answerable) {
    const ids = rank(q);
    const rel = new Set(q.relevant);
    recall5 += ids.slice(0, 5).filter((id) => rel.has(id)).length / rel.size;
    const first = ids.findIndex((id) => rel.has(id));
    mrr += first >= 0 ? 1 / (first + 1) : 0;
    const dcg = ids.slice(0, 10).reduce((s, id, i) => s + (rel.has(id) ? 1 / Math.log2(i + 2) : 0), 0);
    const ideal = [...rel].slice(0, 10).reduce((s, _, i) => s + 1 / Math.log2(i + 2), 0);
    ndcg += dcg / ideal;
  }
  const n = answerable.length;
  return { recall5: recall5 / n, mrr: mrr / n, ndcg10: ndcg / n };
}

function brief(
  set: Query[],
  threshold?: number,
  tuning?: Record<string, unknown>,
  rule?: Record<string, unknown>,
  contextOf?: (q: Query) => Context,
) {
  const rate = (xs: boolean[]) => (xs.length ? xs.filter(Boolean).length / xs.length : Number.NaN);
  const present: boolean[] = [];
  const cross: boolean[] = [];
  const newerWins: boolean[] = [];
  const falseBrief: boolean[] = [];
  let tokens = 0;
  let precision = 0;
  let nonEmpty = 0;
  for (const q of set) {
    const c =
      contextOf?.(q) ??
      buildContext(index, {
        task: q.query,
        project: q.project,
        ...(threshold !== undefined ? { threshold } : {}),
        ...(tuning ? { tuning } : {}),
        ...(rule ? { rule } : {}),
      });
    const ids = toDataset(c.hits.map((h) => h.learning.id));
    tokens += c.tokens;
    if (ids.length) {
      nonEmpty++;
      precision += ids.filter((id) => q.relevant.includes(id)).length / ids.length;
    }
    if (q.kind === 'none') {
      falseBrief.push(ids.length > 0);
      continue;
    }
    const has = ids.some((id) => q.relevant.includes(id));
    present.push(has);
    if (q.kind === 'cross') cross.push(has);
    if (q.kind === 'newer') {
      const at = ids.indexOf(q.relevant[0]!);
      const old = ids.indexOf(q.older!);
      const oldHit = old >= 0 ? c.hits[old] : undefined;
      // The newer fact wins when it is there and the older one is either absent or after it and marked stale.
      newerWins.push(
        at >= 0 && (old < 0 || (old > at && (oldHit as { stale?: unknown }).stale !== undefined)),
      );
    }
  }
  return {
    present: rate(present),
    falseBrief: rate(falseBrief),
    newerWins: rate(newerWins),
    cross: rate(cross),
    tokens: tokens / set.length,
    precision: nonEmpty ? precision / nonEmpty : 0,
  };
}

const f3 = (x: number) => (Number.isNaN(x) ? '  -  ' : x.toFixed(3));
const splitArg = process.argv[process.argv.indexOf('--split') + 1];
console.log(
  `${learnings.length} learnings (add outcomes: ${JSON.stringify(outcomes)}), ${queries.length} queries: ` +
    `${queries.filter((q) => q.kind === 'none').length} no-answer, ${queries.filter((q) => q.kind === 'newer').length} contradiction, ` +
    `${queries.filter((q) => q.kind === 'cross').length} cross-project; contradicting pairs detected on add: ${detected}/${queries.filter((q) => q.kind === 'newer').length}, false alarms ${falseConflicts} (by split: ${Object.entries(
      detectedBySplit,
    )
      // with --split, that split only: a sweep must not show the held-out sets' figures
      .filter(([k]) => !process.argv.includes('--split') || k === splitArg)
      .map(([k, v]) => `${k} ${v.detected}/${v.pairs}`)
      .join(', ')})`,
);
for (const split of [
  'tune',
  'tune2',
  'tune3',
  'heldout',
  'fresh',
  'fresh2',
  'fresh3',
  'fresh4',
  'fresh5',
  'all',
  'unseen',
] as const) {
  if (splitArg && splitArg !== split && process.argv.includes('--split')) continue;
  // "all": the sets written to measure (tune2 and tune3 are fitting data only); "unseen": those without the
  // first set's tuning half, the aggregate a refit is judged on
  const set =
    split === 'all'
      ? queries.filter((q) => !['tune2', 'tune3'].includes(splitOf(q.id)))
      : split === 'unseen'
        ? queries.filter((q) => !splitOf(q.id).startsWith('tune'))
        : queries.filter((q) => splitOf(q.id) === split);
  const b = brief(set);
  console.log(`\n## ${split} (${set.length} queries)`);
  console.log('| retriever | nDCG@10 | recall@5 | MRR |');
  console.log('|---|---|---|---|');
  for (const [name, rank] of [
    ['BM25', (q: Query) => bm25(q.query)],
    ['BM25 + porter', (q: Query) => bm25porter(q.query)],
    ['habitat search', habitat],
    ...(retriever ? ([['habitat hybrid', (q: Query) => hybridHits.get(q.id)!]] as const) : []),
  ] as const) {
    const m = ranking(rank, set);
    console.log(`| ${name} | ${f3(m.ndcg10)} | ${f3(m.recall5)} | ${f3(m.mrr)} |`);
  }
  console.log(
    `brief: answer-present ${f3(b.present)} (target >= 0.92) · no-answer false briefs ${f3(b.falseBrief)} (<= 0.10) · ` +
      `newer wins ${f3(b.newerWins)} (>= 0.92) · cross-project ${f3(b.cross)} (>= 0.67) · precision ${f3(b.precision)} · ${Math.round(b.tokens)} tokens avg`,
  );
  if (retriever) {
    const h = brief(set, undefined, undefined, undefined, (q) => hybridBriefs.get(q.id)!);
    console.log(
      `hybrid brief: answer-present ${f3(h.present)} · no-answer false briefs ${f3(h.falseBrief)} · ` +
        `newer wins ${f3(h.newerWins)} · cross-project ${f3(h.cross)} · precision ${f3(h.precision)} · ${Math.round(h.tokens)} tokens avg`,
    );
  }
}

{
  // Briefs that mark a learning "older" (a newer one of its scope on the same subject, no contradiction found on
  // add): how many of those marks are one of the dated pairs.
  let marks = 0;
  let right = 0;
  for (const q of queries) {
    const c = buildContext(index, { task: q.query, project: q.project });
    for (const h of c.hits)
      if (h.stale?.reason === 'older') {
        marks++;
        if (truePairs.has(`${toDataset([h.learning.id])[0]}|${toDataset([h.stale.by!])[0]}`)) right++;
      }
  }
  console.log(`\n"older" marks in all ${queries.length} briefs: ${marks}, of them a dated pair: ${right}`);
}

if (process.argv.includes('--sweep')) {
  // Calibration of the brief's evidence cut: on the tuning half only.
  const tune = queries.filter((q) => splitOf(q.id) === 'tune');
  for (const tuning of [
    { taskWordWeight: 0 },
    { unknownWeight: 0.8 },
    { unknownWeight: 0.6 },
    { unknownWeight: 0.4 },
    { unknownWeight: 0.6, minMatched: 2 },
  ])
    for (const t of [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]) {
      const b = brief(tune, t, tuning);
      if (b.falseBrief > 0.13) continue;
      console.log(
        `${JSON.stringify(tuning)} threshold ${t}: answer-present ${f3(b.present)} false briefs ${f3(b.falseBrief)} newer ${f3(b.newerWins)} cross ${f3(b.cross)} precision ${f3(b.precision)}`,
      );
    }
}

if (process.argv.includes('--rules')) {
  // The brief's distinct-answer rule and scope factors, on the tuning half only.
  const tune = queries.filter((q) => splitOf(q.id) === 'tune');
  for (const threshold of [0.35, 0.33, 0.31, 0.3, 0.28])
    for (const [project, org, other] of [
      [1.1, 1, 1],
      [1.1, 1, 0.9],
      [1.1, 1, 0.85],
      [1.15, 1.05, 0.9],
      [1.2, 1.05, 0.9],
      [1.2, 1.1, 0.85],
    ] as const) {
      const rule = { boost: { agent: project + 0.05, project, org, other } };
      const b = brief(tune, threshold, undefined, rule);
      console.log(
        `threshold ${threshold} project ${project} org ${org} other ${other}: answer-present ${f3(b.present)} false briefs ${f3(b.falseBrief)} newer ${f3(b.newerWins)} cross ${f3(b.cross)} precision ${f3(b.precision)} tokens ${Math.round(b.tokens)}`,
      );
    }
}

if (process.argv.includes('--variants')) {
  // Retrieval variants, compared on the tuning half only (held-out figures are read once, after choosing).
  const set = queries.filter((q) => splitOf(q.id) === (splitArg === 'heldout' ? 'heldout' : 'tune'));
  for (const tuning of [
    {},
    { synonyms: false },
    { feedbackDocs: 2 },
    { feedbackDocs: 3 },
    { feedbackDocs: 3, synonyms: false },
    { feedbackDocs: 3, feedbackWeight: 0.15 },
    { weights: [1, 1, 1] },
    { weights: [3, 2, 1] },
    { weights: [8, 4, 1] },
    { boost: { agent: 1.2, project: 1.1, org: 1.05, other: 1 } },
    { boost: { agent: 1.6, project: 1.4, org: 1.2, other: 1 } },
    { coverageOffset: 0.1, coveragePower: 2 },
    { coverageOffset: 0.05, coveragePower: 2 },
    { coverageOffset: 0.1, coveragePower: 3 },
    { coverageOffset: 0.2, coveragePower: 2 },
    { coverageOffset: 0.1, coveragePower: 1.5 },
    { coverageOffset: 0.1, coveragePower: 2, feedbackWeight: 0.15 },
    { coverageOffset: 0.1, coveragePower: 2, feedbackDocs: 3, feedbackWeight: 0.15 },
  ]) {
    const m = ranking(habitatWith(tuning), set);
    const b = brief(set, undefined, tuning);
    console.log(
      `${JSON.stringify(tuning).padEnd(60)} nDCG@10 ${f3(m.ndcg10)} recall@5 ${f3(m.recall5)} | brief present ${f3(b.present)} false ${f3(b.falseBrief)} newer ${f3(b.newerWins)} cross ${f3(b.cross)}`,
    );
  }
}

if (process.argv.includes('--failures')) {
  const set = queries.filter(
    (q) =>
      splitOf(q.id) ===
      (splitArg === 'heldout'
        ? 'heldout'
        : splitArg === 'tune2'
          ? 'tune2'
          : splitArg === 'tune3'
            ? 'tune3'
            : 'tune'),
  );
  for (const q of set) {
    const c = buildContext(index, { task: q.query, project: q.project });
    const ids = toDataset(c.hits.map((h) => h.learning.id));
    const top = toDataset(
      searchKnowledge(index, q.query, { limit: 5, project: q.project }).map((h) => h.learning.id),
    );
    const at = ids.indexOf(q.relevant[0]!);
    const old = ids.indexOf(q.older ?? '');
    const ok =
      q.kind === 'none'
        ? ids.length === 0
        : q.kind === 'newer'
          ? at >= 0 && (old < 0 || (old > at && c.hits[old]!.stale !== undefined))
          : ids.some((id) => q.relevant.includes(id));
    if (!ok)
      console.log(
        `\n${q.id} [${q.kind}] ${q.query}\n  want ${q.relevant.join(',') || '(empty)'}${q.older ? ` (older ${q.older})` : ''}  brief ${ids.join(',') || '(empty)'}  top5 ${top.join(',')}`,
      );
  }
}

if (process.argv.includes('--dump-tune')) {
  // Features of the top hits, tuning half only (for choosing the brief's rule; never the other splits).
  for (const q of queries.filter((q) => splitOf(q.id) === 'tune')) {
    const hits = searchKnowledge(index, q.query, { limit: 5, project: q.project });
    const ids = toDataset(hits.map((h) => h.learning.id));
    console.log(
      JSON.stringify({
        id: q.id,
        kind: q.kind,
        rel: ids.map((id) => q.relevant.includes(id)),
        ev: hits.map((h) => +h.evidence.toFixed(3)),
        sc: hits.map((h) => +h.score.toFixed(4)),
        m: hits.map((h) => h.scopeMatch),
        n: hits.map((h) => h.matched ?? 0),
        q: keyTerms(q.query).length,
      }),
    );
  }
}

if (process.argv.includes('--subject')) {
  // The brief's same-subject cut ("older" rule), on the tuning half only: newer-wins and "older" marks on
  // learnings that are not one of the dated pairs.
  const tune = queries.filter((q) => splitOf(q.id) === 'tune');
  for (const [sameSubject, subjectSearches] of [
    [0.1, 12],
    [0.125, 12],
    [0.15, 12],
    [0.175, 3],
    [0.175, 12],
    [0.2, 12],
    [0.25, 12],
    [1, 12],
  ] as const) {
    let marks = 0;
    let wrong = 0;
    for (const q of tune) {
      const c = buildContext(index, {
        task: q.query,
        project: q.project,
        rule: { sameSubject, subjectSearches },
      });
      for (const h of c.hits)
        if (h.stale?.reason === 'older') {
          marks++;
          if (!truePairs.has(`${toDataset([h.learning.id])[0]}|${toDataset([h.stale.by!])[0]}`)) wrong++;
        }
    }
    const b = brief(tune, undefined, undefined, { sameSubject, subjectSearches });
    console.log(
      `same subject >= ${sameSubject}, ${subjectSearches} searches: newer ${f3(b.newerWins)} answer-present ${f3(b.present)} · "older" marks ${marks}, not a dated pair ${wrong}`,
    );
  }
}

if (process.argv.includes('--timing')) {
  // What the brief's same-subject search costs: every query's brief with and without it, interleaved round by
  // round, medians of the per-round totals.
  const rounds = 7;
  const times: Record<'with' | 'without', number[]> = { with: [], without: [] };
  for (let r = 0; r < rounds; r++)
    for (const mode of r % 2 ? (['without', 'with'] as const) : (['with', 'without'] as const)) {
      const t = performance.now();
      for (const q of queries)
        buildContext(index, { task: q.query, project: q.project, rule: { subjectSearch: mode === 'with' } });
      times[mode].push((performance.now() - t) / queries.length);
    }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `brief per query: with the subject search ${median(times.with).toFixed(2)} ms, without ${median(times.without).toFixed(2)} ms (ratio ${(median(times.with) / median(times.without)).toFixed(2)}; ${rounds} rounds interleaved)`,
  );
}
if (process.argv.includes('--dense') && retriever) {
  // How the hybrid search and brief use the dense rank: on the tuning half only.
  const tune = queries.filter((q) => splitOf(q.id) === 'tune');
  for (const denseWeight of [1, 0.5, 0.25, 0.1, 0.05, 0.02]) {
    const hits = new Map<string, string[]>();
    for (const q of tune) {
      const r = await searchHybrid(index, q.query, {
        limit: 10,
        project: q.project,
        embeddings: retriever,
        denseWeight,
      });
      hits.set(q.id, toDataset(r.hits.map((h) => h.learning.id)));
    }
    const m = ranking((q) => hits.get(q.id)!, tune);
    console.log(
      `search dense weight ${denseWeight}: nDCG@10 ${f3(m.ndcg10)} recall@5 ${f3(m.recall5)} MRR ${f3(m.mrr)}`,
    );
  }
  for (const denseTop of [1, 3])
    for (const denseAgreement of [0.6, 1])
      for (const denseMinCosine of [-1, 0.5, 0.55, 0.6, 0.65, 0.7]) {
        const rule = { denseTop, denseAgreement, denseMinCosine };
        const briefs = new Map<string, Context>();
        for (const q of tune) briefs.set(q.id, await hybridBrief(q, rule));
        const b = brief(tune, undefined, undefined, undefined, (q) => briefs.get(q.id)!);
        console.log(
          `${JSON.stringify(rule)}: answer-present ${f3(b.present)} false briefs ${f3(b.falseBrief)} newer ${f3(b.newerWins)} cross ${f3(b.cross)} precision ${f3(b.precision)}`,
        );
      }
}
if (process.argv.includes('--embed-timing') && embeddingsArg === 'auto' && retriever) {
  // What the dense retriever costs a query: lexical search, hybrid search and hybrid brief over the same 20 tuning
  // queries, interleaved round by round, against a second server without the vector cache (every query embedded).
  const { startEmbedServer } = await import('./embed-server.ts');
  const server = await startEmbedServer();
  const cold = new EmbeddingRetriever(index, { url: server.url, model: server.model, timeoutMs: 600_000 });
  const sample = queries.filter((q) => splitOf(q.id) === 'tune').slice(0, 20);
  const rounds = 3;
  const times: Record<'lexical' | 'hybrid' | 'brief' | 'lexicalBrief', number[]> = {
    lexical: [],
    hybrid: [],
    brief: [],
    lexicalBrief: [],
  };
  for (let r = 0; r < rounds; r++) {
    const total = { lexical: 0, hybrid: 0, brief: 0, lexicalBrief: 0 };
    for (const q of sample) {
      let t = performance.now();
      searchKnowledge(index, q.query, { limit: 10, project: q.project });
      total.lexical += performance.now() - t;
      t = performance.now();
      await searchHybrid(index, q.query, { limit: 10, project: q.project, embeddings: cold });
      total.hybrid += performance.now() - t;
      t = performance.now();
      buildContext(index, { task: q.query, project: q.project });
      total.lexicalBrief += performance.now() - t;
      t = performance.now();
      await buildContextHybrid(index, { task: q.query, project: q.project, embeddings: cold });
      total.brief += performance.now() - t;
    }
    for (const k of Object.keys(total) as (keyof typeof total)[]) times[k].push(total[k] / sample.length);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<
    keyof typeof times,
    number
  >;
  console.log(
    `per query (${sample.length} tuning queries, ${rounds} rounds interleaved, medians): search lexical ${m.lexical.toFixed(1)} ms, ` +
      `hybrid ${m.hybrid.toFixed(1)} ms (${(m.hybrid / m.lexical).toFixed(1)}x); brief lexical ${m.lexicalBrief.toFixed(1)} ms, ` +
      `hybrid ${m.brief.toFixed(1)} ms (${(m.brief / m.lexicalBrief).toFixed(1)}x); model time per text ${(server.stats.modelMs / server.stats.texts).toFixed(1)} ms over ${server.stats.texts} texts`,
  );
  await server.close();
}
index.close();
await closeServer?.();
