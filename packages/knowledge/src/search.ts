// Retrieval: BM25 over FTS5 (porter stemming, title > tags > body), terms OR'ed so people can type
// questions, then a re-rank that rewards covering more of the query. An optional embedding retriever
// (a model the user provides locally) is fused in by reciprocal rank.
import type { KnowledgeIndex } from './index-db.js';
import { keyTerms, stem, synonymsOf } from './text.js';
import type { KnowledgeHit, Learning } from './types.js';

export interface SearchOptions {
  limit?: number;
  project?: string;
  agent?: string;
  tags?: string[];
  /** include pending learnings too (default: active only) */
  includePending?: boolean;
  /** an embedding retriever to fuse with BM25 */
  retriever?: Retriever;
}

/** A dense retriever behind an interface: habitat ships none (no model can be downloaded); users plug theirs. */
export interface Retriever {
  /** ids of the learnings nearest to `query`, best first */
  nearest(query: string, limit: number): string[];
}

const FIELD_WEIGHTS = [8, 4, 1] as const;

/** Terms in more than this share of learnings say little (low IDF) and cost the most to rank: left out. */
const COMMON_SHARE = 0.05;

/**
 * An FTS5 MATCH expression from what a person typed: each key term (and its synonyms) quoted so no syntax
 * can break it, OR'ed. With an index, terms common to a large share of learnings are dropped from the match
 * (they still count in the re-rank); when every term is common, the two rarest are matched.
 */
export function matchExpression(query: string, index?: KnowledgeIndex): string | undefined {
  const terms = keyTerms(query).slice(0, 24);
  if (terms.length === 0) return undefined;
  let expanded = [...new Set([...terms, ...terms.flatMap(synonymsOf)])];
  if (index && index.size() > 1000) {
    const limit = index.size() * COMMON_SHARE;
    const byRarity = expanded
      .map((t) => ({ t, df: index.documentFrequency(t, Math.ceil(limit) + 1) }))
      .filter((x) => x.df > 0)
      .sort((a, b) => a.df - b.df);
    const rare = byRarity.filter((x) => x.df <= limit);
    expanded = (rare.length > 0 ? rare : byRarity.slice(0, 2)).map((x) => x.t);
    if (expanded.length === 0) return undefined;
  }
  return expanded.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
}

interface Row {
  json: string;
  rank: number;
}

/** The part of the body around the first matched term, matched words marked «like this». */
function snippetOf(body: string, queryStems: Set<string>[], width = 160): string {
  const words = body.split(/(\s+)/);
  const isHit = (w: string) => {
    const t = w.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
    return t.length > 1 && queryStems.some((g) => g.has(stem(t)));
  };
  const marked = words.map((w) => (isHit(w) ? `«${w}»` : w)).join('');
  const first = marked.indexOf('«');
  if (marked.length <= width) return marked;
  const start = Math.max(0, first - 40);
  return `${start > 0 ? '…' : ''}${marked.slice(start, start + width).trim()}…`;
}

export function searchKnowledge(
  index: KnowledgeIndex,
  query: string,
  options: SearchOptions = {},
): KnowledgeHit[] {
  const limit = options.limit ?? 10;
  const expression = matchExpression(query, index);
  if (!expression) return [];
  const statuses = options.includePending ? ['active', 'pending'] : ['active'];
  // Rank inside FTS5 first (its ORDER BY rank LIMIT path), then filter and re-rank the few candidates.
  const rows = index.db
    .prepare(
      `SELECT l.json AS json, m.rank AS rank
       FROM (SELECT rowid, rank FROM fts WHERE fts MATCH @expression AND rank MATCH 'bm25(${FIELD_WEIGHTS.join(', ')})'
             ORDER BY rank LIMIT @candidates) m
       JOIN learnings l ON l.rowid = m.rowid
       WHERE l.status IN (${statuses.map((s) => `'${s}'`).join(',')})
         AND (@project IS NULL OR l.scope_kind = 'org' OR (l.scope_kind = 'project' AND l.scope_name = @project) OR l.scope_kind = 'agent')
         AND (@agent IS NULL OR l.scope_kind != 'agent' OR l.scope_name = @agent)
       ORDER BY m.rank`,
    )
    .all({
      expression,
      project: options.project ?? null,
      agent: options.agent ?? null,
      candidates: Math.max(limit * 4, 40),
    }) as Row[];
  const queryStems = keyTerms(query).map((t) => new Set([t, ...synonymsOf(t)].map(stem)));
  let hits = rows.map((row) => {
    const learning = JSON.parse(row.json) as Learning;
    const text = `${learning.title} ${learning.tags.join(' ')} ${learning.body}`.toLowerCase();
    const docStems = new Set(keyTerms(text).map(stem));
    const covered =
      queryStems.filter((group) => [...group].some((s) => docStems.has(s))).length /
      Math.max(1, queryStems.length);
    // bm25() is lower-is-better and negative; flip it, then reward covering more of the query.
    const score = -row.rank * (0.5 + covered) * (0.75 + 0.5 * learning.confidence);
    return { learning, score, snippet: '' };
  });
  if (options.tags?.length) {
    const wanted = new Set(options.tags.map((t) => t.toLowerCase()));
    hits = hits.filter((h) => h.learning.tags.some((t) => wanted.has(t.toLowerCase())));
  }
  hits.sort((a, b) => b.score - a.score);
  if (options.retriever) hits = fuse(index, hits, options.retriever.nearest(query, limit * 3));
  const top = hits.slice(0, limit);
  for (const hit of top) hit.snippet = snippetOf(hit.learning.body, queryStems);
  return top;
}

/** Reciprocal rank fusion of BM25 hits and a dense retriever's ids. */
function fuse(index: KnowledgeIndex, hits: KnowledgeHit[], dense: string[]): KnowledgeHit[] {
  const k = 60;
  const scores = new Map<string, { hit?: KnowledgeHit; score: number }>();
  for (const [i, hit] of hits.entries()) scores.set(hit.learning.id, { hit, score: 1 / (k + i + 1) });
  dense.forEach((id, i) => {
    const entry = scores.get(id) ?? { score: 0 };
    entry.score += 1 / (k + i + 1);
    if (!entry.hit) {
      const learning = index.get(id);
      if (learning) entry.hit = { learning, score: 0, snippet: learning.title };
    }
    scores.set(id, entry);
  });
  return [...scores.values()]
    .filter((e): e is { hit: KnowledgeHit; score: number } => e.hit !== undefined)
    .sort((a, b) => b.score - a.score)
    .map((e) => ({ ...e.hit, score: e.score }));
}
