// Text helpers shared by retrieval, dedup and extraction.
import { stemmer } from 'stemmer';

const STOPWORDS = new Set(
  `a an and are as at be been but by can could did do does doing for from had has have how i if in into is it its
  just may me might more most must my no not of on or our should so such than that the their them then there these
  they this those to too us was we were what when where which while who why will with would you your about after
  again all also any because before being between both each few further here itself more once only other own same
  some very get got use used using need needs want wants make makes way thing things happen happens`
    .split(/\s+/)
    .filter(Boolean),
);

const RUN = /[\p{L}\p{N}_.-]+/gu;
const ASCII_RUN = /[a-z0-9_.-]+/g;
const EDGES = /^[_.-]+|[_.-]+$/g;

/**
 * Lowercase word tokens, stopwords removed, in order, unique. A token is a run of letters, digits, `_`, `.` and
 * `-` without the punctuation at its ends, split at `.` and `-` (`node.js` -> node, js; `since_id` stays).
 * Pure-ASCII text (most of it) takes a plain regex, faster than the Unicode classes.
 */
export function keyTerms(text: string): string[] {
  const lower = text.toLowerCase();
  const seen = new Set<string>();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point
  const runs = /^[\x00-\x7f]*$/.test(lower) ? lower.match(ASCII_RUN) : lower.match(RUN);
  for (const run of runs ?? []) {
    const token = /^[_.-]|[_.-]$/.test(run) ? run.replace(EDGES, '') : run;
    if (!token.includes('.') && !token.includes('-')) {
      if (token.length >= 2 && !STOPWORDS.has(token)) seen.add(token);
      continue;
    }
    for (const part of token.split(/[.-]/)) if (part.length >= 2 && !STOPWORDS.has(part)) seen.add(part);
  }
  return [...seen];
}

/** The porter stem of a term, as the FTS index's porter tokenizer stems it (so both sides agree). */
export function stem(term: string): string {
  let s = stems.get(term);
  if (s === undefined) {
    s = stemmer(term);
    // Ranking stems the same few thousand words again and again: remember them (bounded).
    if (stems.size > 50_000) stems.clear();
    stems.set(term, s);
  }
  return s;
}
const stems = new Map<string, string>();

/** Jaccard similarity of two texts' stemmed key terms. */
export function similarity(a: string, b: string): number {
  const sa = new Set(keyTerms(a).map(stem));
  const sb = new Set(keyTerms(b).map(stem));
  if (sa.size === 0 || sb.size === 0) return 0;
  let inter = 0;
  for (const t of sa) if (sb.has(t)) inter++;
  return inter / (sa.size + sb.size - inter);
}

const NEGATION =
  /\b(not|never|no longer|don't|doesn't|do not|does not|cannot|can't|won't|avoid|instead of|isn't|aren't|fails?)\b/i;

/** Words a newer statement uses when a fact changed: "no longer", "was removed", "replaced", ... */
const CHANGED =
  /\b(no longer|any ?more|was removed|were removed|is gone|are gone|was deleted|replaced|instead of|shut down|retired|deprecated|switched (?:from|to)|stopped|phased out|in favou?r of|bumped (?:from|to)|re-enabled|(?:was|were) turned (?:off|on)|is back)\b/i;
const NOW = /\b(now|since|raised|lowered|increased|decreased|changed|moved|upgraded|migrated|switched)\b/i;
/** "moved from X to Y", "raised from 2 GB to 5 GB": X is what the older statement said. */
const FROM_TO = /\bfrom\s+((?:[^\s,;]+\s+){0,5}?[^\s,;]+)\s+to\b/gi;

/**
 * The newer text says something the older one states is gone ("no longer runs helm", "LaunchDarkly was replaced",
 * "instead of 30"): a change word with, within four words of it in the same clause, a term of the older text.
 * A change word about something else ("replaced the parser" next to a note on flags) is no contradiction.
 */
function changedAbout(newerText: string, olderStems: Set<string>): boolean {
  for (const clause of newerText.split(/[.;:!?]\s+|\n+/)) {
    const m = CHANGED.exec(clause);
    if (!m) continue;
    const before = clause.slice(0, m.index).split(/\s+/).slice(-4).join(' ');
    const after = clause
      .slice(m.index + m[0].length)
      .split(/\s+/)
      .slice(0, 5)
      .join(' ');
    if (keyTerms(`${before} ${after}`).some((t) => t.length > 1 && olderStems.has(stem(t)))) return true;
  }
  return false;
}

function numbersOf(s: string): string[] {
  return (s.match(/\b\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|%|mb|gb|tb|k)?\b/gi) ?? []).map((n) =>
    n.replace(/\s+/g, '').toLowerCase(),
  );
}

/**
 * Why `newer` contradicts `older` (two statements about the same subject where the fact changed), or
 * undefined. Same subject: enough shared key terms (Jaccard of stems). Changed fact: the newer says what it
 * changed from ("moved from X to Y", with X in the older), says the old fact is gone ("no longer",
 * "replaced", ...), gives other numbers, or exactly one of them negates.
 */
export function contradiction(
  older: { title?: string; body: string },
  newer: { title?: string; body: string },
): string | undefined {
  // The title is part of the statement: "X moved from A to B" is often said there and nowhere else.
  const olderText = older.title ? `${older.title}. ${older.body}` : older.body;
  const newerText = newer.title ? `${newer.title}. ${newer.body}` : newer.body;
  const sim = similarity(olderText, newerText);
  if (sim < 0.12) return undefined;
  const olderStems = new Set(keyTerms(olderText).map(stem));
  for (const m of newerText.matchAll(FROM_TO)) {
    const was = keyTerms(m[1]!).filter((t) => t.length >= 2);
    // A bare number ("from 60 s to 10 s") names no subject: it needs the texts to be about the same thing.
    const named = was.some((t) => !/^\d/.test(t));
    if (was.length && was.every((t) => olderStems.has(stem(t))) && (named || sim >= 0.2))
      return `changed from "${m[1]}"`;
  }
  if (sim < 0.2) return undefined;
  if (changedAbout(newerText, olderStems) && !CHANGED.test(olderText))
    return 'the newer says the old fact is gone';
  const na = numbersOf(olderText);
  const nb = numbersOf(newerText);
  const numbersDiffer =
    na.length > 0 && nb.length > 0 && na.some((n) => !nb.includes(n)) && nb.some((n) => !na.includes(n));
  if (numbersDiffer && (sim >= 0.3 || NOW.test(newerText))) return 'other numbers';
  if (sim >= 0.45 && NEGATION.test(olderText) !== NEGATION.test(newerText)) return 'one negates the other';
  return undefined;
}

/**
 * The two statements give a different value: each has a number the other does not, or exactly one negates. Says
 * nothing about the subject: callers check that first (subject.ts).
 */
export function differsInValue(
  a: { title?: string; body: string },
  b: { title?: string; body: string },
): boolean {
  const ta = a.title ? `${a.title}. ${a.body}` : a.body;
  const tb = b.title ? `${b.title}. ${b.body}` : b.body;
  const na = numbersOf(ta);
  const nb = numbersOf(tb);
  if (na.length > 0 && nb.length > 0 && na.some((n) => !nb.includes(n)) && nb.some((n) => !na.includes(n)))
    return true;
  return NEGATION.test(ta) !== NEGATION.test(tb);
}

/** Two statements about the same thing where the fact differs (either order). */
export function contradicts(a: string, b: string): boolean {
  return (
    contradiction({ body: a }, { body: b }) !== undefined ||
    contradiction({ body: b }, { body: a }) !== undefined
  );
}

/** Rough token count (about four characters a token). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** A title from a statement: its first sentence or clause, at most ~80 characters. */
export function titleOf(text: string): string {
  const first = text.trim().split(/(?<=[.!?])\s+|\n/)[0] ?? text;
  let clean = first.replace(/[.!?]+$/, '').trim();
  // A long sentence: its first clause usually names the thing.
  if (clean.length > 80) clean = clean.split(/\s*[;:—]\s+|\s+-\s+/)[0]!.trim();
  return clean.length <= 80 ? clean : `${clean.slice(0, 77).replace(/\s+\S*$/, '')}…`;
}

/**
 * Words engineers use for the same thing. Queries are expanded with their group so "throttled" finds a lesson
 * about rate limits and "junk folder" one about spam. General vocabulary, not tied to any project; extend it
 * as a fleet's own words show up (or plug in an embedding retriever).
 */
export const SYNONYM_GROUPS: string[][] = [
  ['throttled', 'throttling', 'throttle', 'rate', 'limit', '429', 'quota'],
  ['paging', 'page', 'paginate', 'pagination', 'cursor'],
  ['switch', 'failover', 'fail-over', 'stale', 'dns'],
  ['junk', 'spam', 'bounce', 'deliverability'],
  ['bill', 'cost', 'costs', 'egress', 'spend'],
  ['download', 'bundle', 'size', 'large'],
  ['slow', 'faster', 'speed', 'latency', 'performance', 'cache'],
  ['memory', 'oom', 'leak', 'heap', 'ram'],
  ['disappear', 'lose', 'lost', 'drop', 'drops', 'missing', 'evict'],
  ['login', 'session', 'oauth', 'refresh', 'credentials'],
  ['token', 'tokens', 'jwt'],
  ['clients', 'connections', 'pool'],
  ['blocking', 'lock', 'locks', 'downtime'],
  ['pods', 'containers', 'container'],
  ['noisy', 'fatigue', 'pages', 'paging'],
  ['flaky', 'flakes', 'random', 'intermittent'],
  ['health', 'readiness', 'liveness', 'probe'],
  ['proxy', 'tls', 'certificate', 'ca'],
  ['disk', 'logs', 'rotate'],
  ['restore', 'backup', 'backups'],
  ['forever', 'loop', 'loops', 'retrying', 'turns'],
];

const SYNONYMS = new Map<string, string[]>();
for (const group of SYNONYM_GROUPS)
  for (const word of group)
    SYNONYMS.set(word, [...(SYNONYMS.get(word) ?? []), ...group.filter((w) => w !== word)]);

/** Related words for a term (empty when none are known). */
export function synonymsOf(term: string): string[] {
  return SYNONYMS.get(term) ?? [];
}
