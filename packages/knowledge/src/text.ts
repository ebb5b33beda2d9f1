// Text helpers shared by retrieval, dedup and extraction.

const STOPWORDS = new Set(
  `a an and are as at be been but by can could did do does doing for from had has have how i if in into is it its
  just may me might more most must my no not of on or our should so such than that the their them then there these
  they this those to too us was we were what when where which while who why will with would you your about after
  again all also any because before being between both each few further here itself more once only other own same
  some very get got use used using need needs want wants make makes way thing things happen happens`
    .split(/\s+/)
    .filter(Boolean),
);

/** Lowercase word tokens, stopwords removed, in order, unique. */
export function keyTerms(text: string): string[] {
  const seen = new Set<string>();
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}_.-]*[\p{L}\p{N}]|[\p{L}\p{N}]/gu) ??
    []) {
    for (const part of word.split(/[.-]/)) {
      if (part.length < 2 || STOPWORDS.has(part)) continue;
      seen.add(part);
    }
  }
  return [...seen];
}

/** A crude stem, good enough to compare terms across inflections (the FTS index uses porter). */
export function stem(term: string): string {
  return term.replace(/(ing|ed|es|s|ly|er|ation|ions?)$/, '').slice(0, 7);
}

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

/** Two statements about the same thing where exactly one negates, or they give different numbers. */
export function contradicts(a: string, b: string): boolean {
  if (similarity(a, b) < 0.45) return false;
  if (NEGATION.test(a) !== NEGATION.test(b)) return true;
  const numbers = (s: string) =>
    (s.match(/\b\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|%|mb|gb|k)?\b/gi) ?? []).map((n) =>
      n.replace(/\s+/g, '').toLowerCase(),
    );
  const na = numbers(a);
  const nb = numbers(b);
  return na.length > 0 && nb.length > 0 && na.join() !== nb.join() && !na.some((n) => nb.includes(n));
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
