// Query-performance predictors for fit-brief.ts (eval only: tried as brief features in session 5, no out-of-fold
// gain, so the shipped search does not compute them). The IR literature's answer to "does this query have any
// relevant document": features of the whole result list and of the query's words, not of one hit.
// - wig: weighted information gain, the top 5 scores' mean over the mean of all hits, per query word (sqrt)
// - nqc: normalised query commitment, the spread of the top 10 scores over their mean
// - maxIdf: the query's most specific word some learning has, as a share of the largest IDF possible
// - known: share of the query's words some learning has
// - rarestCover: the hit has the query's most specific known word (1), or only less specific ones (< 1)
import { type DenseProfile, type KnowledgeHit, type KnowledgeIndex, keyTerms } from '@habitat/knowledge';
import { stemmer } from 'stemmer';

// - denseTopZ, denseGap (with --embeddings): how far the dense retriever's nearest learning stands out of the base
export const QPP_FEATURES = [
  'wig',
  'nqc',
  'maxIdf',
  'known',
  'rarestCover',
  'denseTopZ',
  'denseGap',
] as const;
export type QppFeature = (typeof QPP_FEATURES)[number];

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** The predictors of every hit of one search (`hits` best first, as searchKnowledge returned them). */
export function qppFeatures(
  index: KnowledgeIndex,
  passage: string,
  hits: readonly KnowledgeHit[],
  dense?: DenseProfile,
  sentences?: DenseProfile,
): Record<QppFeature, number>[] {
  const n = Math.max(100, index.size());
  const terms = keyTerms(passage);
  const idf = terms.map((t) => {
    const df = index.documentFrequency(t);
    return df === 0 ? 0 : Math.log(1 + (n - df + 0.5) / (df + 0.5));
  });
  const maxKnown = Math.max(0, ...idf);
  const scores = hits.map((h) => h.score);
  const all = mean(scores) || 1;
  const top = scores.slice(0, 10);
  const sd = Math.sqrt(mean(top.map((s) => (s - mean(top)) ** 2)));
  const query = {
    wig: scores.length ? (mean(scores.slice(0, 5)) - all) / all / Math.sqrt(terms.length || 1) : 0,
    nqc: scores.length ? sd / (mean(top) || 1) : 0,
    maxIdf: maxKnown / Math.log(1 + (n - 0.5) / 1.5),
    known: terms.length ? idf.filter((w) => w > 0).length / terms.length : 0,
  };
  // a dense profile is a map in rank order (denseProfile)
  const [z0, z1] = dense ? [...dense.values()].slice(0, 2).map((v) => v.z) : [];
  const near = { denseTopZ: z0 ?? 0, denseGap: (z0 ?? 0) - (z1 ?? 0) };
  const stems = terms.map((t) => stemmer(t));
  return hits.map((h) => {
    const own = new Set(
      keyTerms(`${h.learning.title} ${h.learning.tags.join(' ')} ${h.learning.body}`).map((t) => stemmer(t)),
    );
    const rarest = Math.max(0, ...idf.filter((_, i) => own.has(stems[i]!)));
    const sent = sentences?.get(h.learning.id);
    return {
      ...query,
      ...near,
      denseSentZ: sent?.z ?? 0,
      denseSentFirst: sent?.rank === 0 ? 1 : 0,
      rarestCover: maxKnown > 0 ? rarest / maxKnown : 0,
    };
  });
}

const post = async (url: string, model: string, input: string[]) => {
  const res = await fetch(`${url}/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, input }),
  });
  const body = (await res.json()) as { data: { embedding: number[] }[] };
  return body.data.map((d) => d.embedding);
};
const cosine = (a: number[], b: number[]) => {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return d / (Math.sqrt(na * nb) || 1);
};

/** Every learning's sentences embedded once; then a passage's best sentence cosine per learning, best first. */
export async function sentenceScorer(index: KnowledgeIndex, url: string, model: string) {
  const units: { id: string; text: string }[] = [];
  for (const l of index.all())
    for (const text of [l.title, ...l.body.split(/(?<=[.!?:;])\s+/)].filter((t) => t.trim().length > 0))
      units.push({ id: l.id, text });
  const vectors: number[][] = [];
  for (let i = 0; i < units.length; i += 64)
    vectors.push(
      ...(await post(
        url,
        model,
        units.slice(i, i + 64).map((u) => u.text),
      )),
    );
  return async (passage: string) => {
    const [q] = await post(url, model, [passage]);
    const best = new Map<string, number>();
    units.forEach((u, i) => {
      const c = cosine(q!, vectors[i]!);
      if (c > (best.get(u.id) ?? -2)) best.set(u.id, c);
    });
    return [...best].map(([id, c]) => ({ id, cosine: c })).sort((a, b) => b.cosine - a.cosine);
  };
}
