// Retrieval: BM25 over FTS5 (porter stemming, title > tags > body), terms OR'ed so people can type
// questions, then a re-rank that rewards covering more of the query. An optional embedding retriever
// (a model the user provides locally) is fused in by reciprocal rank.
import type { KnowledgeIndex } from './index-db.js';
import { keyTerms, stem } from './text.js';
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

/** An FTS5 MATCH expression from what a person typed: each key term quoted (no syntax can break it), OR'ed. */
export function matchExpression(query: string): string | undefined {
  const terms = keyTerms(query).slice(0, 24);
  if (terms.length === 0) return undefined;
  return terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
}

interface Row {
  json: string;
  rank: number;
  snippet: string;
}

export function searchKnowledge(
  index: KnowledgeIndex,
  query: string,
  options: SearchOptions = {},
): KnowledgeHit[] {
  const limit = options.limit ?? 10;
  const expression = matchExpression(query);
  if (!expression) return [];
  const statuses = options.includePending ? ['active', 'pending'] : ['active'];
  const rows = index.db
    .prepare(
      `SELECT l.json AS json, bm25(fts, ${FIELD_WEIGHTS.join(', ')}) AS rank,
              snippet(fts, 2, '«', '»', '…', 18) AS snippet
       FROM fts JOIN learnings l ON l.rowid = fts.rowid
       WHERE fts MATCH @expression AND l.status IN (${statuses.map((s) => `'${s}'`).join(',')})
         AND (@project IS NULL OR l.scope_kind = 'org' OR (l.scope_kind = 'project' AND l.scope_name = @project) OR l.scope_kind = 'agent')
         AND (@agent IS NULL OR l.scope_kind != 'agent' OR l.scope_name = @agent)
       ORDER BY rank LIMIT @candidates`,
    )
    .all({
      expression,
      project: options.project ?? null,
      agent: options.agent ?? null,
      candidates: Math.max(limit * 5, 50),
    }) as Row[];
  const queryStems = keyTerms(query).map(stem);
  let hits = rows.map((row) => {
    const learning = JSON.parse(row.json) as Learning;
    const text = `${learning.title} ${learning.tags.join(' ')} ${learning.body}`.toLowerCase();
    const docStems = new Set(keyTerms(text).map(stem));
    const covered = queryStems.filter((s) => docStems.has(s)).length / Math.max(1, queryStems.length);
    // bm25() is lower-is-better and negative; flip it, then reward covering more of the query.
    const score = -row.rank * (0.5 + covered) * (0.75 + 0.5 * learning.confidence);
    return { learning, score, snippet: row.snippet || learning.title };
  });
  if (options.tags?.length) {
    const wanted = new Set(options.tags.map((t) => t.toLowerCase()));
    hits = hits.filter((h) => h.learning.tags.some((t) => wanted.has(t.toLowerCase())));
  }
  hits.sort((a, b) => b.score - a.score);
  if (options.retriever) hits = fuse(index, hits, options.retriever.nearest(query, limit * 3));
  return hits.slice(0, limit);
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
