// Whether a search hit goes into the brief: a small logistic model over features of the hit and of the ranking
// it came from, instead of one absolute cut on the evidence. One cut sat on a cliff (0.35 vs 0.32 moved the
// no-answer false briefs from 0 to 25% on the tuning half): coverage alone cannot tell "covers the two rare words
// of the task" from "covers two common ones of a long learning". The coefficients are fitted on the eval's tuning
// half by eval/fit-brief.ts, which rewrites brief-coefficients.ts; nothing here is tuned by hand.
import { BRIEF_COEFFICIENTS } from './brief-coefficients.js';
import type { KnowledgeHit } from './types.js';

/** The model's inputs, in order (the fit script and the coefficients use the same names). */
export const BRIEF_FEATURES = [
  'evidence',
  'titleEvidence',
  'matched',
  'relScore',
  'top',
  'gap',
  'own',
  'org',
  'unknown',
  'denseZ',
  'denseFirst',
] as const;
export type BriefFeature = (typeof BRIEF_FEATURES)[number];

export interface BriefModel {
  /** weight of each feature (raw units, not standardised) */
  weights: Record<BriefFeature, number>;
  bias: number;
  /** a hit is briefed at this probability or more */
  cut: number;
}

/**
 * Where a dense retriever puts each learning for the passage: its cosine as a z-score over the whole knowledge
 * base (scale-free: cosines of different models are not comparable, their spread within one knowledge base is)
 * and its rank (0 = nearest).
 */
export type DenseProfile = ReadonlyMap<string, { z: number; rank: number }>;

/** A dense profile from a retriever's scores of every learning, best first. */
export function denseProfile(scored: readonly { id: string; cosine: number }[]): DenseProfile {
  const n = scored.length || 1;
  const mean = scored.reduce((a, s) => a + s.cosine, 0) / n;
  const sd = Math.sqrt(scored.reduce((a, s) => a + (s.cosine - mean) ** 2, 0) / n) || 1;
  return new Map(scored.map((s, rank) => [s.id, { z: (s.cosine - mean) / sd, rank }]));
}

/**
 * The features of `hits[i]`, hits being one search's results best first; `dense`, when a dense retriever was
 * asked about the same passage, adds its opinion (0 otherwise: the lexical model has no weight on them).
 */
export function briefFeatures(
  hits: readonly KnowledgeHit[],
  i: number,
  dense?: DenseProfile,
): Record<BriefFeature, number> {
  const h = hits[i]!;
  const near = dense?.get(h.learning.id);
  const best = hits[0]!.score || 1;
  const next = hits[i + 1]?.score ?? 0;
  return {
    evidence: h.evidence,
    titleEvidence: h.titleEvidence ?? 0,
    // how many distinct query terms it has, with diminishing returns
    matched: Math.log1p(h.matched ?? 0),
    relScore: h.score / best,
    top: i === 0 ? 1 : 0,
    // a clear winner over the next hit is likelier to be the answer than one of several near-equals
    gap: h.score > 0 ? (h.score - next) / h.score : 0,
    own: h.scopeMatch === 'agent' || h.scopeMatch === 'project' ? 1 : 0,
    org: h.scopeMatch === 'org' ? 1 : 0,
    unknown: h.unknownShare ?? 0,
    // two retrievers that work differently agreeing is evidence a paraphrase's few shared words cannot give
    denseZ: near?.z ?? 0,
    denseFirst: near?.rank === 0 ? 1 : 0,
  };
}

/** The model's probability that a hit is relevant to the task. */
export function briefProbability(
  features: Record<BriefFeature, number>,
  model: BriefModel = BRIEF_COEFFICIENTS,
): number {
  let z = model.bias;
  for (const f of BRIEF_FEATURES) z += (model.weights[f] ?? 0) * features[f];
  return 1 / (1 + Math.exp(-z));
}
