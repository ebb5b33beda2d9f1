// Retrieval: BM25 over FTS5 (porter stemming, balanced field weights), query terms OR'ed so people can type
// questions, optionally expanded with terms of the top hits (pseudo-relevance feedback, learned from the
// knowledge base itself), then a re-rank by how much of the query a learning covers, its confidence, its
// scope relative to the asker (a boost, never a filter) and its freshness (a learning a newer one contradicts
// is stale). Each hit carries an absolute evidence score the brief cuts on. An embedding retriever, when
// configured, is fused in by reciprocal rank.
import type { KnowledgeIndex } from './index-db.js';
import { keyTerms, stem, synonymsOf } from './text.js';
import type { KnowledgeHit, Learning, LearningStatus } from './types.js';

export interface SearchOptions {
  limit?: number;
  /** the asker's project: its learnings are boosted, others still found */
  project?: string;
  /** the asker's agent: its learnings are boosted most */
  agent?: string;
  /** keep only learnings with one of these tags */
  tags?: string[];
  /** include pending learnings too (default: active only) */
  includePending?: boolean;
  /** a dense retriever to fuse with BM25 (reciprocal rank fusion) */
  retriever?: Retriever;
  /** ranking knobs (defaults calibrated on the eval's tuning half) */
  tuning?: Partial<Tuning>;
  /** now, for `validUntil` (default: the clock) */
  now?: Date;
  /** which statuses to search (default: active, and pending with includePending) */
  statuses?: LearningStatus[];
}

/** A dense retriever behind an interface (see `createEmbeddingRetriever`); ids nearest to the query, best first. */
export interface Retriever {
  nearest(query: string, limit: number): string[] | Promise<string[]>;
}

export interface Tuning {
  /** BM25 weights of title, tags, body */
  weights: [number, number, number];
  /** expand query terms with the small table of engineering synonyms */
  synonyms: boolean;
  /** pseudo-relevance feedback: expansion terms taken from this many top hits (0: off) */
  feedbackDocs: number;
  feedbackTerms: number;
  /** weight of the feedback query's score against the original's */
  feedbackWeight: number;
  /** score multipliers by scope match */
  boost: { agent: number; project: number; org: number; other: number };
  /** score multiplier of a stale learning */
  stale: number;
  /**
   * Weight, in the evidence's denominator, of a query term no learning contains (relative to its IDF):
   * such words say the knowledge base may not cover the task, but agents also paraphrase.
   */
  unknownWeight: number;
  /** evidence needs at least this many query terms matched */
  minMatched: number;
  /** weight of task-framing words (TASK_WORDS) in the evidence */
  taskWordWeight: number;
  /** the re-rank multiplies BM25 by (coverageOffset + evidence) ** coveragePower */
  coverageOffset: number;
  coveragePower: number;
}

/** General words of how people phrase a task or a symptom, not what it is about. */
export const TASK_WORDS = new Set(
  `add adding added fix fixing fixed implement implementing update updating write writing create creating change
  changing improve improving debug debugging investigate handle support set setup keep keeps kept still getting
  gets got happen happened happening started starting start stop stopped stops seems seem try trying tried work
  working works worked broken break breaks fail fails failed failing error errors issue issues problem problems
  help please new old again every always never sometimes randomly suddenly whole`
    .split(/\s+/)
    .filter(Boolean),
);

export const DEFAULT_TUNING: Tuning = {
  weights: [2, 1.5, 1],
  synonyms: false,
  feedbackDocs: 2,
  feedbackTerms: 6,
  feedbackWeight: 0.3,
  boost: { agent: 1.4, project: 1.25, org: 1.1, other: 1 },
  stale: 0.4,
  unknownWeight: 1,
  minMatched: 1,
  taskWordWeight: 0,
  // (0.1 + evidence)^2 looked neutral on the tuning half (nDCG@10 0.929 vs 0.928) but lost 0.010 on the held-out
  // half (0.859 vs 0.869, below BM25+porter + 0.03): not confirmed, so the re-rank stays (0.5 + evidence)
  coverageOffset: 0.5,
  coveragePower: 1,
};

/** Terms in more than this share of learnings say little (low IDF) and cost the most to rank: left out. */
const COMMON_SHARE = 0.05;
/** Feedback (expansion) terms in a large index: at most this share of learnings. */
const FEEDBACK_SHARE = 0.005;

const quote = (t: string) => `"${t.replace(/"/g, '""')}"`;

/**
 * What to MATCH for what a person typed: each key term quoted so no syntax can break it, OR'ed. With a large
 * index, terms common to more than 5% of learnings are left out of the match (they still count in the
 * re-rank); when every term is common, the rarest ones are matched together (AND) and only a bounded number
 * of matches is ranked, so a query of common words cannot make FTS5 rank half the index.
 */
function matchPlan(
  query: string,
  index: KnowledgeIndex | undefined,
  options: { synonyms?: boolean } = {},
): { expression: string; allCommon: boolean } | undefined {
  const terms = keyTerms(query).slice(0, 24);
  if (terms.length === 0) return undefined;
  let expanded = [...new Set([...terms, ...(options.synonyms ? terms.flatMap(synonymsOf) : [])])];
  if (index && index.size() > 1000) {
    const limit = index.size() * COMMON_SHARE;
    const byRarity = expanded
      .map((t) => ({ t, df: index.documentFrequency(t, Math.ceil(limit) + 1) }))
      .filter((x) => x.df > 0)
      .sort((a, b) => a.df - b.df);
    const rare = byRarity.filter((x) => x.df <= limit);
    if (rare.length === 0) {
      if (byRarity.length === 0) return undefined;
      return {
        expression: byRarity
          .slice(0, 3)
          .map((x) => quote(x.t))
          .join(' AND '),
        allCommon: true,
      };
    }
    expanded = rare.map((x) => x.t);
  }
  return { expression: expanded.map(quote).join(' OR '), allCommon: false };
}

/** The FTS5 MATCH expression `searchKnowledge` uses for a query (see matchPlan). */
export function matchExpression(
  query: string,
  index?: KnowledgeIndex,
  options: { synonyms?: boolean } = {},
): string | undefined {
  return matchPlan(query, index, options)?.expression;
}

/** Matches of an all-common query ranked at most (the first ones found, in rowid order). */
const COMMON_SCAN = 2000;

interface Row {
  rowid: number;
  json: string;
  stems: string;
  rank: number;
}

/** The part of the body around the first matched term, matched words marked «like this». */
function snippetOf(body: string, queryStems: Set<string>[], width = 160): string {
  const isHit = (w: string) => {
    const t = w.toLowerCase();
    return t.length > 1 && queryStems.some((g) => g.has(stem(t)));
  };
  // the word's letters and digits only: `«region»,` and `«S3»-hosted`, as `keyTerms` splits them (not `«region,»`)
  const marked = body.replace(/[\p{L}\p{N}_]+/gu, (w) => (isHit(w) ? `«${w}»` : w));
  const first = marked.indexOf('«');
  if (marked.length <= width) return marked;
  const start = Math.max(0, first - 40);
  return `${start > 0 ? '…' : ''}${marked.slice(start, start + width).trim()}…`;
}

function textOf(l: Learning): string {
  return `${l.title} ${l.tags.join(' ')} ${l.body}`;
}

function scopeMatch(l: Learning, options: SearchOptions): KnowledgeHit['scopeMatch'] {
  if (l.scope.kind === 'org') return 'org';
  if (l.scope.kind === 'agent') return l.scope.name === options.agent ? 'agent' : 'other';
  return l.scope.name === options.project ? 'project' : 'other';
}

/**
 * Why `l` is served as stale, as search marks it (undefined: it is not): past its validUntil, or an active learning
 * written later contradicts or supersedes it. For listings that show a learning without searching for it.
 */
export function staleOf(index: KnowledgeIndex, l: Learning, now = new Date()): KnowledgeHit['stale'] {
  return staleness(index, l, now);
}

/** Stale when past its validUntil, or when an active learning written later contradicts or supersedes it. */
function staleness(index: KnowledgeIndex, l: Learning, now: Date): KnowledgeHit['stale'] {
  if (l.validUntil && Date.parse(l.validUntil) < now.getTime())
    return { since: l.validUntil, reason: 'expired' };
  for (const id of l.conflictsWith) {
    const other = index.get(id);
    if (other && other.status === 'active' && other.created > l.created)
      return { by: other.id, since: other.created, reason: 'newer' };
  }
  return undefined;
}

/** Rank candidates in FTS5 (its ORDER BY rank LIMIT path) and return the rows. */
function candidates(
  index: KnowledgeIndex,
  expression: string,
  statuses: string[],
  weights: readonly number[],
  count: number,
  bounded = false,
): Row[] {
  const ranked = bounded
    ? `SELECT rowid, rank FROM (SELECT rowid, bm25(fts, ${weights.join(', ')}) AS rank FROM fts WHERE fts MATCH @expression LIMIT ${COMMON_SCAN})
       ORDER BY rank LIMIT @count`
    : `SELECT rowid, rank FROM fts WHERE fts MATCH @expression AND rank MATCH 'bm25(${weights.join(', ')})'
       ORDER BY rank LIMIT @count`;
  return index
    .prepared(
      `SELECT l.rowid AS rowid, l.json AS json, l.stems AS stems, m.rank AS rank
       FROM (${ranked}) m
       JOIN learnings l ON l.rowid = m.rowid
       WHERE l.status IN (${statuses.map((s) => `'${s}'`).join(',')})
       ORDER BY m.rank`,
    )
    .all({ expression, count }) as Row[];
}

/**
 * Terms that characterise the top hits (high TF·IDF in them) and are not in the query: a query expansion
 * learned from the knowledge base itself (RM3-style pseudo-relevance feedback, without term weights).
 */
function feedbackTerms(
  index: KnowledgeIndex,
  top: Learning[],
  queryStems: Set<string>,
  count: number,
): string[] {
  const n = Math.max(1, index.size());
  // In a large index an expansion term must be specific as well (at most 0.5% of learnings): the expansion
  // query ranks every learning any of its terms matches, and six terms at 5% each made it rank 30% of 100,000.
  const common = Math.ceil(n * (n > 1000 ? FEEDBACK_SHARE : COMMON_SHARE));
  const weight = new Map<string, { term: string; w: number }>();
  for (const l of top) {
    const terms = keyTerms(textOf(l)).filter((t) => t.length > 2 && !/^\d/.test(t));
    for (const t of new Set(terms)) {
      const s = stem(t);
      if (queryStems.has(s)) continue;
      // A word only this learning has finds nothing new; a common one finds everything (and is slow to rank).
      const df = index.documentFrequency(t, common + 1);
      if (df < 2 || (n > 1000 && df > common)) continue;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      const e = weight.get(s) ?? { term: t, w: 0 };
      e.w += idf / terms.length;
      weight.set(s, e);
    }
  }
  return [...weight.values()]
    .sort((a, b) => b.w - a.w)
    .slice(0, count)
    .map((e) => e.term);
}

export function searchKnowledge(
  index: KnowledgeIndex,
  query: string,
  options: SearchOptions = {},
): KnowledgeHit[] {
  const tuning = { ...DEFAULT_TUNING, ...options.tuning };
  const limit = options.limit ?? 10;
  const plan = matchPlan(query, index, { synonyms: tuning.synonyms });
  if (!plan) return [];
  const statuses = options.statuses ?? (options.includePending ? ['active', 'pending'] : ['active']);
  const pool = Math.max(limit * 5, 50);
  const rows = candidates(index, plan.expression, statuses, tuning.weights, pool, plan.allCommon);
  const terms = keyTerms(query).slice(0, 32);
  const queryStems = terms.map(
    (t) => new Set([t, ...(tuning.synonyms ? synonymsOf(t) : [])].map((w) => stem(w))),
  );
  // IDF of each query term: a term no learning has is the strongest sign the knowledge base does not cover
  // the task, so it weighs most in the denominator of the coverage.
  // IDF as if there were at least 100 learnings: in a new, small knowledge base every known word would
  // otherwise look common next to the unknown ones, and nothing would ever reach the brief.
  const n = Math.max(100, index.size());
  const unknown = terms.map(() => false);
  const idf = terms.map((t, i) => {
    const df = index.documentFrequency(t, Math.ceil(n * COMMON_SHARE) + 1);
    unknown[i] = df === 0;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5)) * (df === 0 ? tuning.unknownWeight : 1);
  });
  // Words that frame a task rather than say what it is about ("fix", "add", "keeps") weigh little in the
  // evidence: a learning is not less relevant because the asker wrote "implement".
  terms.forEach((t, i) => {
    if (TASK_WORDS.has(t)) idf[i]! *= tuning.taskWordWeight;
  });
  const totalIdf = idf.reduce((a, b) => a + b, 0) || 1;
  const unknownShare = idf.reduce((a, w, i) => a + (unknown[i] ? w : 0), 0) / totalIdf;
  const byRow = new Map<number, { learning: Learning; stems: string; base: number }>();
  for (const row of rows)
    byRow.set(row.rowid, { learning: JSON.parse(row.json) as Learning, stems: row.stems, base: -row.rank });
  if (tuning.feedbackDocs > 0 && rows.length > 0) {
    const top = [...byRow.values()].slice(0, tuning.feedbackDocs).map((e) => e.learning);
    const extra = feedbackTerms(index, top, new Set(queryStems.flatMap((g) => [...g])), tuning.feedbackTerms);
    if (extra.length) {
      const best = byRow.values().next().value!.base || 1;
      const more = candidates(index, extra.map(quote).join(' OR '), statuses, tuning.weights, pool);
      const bestMore = more.length ? -more[0]!.rank || 1 : 1;
      for (const row of more) {
        // The feedback query's score, scaled to the original's and weighted down.
        const add = ((-row.rank / bestMore) * best * tuning.feedbackWeight) as number;
        const e = byRow.get(row.rowid);
        if (e) e.base += add;
        else
          byRow.set(row.rowid, { learning: JSON.parse(row.json) as Learning, stems: row.stems, base: add });
      }
    }
  }
  const now = options.now ?? new Date();
  let hits: KnowledgeHit[] = [...byRow.values()].map(({ learning, stems, base }) => {
    // Stemmed at index time (stemming every candidate's text here was most of a query's CPU).
    const docStems = new Set(stems ? stems.split(' ') : keyTerms(textOf(learning)).map(stem));
    let covered = 0;
    let matched = 0;
    queryStems.forEach((group, i) => {
      if ([...group].some((s) => docStems.has(s))) {
        covered += idf[i]!;
        matched++;
      }
    });
    const evidence = matched >= tuning.minMatched ? covered / totalIdf : 0;
    const match = scopeMatch(learning, options);
    const stale = staleness(index, learning, now);
    const score =
      base *
      (tuning.coverageOffset + evidence) ** tuning.coveragePower *
      (0.75 + 0.5 * learning.confidence) *
      tuning.boost[match] *
      (stale ? tuning.stale : 1);
    return {
      learning,
      score,
      evidence,
      matched,
      snippet: '',
      scopeMatch: match,
      ...(stale ? { stale } : {}),
    };
  });
  if (options.tags?.length) {
    const wanted = new Set(options.tags.map((t) => t.toLowerCase()));
    hits = hits.filter((h) => h.learning.tags.some((t) => wanted.has(t.toLowerCase())));
  }
  hits.sort((a, b) => b.score - a.score);
  const top = hits.slice(0, limit);
  for (const hit of top) {
    hit.snippet = snippetOf(hit.learning.body, queryStems);
    // What the title alone covers, and what no learning covers: features of the brief's model (brief-model.ts).
    const titleStems = new Set(keyTerms(hit.learning.title).map(stem));
    hit.titleEvidence =
      queryStems.reduce((a, group, i) => a + ([...group].some((s) => titleStems.has(s)) ? idf[i]! : 0), 0) /
      totalIdf;
    hit.unknownShare = unknownShare;
  }
  return top;
}

/** Evidence a retracted learning needs to be named in an answer (the brief's cut: a strong match). */
const RETRACTED_EVIDENCE = 0.35;

/**
 * Retracted learnings the query matches strongly, with the reason given when they were retracted. They are never
 * served as knowledge; search and MCP name them so that whoever remembers the old lesson learns it was withdrawn.
 */
export function retractedHits(
  index: KnowledgeIndex,
  query: string,
  options: SearchOptions = {},
): { learning: Learning; reason?: string; time: string }[] {
  // Most knowledge bases have none: then this costs one index lookup, not a second search.
  if (!index.hasStatus('retracted')) return [];
  return searchKnowledge(index, query, {
    ...options,
    limit: 3,
    statuses: ['retracted'],
    tuning: { ...options.tuning, feedbackDocs: 0 },
  })
    .filter((h) => h.evidence >= RETRACTED_EVIDENCE)
    .map((h) => {
      const entry = h.learning.provenance.findLast((p) => p.action === 'retracted');
      return {
        learning: h.learning,
        ...(entry?.reason ? { reason: entry.reason } : {}),
        time: entry?.time ?? h.learning.updated,
      };
    });
}

/** Reciprocal rank fusion of BM25 hits and a dense retriever's ids (k = 60, as in the RRF paper). */
export function fuse(
  index: KnowledgeIndex,
  hits: KnowledgeHit[],
  dense: string[],
  denseWeight = 1,
): KnowledgeHit[] {
  const k = 60;
  const scores = new Map<string, { hit?: KnowledgeHit; score: number }>();
  for (const [i, hit] of hits.entries()) scores.set(hit.learning.id, { hit, score: 1 / (k + i + 1) });
  dense.forEach((id, i) => {
    const entry = scores.get(id) ?? { score: 0 };
    entry.score += denseWeight / (k + i + 1);
    if (!entry.hit) {
      const learning = index.get(id);
      if (learning && learning.status === 'active')
        entry.hit = { learning, score: 0, evidence: 0, snippet: learning.title, scopeMatch: 'org' };
    }
    scores.set(id, entry);
  });
  return [...scores.values()]
    .filter((e): e is { hit: KnowledgeHit; score: number } => e.hit !== undefined)
    .sort((a, b) => b.score - a.score)
    .map((e) => ({ ...e.hit, score: e.score }));
}
