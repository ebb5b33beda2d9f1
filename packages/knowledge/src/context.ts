// The brief handed to the next session: the few learnings that matter for its task, within a token budget.
// A learning is in it only with enough absolute evidence (not relative to the best hit), so an unrelated
// task gets an empty brief; a stale learning comes after the newer one that contradicts it, marked.
import type { KnowledgeIndex } from './index-db.js';
import { type SearchOptions, searchKnowledge } from './search.js';
import { estimateTokens } from './text.js';
import type { KnowledgeHit, Learning } from './types.js';

export interface ContextOptions {
  task: string;
  agent?: string;
  project?: string;
  /** token budget (default 1,500; about four characters a token) */
  budgetTokens?: number;
  /** minimum evidence (share of the task's IDF mass covered, after the scope boost) to be in the brief */
  threshold?: number;
  /** ranking knobs, for the eval */
  tuning?: SearchOptions['tuning'];
  /** now, for `validUntil` (default: the clock) */
  now?: Date;
}

export interface Context {
  /** markdown, empty when nothing relevant is known */
  markdown: string;
  hits: KnowledgeHit[];
  tokens: number;
}

/** Calibrated on the eval's tuning half: the lowest cut that keeps no-answer briefs under 10%. */
export const BRIEF_THRESHOLD = 0.35;

const EVIDENCE_BOOST: Record<KnowledgeHit['scopeMatch'], number> = {
  agent: 1.15,
  project: 1.1,
  org: 1,
  other: 1,
};

function scopeLabel(l: Learning): string {
  return l.scope.kind === 'org' ? 'org-wide' : `${l.scope.kind} ${l.scope.name}`;
}

function entryOf(hit: KnowledgeHit): string {
  const l = hit.learning;
  const meta = [l.id, scopeLabel(l), l.updated.slice(0, 10), ...(l.tags.length ? [l.tags.join(', ')] : [])];
  const stale = hit.stale
    ? hit.stale.reason === 'newer'
      ? ` **[stale: contradicted by ${hit.stale.by} of ${hit.stale.since.slice(0, 10)}]**`
      : ` **[stale: valid until ${hit.stale.since.slice(0, 10)}]**`
    : '';
  return `- **${l.title}**${stale} — ${l.body.replace(/\s+/g, ' ').trim()} _(${meta.join(' · ')})_\n`;
}

/** Stale hits move to just after the hit that makes them stale, when that one is in the brief. */
function orderFresh(hits: KnowledgeHit[]): KnowledgeHit[] {
  const out = hits.filter((h) => !h.stale);
  for (const h of hits.filter((h) => h.stale)) {
    const at = out.findIndex((o) => o.learning.id === h.stale!.by);
    if (at >= 0) out.splice(at + 1, 0, h);
    else out.push(h);
  }
  return out;
}

/** Build a short markdown brief of the most relevant learnings for a task. */
export function buildContext(index: KnowledgeIndex, options: ContextOptions): Context {
  const budget = options.budgetTokens ?? 1500;
  const threshold = options.threshold ?? BRIEF_THRESHOLD;
  const hits = searchKnowledge(index, options.task, {
    limit: 12,
    ...(options.agent ? { agent: options.agent } : {}),
    ...(options.project ? { project: options.project } : {}),
    ...(options.tuning ? { tuning: options.tuning } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const relevant = orderFresh(hits.filter((h) => h.evidence * EVIDENCE_BOOST[h.scopeMatch] >= threshold));
  if (relevant.length === 0) return { markdown: '', hits: [], tokens: 0 };
  const header =
    '## What earlier sessions learned (habitat knowledge)\n\nCheck these before you start; they may save you a detour. Newer facts come first; a stale one is marked.\n\n';
  let markdown = header;
  const used: KnowledgeHit[] = [];
  for (const hit of relevant) {
    const entry = entryOf(hit);
    if (estimateTokens(markdown + entry) > budget) {
      if (used.length === 0) {
        const room = Math.max(0, budget * 4 - markdown.length - 20);
        markdown += `${entry.slice(0, room)}…\n`;
        used.push(hit);
      }
      break;
    }
    markdown += entry;
    used.push(hit);
  }
  return { markdown, hits: used, tokens: estimateTokens(markdown) };
}
