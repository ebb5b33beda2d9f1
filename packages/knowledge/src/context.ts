// The brief handed to the next session: the few learnings that matter for its task, within a token budget.
import type { KnowledgeIndex } from './index-db.js';
import { searchKnowledge } from './search.js';
import { estimateTokens } from './text.js';
import type { KnowledgeHit } from './types.js';

export interface ContextOptions {
  task: string;
  agent?: string;
  project?: string;
  /** token budget (default 1,500; about four characters a token) */
  budgetTokens?: number;
  /** keep hits scoring at least this fraction of the best (default 0.7): nothing irrelevant */
  relativeThreshold?: number;
}

export interface Context {
  /** markdown, empty when nothing relevant is known */
  markdown: string;
  hits: KnowledgeHit[];
  tokens: number;
}

/** Build a short markdown brief of the most relevant learnings for a task. */
export function buildContext(index: KnowledgeIndex, options: ContextOptions): Context {
  const budget = options.budgetTokens ?? 1500;
  const hits = searchKnowledge(index, options.task, {
    limit: 12,
    ...(options.agent ? { agent: options.agent } : {}),
    ...(options.project ? { project: options.project } : {}),
  });
  if (hits.length === 0) return { markdown: '', hits: [], tokens: 0 };
  const best = hits[0]!.score;
  const relevant = hits.filter((h) => h.score >= best * (options.relativeThreshold ?? 0.7));
  const header =
    '## What earlier sessions learned (habitat knowledge)\n\nCheck these before you start; they may save you a detour.\n\n';
  let markdown = header;
  const used: KnowledgeHit[] = [];
  for (const hit of relevant) {
    const l = hit.learning;
    const entry = `- **${l.title}** — ${l.body.replace(/\s+/g, ' ').trim()} _(${l.id}${l.tags.length ? `; ${l.tags.join(', ')}` : ''})_\n`;
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
