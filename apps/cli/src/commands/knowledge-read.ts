// `knowledge search` and `knowledge context`: what they do and print, shared by the full command
// (knowledge.ts, under commander) and its fast path (knowledge-fast.ts), so both answer the same way.
import { type CoordinatorSettings, formatTimestamp } from '@habitat/config';
import type { Context, KnowledgeHit, KnowledgeIndex, Learning } from '@habitat/knowledge';
import { contextJson, hitJson } from '../json-data.js';

export interface SearchFlags {
  project?: string;
  agent?: string;
  tags?: string[];
  pending?: boolean;
  limit: number;
  json?: boolean;
  /** times in UTC instead of the local zone (--utc) */
  utc?: boolean;
}

export interface ContextFlags {
  task: string;
  agent?: string;
  project?: string;
  budget: number;
  json?: boolean;
}

const write = (text: string): void => {
  process.stdout.write(text);
};

/**
 * To stderr: what a sync found wrong, and every learning file that does not parse — on each command, not only the
 * one whose sync read the file (the index keeps serving its last good version, which must not go unsaid).
 */
export function warnKnowledge(index: KnowledgeIndex, syncErrors: string[] = []): void {
  const broken = index.broken();
  for (const e of syncErrors)
    if (!broken.some((b) => e.startsWith(b.file))) process.stderr.write(`warning: ${e}\n`);
  for (const b of broken)
    process.stderr.write(
      `warning: ${b.error}; ${b.id ? `until it parses, the last good version of ${b.id} is served` : 'nothing of it is served'}: fix the front matter there (\`habitat knowledge lint\` lists every broken file)\n`,
    );
}

/** `--tags a, b` -> ['a', 'b']. */
export const listOf = (v: string | undefined): string[] =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

/** A hit's score as a share of the best hit's: `100%` for the top one. */
export function relevance(score: number, best: number): string {
  return best > 0 ? `${Math.round((score / best) * 100)}%` : '-';
}

export function scopeText(l: Learning): string {
  return l.scope.kind === 'org' ? 'org' : `${l.scope.kind}:${l.scope.name}`;
}

/** The configured embeddings endpoint, with its key from the environment (never from a file). */
export function embeddingsOf(settings: CoordinatorSettings) {
  const e = settings.knowledge?.embeddings;
  if (!e) return undefined;
  const apiKey = e.apiKeyEnv ? process.env[e.apiKeyEnv] : undefined;
  return {
    url: e.url,
    model: e.model,
    ...(apiKey ? { apiKey } : {}),
    ...(e.denseWeight !== undefined ? { denseWeight: e.denseWeight } : {}),
    ...(e.minCosine !== undefined ? { minCosine: e.minCosine } : {}),
  };
}

export async function runSearch(
  index: KnowledgeIndex,
  settings: CoordinatorSettings,
  query: string,
  flags: SearchFlags,
): Promise<void> {
  const options = {
    limit: flags.limit,
    ...(flags.project ? { project: flags.project } : {}),
    ...(flags.agent ? { agent: flags.agent } : {}),
    ...(flags.tags?.length ? { tags: flags.tags } : {}),
    ...(flags.pending ? { includePending: true } : {}),
  };
  const embeddings = embeddingsOf(settings);
  let hits: KnowledgeHit[];
  if (embeddings) {
    // Dense + BM25 by reciprocal rank; BM25 alone (with a warning) when the endpoint is down.
    const { searchHybrid } = await import('@habitat/knowledge');
    const result = await searchHybrid(index, query, { ...options, embeddings });
    if (result.warning) process.stderr.write(`warning: ${result.warning}\n`);
    hits = result.hits;
  } else {
    const { searchKnowledge } = await import('@habitat/knowledge');
    hits = searchKnowledge(index, query, options);
  }
  // Retracted learnings the query matches strongly are named (with why), never served as knowledge.
  const { retractedHits } = await import('@habitat/knowledge');
  const retracted = retractedHits(index, query, options);
  if (flags.json) return write(`${JSON.stringify(hits.map(hitJson), null, 2)}\n`);
  const when = (t: string) => formatTimestamp(t, { utc: flags.utc === true, seconds: false });
  let out = hits.length === 0 ? 'no learnings match\n' : '';
  // Raw scores are BM25 products (2.6e-6 on a small base) or RRF sums: only their order means something,
  // so each is shown against the best hit's; the match (`evidence` in JSON) is absolute (0..1, comparable across
  // queries). It is not named evidence here: beside `knowledge list`'s confidence it read as a second, contradicting
  // score of the learning, where it is how much of this query the learning covers.
  const best = hits[0]?.score ?? 0;
  for (const h of hits) {
    const p = h.learning.provenance.findLast((x) => !x.action);
    const stale = h.stale
      ? h.stale.reason === 'newer'
        ? `  [stale: contradicted by ${h.stale.by}]`
        : `  [stale: valid until ${h.stale.since}]`
      : '';
    out += `${h.learning.id}  ${h.learning.title}  (relevance ${relevance(h.score, best)}, query match ${h.evidence.toFixed(2)})${stale}\n`;
    out += `  ${h.snippet.replace(/\s+/g, ' ')}\n`;
    out += `  ${scopeText(h.learning)}${p ? ` · ${p.source}${p.agent ? ` by ${p.agent}` : ''}${p.sessionId ? ` in session ${p.sessionId}` : ''} at ${when(p.time)}` : ''}\n`;
  }
  for (const r of retracted)
    out += `retracted: ${r.learning.id}  ${r.learning.title}  (${r.reason ? `reason: ${r.reason}; ` : ''}retracted ${when(r.time)}; not served)\n`;
  write(out);
}

export async function runContext(
  index: KnowledgeIndex,
  settings: CoordinatorSettings,
  flags: ContextFlags,
): Promise<void> {
  const options = {
    task: flags.task,
    budgetTokens: flags.budget,
    ...(flags.agent ? { agent: flags.agent } : {}),
    ...(flags.project ? { project: flags.project } : {}),
  };
  const embeddings = embeddingsOf(settings);
  let context: Context;
  if (embeddings) {
    const { buildContextHybrid } = await import('@habitat/knowledge');
    const result = await buildContextHybrid(index, { ...options, embeddings });
    if (result.warning) process.stderr.write(`warning: ${result.warning}\n`);
    context = result.context;
  } else {
    const { buildContext } = await import('@habitat/knowledge');
    context = buildContext(index, options);
  }
  if (flags.json) write(`${JSON.stringify(contextJson(context), null, 2)}\n`);
  else if (context.markdown) write(context.markdown);
  // stdout stays empty (a script pastes the brief as it is); a person is told why nothing came
  else
    process.stderr.write(
      `no learning is relevant enough to brief for this task; \`habitat knowledge search <words>\` lists the candidates\n`,
    );
}
