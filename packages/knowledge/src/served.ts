// What the briefs cost and what they served: each run's brief is recorded (which learnings, how many tokens),
// so `habitat knowledge stats` shows how often each learning is handed out and which never are.
import type { Context } from './context.js';
import type { KnowledgeIndex } from './index-db.js';

export interface BriefRecord {
  runId?: string;
  agent?: string;
  project?: string;
  /** ISO time (default now) */
  time?: string;
}

/** Record a brief handed to a run (an empty one too: it shows how often nothing fits). Returns its id. */
export function recordBrief(index: KnowledgeIndex, context: Context, record: BriefRecord = {}): number {
  return index.db.transaction(() => {
    const { lastInsertRowid } = index.db
      .prepare(
        'INSERT INTO briefs (time, run_id, agent, project, tokens, learnings) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(
        record.time ?? new Date().toISOString(),
        record.runId ?? null,
        record.agent ?? null,
        record.project ?? null,
        context.tokens,
        context.served.length,
      );
    const insert = index.db.prepare('INSERT INTO served (brief, learning, rank, tokens) VALUES (?, ?, ?, ?)');
    for (const [rank, s] of context.served.entries()) insert.run(lastInsertRowid, s.id, rank, s.tokens);
    return Number(lastInsertRowid);
  })();
}

export interface LearningUse {
  id: string;
  title: string;
  status: string;
  /** briefs it was in */
  served: number;
  /** tokens it cost across them */
  tokens: number;
  lastServed?: string;
}

export interface KnowledgeStats {
  briefs: number;
  emptyBriefs: number;
  tokens: number;
  /** learnings served at least once, most served first */
  served: LearningUse[];
  /** active learnings no brief has served */
  neverServed: LearningUse[];
  /** the briefs of one run, when asked for */
  run?: { runId: string; time: string; tokens: number; learnings: { id: string; tokens: number }[] }[];
}

/** How the briefs used the knowledge base (since an ISO time, if given). */
export function knowledgeStats(
  index: KnowledgeIndex,
  options: { since?: string; runId?: string } = {},
): KnowledgeStats {
  const since = options.since ?? '';
  const totals = index.db
    .prepare(
      `SELECT count(*) AS briefs, coalesce(sum(learnings = 0), 0) AS empty, coalesce(sum(tokens), 0) AS tokens
       FROM briefs WHERE time >= ?`,
    )
    .get(since) as { briefs: number; empty: number; tokens: number };
  const rows = index.db
    .prepare(
      `SELECT l.id AS id, l.title AS title, l.status AS status,
              count(u.brief) AS served, coalesce(sum(u.tokens), 0) AS tokens, max(u.time) AS lastServed
       FROM learnings l
       LEFT JOIN (SELECT s.learning, s.brief, s.tokens, b.time FROM served s JOIN briefs b ON b.id = s.brief
                  WHERE b.time >= ?) u ON u.learning = l.id
       GROUP BY l.id
       ORDER BY served DESC, l.updated DESC`,
    )
    .all(since) as (LearningUse & { lastServed: string | null })[];
  const uses = rows.map(({ lastServed, ...r }) => ({ ...r, ...(lastServed ? { lastServed } : {}) }));
  const stats: KnowledgeStats = {
    briefs: totals.briefs,
    emptyBriefs: totals.empty,
    tokens: totals.tokens,
    served: uses.filter((u) => u.served > 0),
    neverServed: uses.filter((u) => u.served === 0 && u.status === 'active'),
  };
  if (options.runId) {
    const briefs = index.db
      .prepare('SELECT id, run_id AS runId, time, tokens FROM briefs WHERE run_id = ? ORDER BY id')
      .all(options.runId) as { id: number; runId: string; time: string; tokens: number }[];
    const served = index.db.prepare(
      'SELECT learning AS id, tokens FROM served WHERE brief = ? ORDER BY rank',
    );
    stats.run = briefs.map(({ id, ...b }) => ({
      ...b,
      learnings: served.all(id) as { id: string; tokens: number }[],
    }));
  }
  return stats;
}
