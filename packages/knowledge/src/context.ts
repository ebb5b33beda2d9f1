// The brief handed to the next session: the few learnings that matter for its task, within a token budget.
// A learning is in it only with enough absolute evidence (not relative to the best hit), so an unrelated
// task gets an empty brief; a stale learning comes after the newer one that contradicts it, marked.
import { BRIEF_COEFFICIENTS } from './brief-coefficients.js';
import { type BriefModel, briefFeatures, briefProbability, type DenseProfile } from './brief-model.js';
import type { KnowledgeIndex } from './index-db.js';
import { DEFAULT_TUNING, type SearchOptions, searchKnowledge, staleOf } from './search.js';
import { laterOfSameScope, subjectOverlap } from './subject.js';
import { estimateTokens, keyTerms, similarity } from './text.js';
import type { KnowledgeHit, Learning } from './types.js';

export interface ContextOptions {
  task: string;
  agent?: string;
  project?: string;
  /** token budget (default 1,500; about four characters a token) */
  budgetTokens?: number;
  /**
   * An evidence cut instead of the model (share of the task's IDF mass covered, after the scope boost; the rule
   * before the model, kept for the eval's comparisons)
   */
  threshold?: number;
  /** the brief's model (default: BRIEF_COEFFICIENTS, fitted by eval/fit-brief.ts) */
  model?: BriefModel;
  /** the brief's other knobs, for the eval (defaults: BRIEF_RULE) */
  rule?: Partial<BriefRule>;
  /** ranking knobs, for the eval */
  tuning?: SearchOptions['tuning'];
  /** now, for `validUntil` (default: the clock) */
  now?: Date;
  /**
   * Ids a dense retriever ranks near the top for a passage of the task (see `buildContextHybrid`): a lexical hit
   * both retrievers agree on needs only DENSE_AGREEMENT of the evidence cut.
   */
  agreed?: (passage: string) => ReadonlySet<string>;
  /**
   * Where a dense retriever puts every learning for a passage of the task (see `buildContextHybrid`): with it the
   * brief is decided by `denseModel` (a model fitted with the dense features) instead of `model` + `agreed`.
   */
  dense?: (passage: string) => DenseProfile | undefined;
  /** the brief's model when `dense` is given */
  denseModel?: BriefModel;
}

export interface Context {
  /** markdown, empty when nothing relevant is known */
  markdown: string;
  hits: KnowledgeHit[];
  tokens: number;
  /** what each learning in the brief cost, in order (for `recordBrief`) */
  served: { id: string; tokens: number }[];
}

/**
 * The evidence cut of the rule before the model (calibrated on the eval's tuning half); still the cut of the
 * dense-agreement path (see DENSE_AGREEMENT) and of `threshold`.
 */
export const BRIEF_THRESHOLD = 0.35;

/**
 * A hit that the dense retriever also ranks first for the passage (DENSE_TOP), at a cosine of at least
 * DENSE_MIN_COSINE, gets in at the plain evidence cut (times DENSE_AGREEMENT) even when the brief's model says no:
 * two retrievers that work differently agreeing is evidence too (a paraphrase shares few words). Chosen on the
 * eval's tuning half with a real model (Universal Sentence Encoder lite, `node eval/run.ts --embeddings auto
 * --split tune --dense`): the earlier rule (top 3, any cosine, 0.6 of the cut) took answer-present 0.818 -> 0.879
 * but false briefs 0.063 -> 0.250; this one 0.848 with false briefs unchanged at 0.063. The cosine cut is that
 * model's scale: measure another model before trusting it (eval/README.md).
 */
export const DENSE_AGREEMENT = 1;
export const DENSE_TOP = 1;
export const DENSE_MIN_COSINE = 0.6;

export interface BriefRule {
  /**
   * Evidence multipliers by scope match: a learning of the asker's own agent or project is likelier to be about
   * its task than another project's that shares the words (which still gets in on a strong match).
   */
  boost: Record<KnowledgeHit['scopeMatch'], number>;
  /** same-subject cut of the "older" rule (default SAME_SUBJECT_IN_BRIEF) */
  sameSubject?: number;
  /** look for newer same-subject learnings with a search for each briefed learning's title (default true) */
  subjectSearch?: boolean;
  /** how many of the best hits get a search for a newer same-subject statement (default SUBJECT_SEARCHES) */
  subjectSearches?: number;
  /** share of the evidence cut a hit the dense retriever agrees on needs (default DENSE_AGREEMENT) */
  denseAgreement?: number;
  /** how many of the dense retriever's nearest count as agreeing (default DENSE_TOP; `buildContextHybrid`) */
  denseTop?: number;
  /** the cosine a dense neighbour needs to count as agreeing (default DENSE_MIN_COSINE; `buildContextHybrid`) */
  denseMinCosine?: number;
  /** `false`: the hybrid brief uses the agreement rule (denseTop/denseAgreement/denseMinCosine), not the dense model */
  denseModel?: boolean;
}

/** Chosen on the eval's tuning half (was agent 1.15, project 1.1, org 1, other 1). */
export const BRIEF_RULE: BriefRule = {
  boost: { agent: 1.25, project: 1.2, org: 1.05, other: 0.9 },
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
      : hit.stale.reason === 'older'
        ? ` **[older: ${hit.stale.by} of ${hit.stale.since.slice(0, 10)} is about the same and newer; check this still holds]**`
        : ` **[stale: valid until ${hit.stale.since.slice(0, 10)}]**`
    : '';
  const rest = bodyAfterTitle(l.title, l.body.replace(/\s+/g, ' ').trim());
  return `- **${l.title}**${stale}${rest ? ` — ${rest}` : ''} _(${meta.join(' · ')})_\n`;
}

/**
 * The body without the words the title already says: a title is often the body's first clause, and a brief
 * that reads "**X** — X; then…" spends the agent's attention twice on X.
 */
export function bodyAfterTitle(title: string, body: string): string {
  const head = title.replace(/[\s.…:;,]+$/u, '');
  if (head.length < 8 || !body.toLowerCase().startsWith(head.toLowerCase())) return body;
  return body
    .slice(head.length)
    .replace(/^[\s.…:;,—–-]+/u, '')
    .trim();
}

/** Same subject: stemmed key-term Jaccard at least this (on the first eval set: 19 of 20 changed facts, 3 of 723 other pairs of a project). */
export const SAME_SUBJECT = 0.2;
/** ... and written at least this much later. */
const LATER_MS = 30 * 86_400_000;

const sameScope = (a: Learning, b: Learning) =>
  a.scope.kind === b.scope.kind &&
  (a.scope.kind === 'org' || a.scope.name === (b.scope as { name: string }).name);

/**
 * Same subject, within a brief: IDF-weighted stem overlap at least this (subject.ts), or the plain Jaccard of
 * SAME_SUBJECT. Both learnings also matched the task, which is evidence of a shared subject too. Chosen on the
 * eval's tuning half (`run.ts --subject`): the lowest cut that marks no pair "older" that is not a changed fact.
 */
export const SAME_SUBJECT_IN_BRIEF = 0.175;
/**
 * How many of the brief's best hits get a search of their own for a newer statement (each costs one small FTS
 * query). Every briefed learning (at most 12): an older fact briefed in fourth place without its newer
 * statement misleads as much as one in first place.
 */
export const SUBJECT_SEARCHES = 12;

/** The newest active learning of the hit's scope about the same subject, written a month or more later. */
function newerOnSameSubject(
  index: KnowledgeIndex,
  hit: KnowledgeHit,
  candidates: KnowledgeHit[],
  minOverlap: number,
): KnowledgeHit | undefined {
  const l = hit.learning;
  let found: KnowledgeHit | undefined;
  for (const c of candidates) {
    const o = c.learning;
    if (o.id === l.id || c.stale || o.status !== 'active' || !sameScope(l, o)) continue;
    if (Date.parse(o.created) - Date.parse(l.created) < LATER_MS) continue;
    if (found && found.learning.created >= o.created) continue;
    if (
      similarity(`${l.title}. ${l.body}`, `${o.title}. ${o.body}`) >= SAME_SUBJECT ||
      subjectOverlap(index, l, o) >= minOverlap
    )
      found = c;
  }
  return found;
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

/** Up to this many key terms, a task is one passage. */
const PASSAGE_TERMS = 16;
/** At most this many passages are searched for one task (each is a search). */
const MAX_PASSAGES = 12;

const sentencesOf = (text: string) => text.split(/(?<=[.!?:;])\s+|\n+/).filter((s) => keyTerms(s).length > 0);

/**
 * A task split into passages of a few sentences, each about PASSAGE_TERMS key terms or fewer, and, for a passage of
 * more than one sentence, each of its sentences too (at most MAX_PASSAGES in all). The evidence is the share of a
 * passage's information a learning covers, so one relevant sentence next to others no learning knows ("fetch new
 * tweets …. Stay under the twitter API rate limit.") must be judged on its own as well as with its neighbours.
 */
export function passagesOf(task: string): string[] {
  const sentences = sentencesOf(task);
  const groups: string[][] = [];
  if (keyTerms(task).length <= PASSAGE_TERMS) groups.push(sentences.length ? sentences : [task]);
  else {
    let current: string[] = [];
    for (const s of sentences) {
      if (current.length && keyTerms([...current, s].join(' ')).length > PASSAGE_TERMS) {
        groups.push(current);
        current = [s];
      } else current.push(s);
    }
    if (current.length) groups.push(current);
  }
  const whole = groups.map((g) => (groups.length === 1 && g.length > 0 ? task : g.join(' ')));
  const parts = groups.filter((g) => g.length > 1).flat();
  const out = [...new Set([...whole, ...parts])];
  return out.slice(0, MAX_PASSAGES);
}

/** Build a short markdown brief of the most relevant learnings for a task. */
export function buildContext(index: KnowledgeIndex, options: ContextOptions): Context {
  const budget = options.budgetTokens ?? 1500;
  const threshold = options.threshold ?? BRIEF_THRESHOLD;
  const rule = { ...BRIEF_RULE, ...options.rule };
  const model = options.model ?? BRIEF_COEFFICIENTS;
  // Every learning the searches found, in the brief or not: where a newer one on the same subject is looked for.
  const pool = new Map<string, KnowledgeHit>();
  const search = (text: string) => {
    const agreed = options.agreed?.(text);
    const hits = searchKnowledge(index, text, {
      limit: 12,
      ...(options.agent ? { agent: options.agent } : {}),
      ...(options.project ? { project: options.project } : {}),
      ...(options.tuning ? { tuning: options.tuning } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    for (const h of hits) if (!pool.has(h.learning.id)) pool.set(h.learning.id, h);
    const cut = (h: KnowledgeHit) =>
      h.evidence * rule.boost[h.scopeMatch] >=
      threshold * (agreed?.has(h.learning.id) ? (rule.denseAgreement ?? DENSE_AGREEMENT) : 1);
    const dense = options.denseModel ? options.dense?.(text) : undefined;
    return hits.filter((h, i) =>
      options.threshold !== undefined
        ? cut(h)
        : dense
          ? briefProbability(briefFeatures(hits, i, dense), options.denseModel) >= options.denseModel!.cut
          : briefProbability(briefFeatures(hits, i), model) >= model.cut ||
            (agreed?.has(h.learning.id) === true && cut(h)),
    );
  };
  // A long task (an agent's whole prompt) is judged passage by passage: the evidence is the share of a
  // passage's information a learning covers, and one relevant sentence in a long prompt must still count.
  const best = new Map<string, KnowledgeHit>();
  for (const passage of passagesOf(options.task))
    for (const hit of search(passage)) {
      const seen = best.get(hit.learning.id);
      if (!seen || seen.score < hit.score) best.set(hit.learning.id, hit);
    }
  // A stale fact never goes out without the learning that replaces it: that one is about the same subject
  // and is the current fact, even when the task's words happen to match the older wording better.
  for (const hit of [...best.values()]) {
    const by = hit.stale?.reason === 'newer' ? hit.stale.by : undefined;
    if (!by || best.has(by)) continue;
    const newer = index.get(by);
    if (newer?.status !== 'active') continue;
    best.set(by, {
      learning: newer,
      score: hit.score / DEFAULT_TUNING.stale,
      evidence: hit.evidence,
      snippet: '',
      scopeMatch: hit.scopeMatch,
    });
  }
  // Two learnings of one scope about the same subject, written months apart, with no contradiction found on add
  // (the change was said in words the rules do not know: "stopped", "bumped to", "we left"): the newer goes
  // first and the older is marked as older, to be checked, not as contradicted.
  const subjectCut = options.rule?.sameSubject ?? SAME_SUBJECT_IN_BRIEF;
  // The few best hits only (what the brief leads with); the pool first, a search only when it has nothing.
  const leading = new Set(
    [...best.values()]
      .sort((a, b) => b.score - a.score)
      .slice(0, options.rule?.subjectSearches ?? SUBJECT_SEARCHES)
      .map((h) => h.learning.id),
  );
  for (const hit of [...best.values()]) {
    if (hit.stale) continue;
    // Where a newer statement of the same fact is looked for: everything the task's searches found, and what a
    // search for this learning's own title finds (the newer one may say it in words the task does not use).
    const found = [...pool.values(), ...best.values()];
    let newer = newerOnSameSubject(index, hit, found, subjectCut);
    if (!newer && leading.has(hit.learning.id) && options.rule?.subjectSearch !== false) {
      const own = laterOfSameScope(index, hit.learning)
        .filter((o) => !pool.has(o.id))
        .map((learning): KnowledgeHit => {
          const stale = staleOf(index, learning, options.now);
          return {
            learning,
            score: hit.score,
            evidence: hit.evidence,
            snippet: '',
            scopeMatch: hit.scopeMatch,
            ...(stale ? { stale } : {}),
          };
        });
      if (own.length) newer = newerOnSameSubject(index, hit, own, subjectCut);
    }
    if (!newer) continue;
    best.set(hit.learning.id, {
      ...hit,
      stale: { by: newer.learning.id, since: newer.learning.created, reason: 'older' },
    });
    if (!best.has(newer.learning.id)) best.set(newer.learning.id, { ...newer, score: hit.score });
  }
  const relevant = orderFresh([...best.values()].sort((a, b) => b.score - a.score).slice(0, 12));
  if (relevant.length === 0) return { markdown: '', hits: [], tokens: 0, served: [] };
  const header =
    '## What earlier sessions learned (habitat knowledge)\n\nCheck these before you start; they may save you a detour. Newer facts come first; a stale one is marked.\n\n';
  let markdown = header;
  const used: KnowledgeHit[] = [];
  const served: Context['served'] = [];
  for (const hit of relevant) {
    const entry = entryOf(hit);
    if (estimateTokens(markdown + entry) > budget) {
      if (used.length === 0) {
        const room = Math.max(0, budget * 4 - markdown.length - 20);
        markdown += `${entry.slice(0, room)}…\n`;
        used.push(hit);
        served.push({ id: hit.learning.id, tokens: estimateTokens(entry.slice(0, room)) });
      }
      break;
    }
    markdown += entry;
    used.push(hit);
    served.push({ id: hit.learning.id, tokens: estimateTokens(entry) });
  }
  return { markdown, hits: used, tokens: estimateTokens(markdown), served };
}
