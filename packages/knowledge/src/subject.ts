// Whether two learnings are about the same subject: the IDF-weighted Jaccard of their stemmed terms. Shared rare
// terms (an entity such as "pgBackRest", "admin console", a bucket name) weigh far more than shared common ones
// ("service", "days"), so a changed fact told in new words still matches its old statement, and two learnings that
// merely share a project's vocabulary do not. Used by the brief (newer first) and on add (a proposed conflict).
import type { KnowledgeIndex } from './index-db.js';
import { matchExpression } from './search.js';
import { keyTerms, stem } from './text.js';
import type { Learning } from './types.js';

/**
 * Same subject on add: IDF-weighted overlap at least this, with another number or a negation, proposes a conflict.
 * Chosen on the eval's tuning half: every cut from 0.2 up detects its 10 pairs; 0.25 is the lowest that raises no
 * false alarm among the other learnings (0.2 raised two).
 */
export const SAME_SUBJECT_ON_ADD = 0.25;

type Text = Pick<Learning, 'title' | 'body'> & { tags?: string[] };

function weightedStems(index: KnowledgeIndex, l: Text): Map<string, number> {
  const n = Math.max(100, index.size());
  const out = new Map<string, number>();
  for (const t of keyTerms(`${l.title} ${(l.tags ?? []).join(' ')} ${l.body}`)) {
    const s = stem(t);
    if (out.has(s) || /^\d+$/.test(t)) continue;
    const df = index.documentFrequency(t);
    out.set(s, Math.log(1 + (n - df + 0.5) / (df + 0.5)));
  }
  return out;
}

/** IDF-weighted Jaccard of the two texts' stems (numbers left out: a changed value is not a changed subject). */
export function subjectOverlap(index: KnowledgeIndex, a: Text, b: Text): number {
  const wa = weightedStems(index, a);
  const wb = weightedStems(index, b);
  let shared = 0;
  let union = 0;
  for (const [s, w] of wa) {
    union += w;
    if (wb.has(s)) shared += w;
  }
  for (const [s, w] of wb) if (!wa.has(s)) union += w;
  return union > 0 ? shared / union : 0;
}

/**
 * Active learnings of `l`'s scope that match its title and tags, written after it, best BM25 first: where a newer
 * statement of the same fact may be. One FTS query of a few rows (the brief runs it for its leading hits).
 */
export function laterOfSameScope(index: KnowledgeIndex, l: Learning, limit = 6): Learning[] {
  const expression = matchExpression(`${l.title} ${l.tags.join(' ')}`, index);
  if (!expression) return [];
  const rows = index
    .prepared(
      `SELECT l.json AS json FROM fts JOIN learnings l ON l.rowid = fts.rowid
       WHERE fts MATCH ? AND l.status = 'active' AND l.scope_kind = ? AND l.scope_name IS ? AND l.id != ?
       ORDER BY fts.rank LIMIT ?`,
    )
    .all(expression, l.scope.kind, l.scope.kind === 'org' ? null : l.scope.name, l.id, limit * 2) as {
    json: string;
  }[];
  return rows
    .map((r) => JSON.parse(r.json) as Learning)
    .filter((o) => o.created > l.created)
    .slice(0, limit);
}
