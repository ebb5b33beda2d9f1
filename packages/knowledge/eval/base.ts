// The eval's knowledge base and query sets, shared by run.ts (the figures) and fit-brief.ts (the brief's model):
// every learning through addLearning, oldest first, dated; the splits fixed by set and by a hash of the query id.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addLearning, KnowledgeIndex } from '@habitat/knowledge';

export interface EvalLearning {
  id: string;
  project: string;
  created: string;
  tags: string[];
  title: string;
  body: string;
}
export interface Query {
  id: string;
  project: string;
  kind: 'plain' | 'newer' | 'cross' | 'none';
  query: string;
  relevant: string[];
  older?: string;
}
const read = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8')) as T;
// The second set (fresh-*.json, session 2) was written after the first set's held-out half had been looked at
// (one rule came from a held-out miss): its queries were committed before any of the changes they measure, and
// they are never used to tune. Its learnings join the same knowledge base (more distractors for everyone).
// A third set (fresh2-*.json: 10 dated contradicting pairs and a query each) was written at 12:35 UTC of session
// 2, after the contradiction rules of that session were final, and measured once: the supersession figure of a
// set no rule was written for.
// A fourth set (fresh3-*.json, session 3: 44 learnings incl. 12 dated pairs phrased without the usual change
// words, 67 queries: 16 no-answer, 12 contradiction, 10 cross) was committed before any change of session 3 and is
// never looked at query by query (`--failures` has no way to select it).
export const learnings = [
  ...read<EvalLearning[]>('./learnings.json'),
  ...read<EvalLearning[]>('./fresh-learnings.json'),
  ...read<EvalLearning[]>('./fresh2-learnings.json'),
  ...read<EvalLearning[]>('./fresh3-learnings.json'),
  ...read<EvalLearning[]>('./fresh4-learnings.json'),
  ...read<EvalLearning[]>('./fresh5-learnings.json'),
  ...read<EvalLearning[]>('./tune3-learnings.json'),
];
const fresh = read<Query[]>('./fresh-queries.json');
const freshIds = new Set(fresh.map((q) => q.id));
const fresh2 = read<Query[]>('./fresh2-queries.json');
const fresh2Ids = new Set(fresh2.map((q) => q.id));
const fresh3 = read<Query[]>('./fresh3-queries.json');
const fresh3Ids = new Set(fresh3.map((q) => q.id));
// A fifth set (fresh4-*.json, session 4: 12 learnings incl. 4 dated pairs, 2 twitter learnings and 2
// distractors; 44 queries: 9 no-answer, 10 contradiction, 7 cross) was committed before any change of session 4
// and is never looked at query by query.
const fresh4 = read<Query[]>('./fresh4-queries.json');
const fresh4Ids = new Set(fresh4.map((q) => q.id));
// A sixth set (fresh5-*.json, session 5: 11 learnings incl. 4 dated pairs and 3 distractors sharing surface words;
// 46 queries: 9 no-answer, 10 contradiction, 7 cross) was committed before any change of session 5 and is never
// looked at query by query.
const fresh5 = read<Query[]>('./fresh5-queries.json');
const fresh5Ids = new Set(fresh5.map((q) => q.id));
/** Learnings of the sets never looked at pair by pair (`--false-alarms` skips them). */
export const unseenLearningIds = new Set(
  [
    ...read<EvalLearning[]>('./fresh3-learnings.json'),
    ...read<EvalLearning[]>('./fresh4-learnings.json'),
    ...read<EvalLearning[]>('./fresh5-learnings.json'),
  ].map((l) => l.id),
);
// More tuning data (tune2-queries.json, session 4: 55 queries about the first set's learnings, 18 no-answer): the
// tuning half had 16 no-answer queries, too few to calibrate a false-brief rate (one query = 0.06). Written
// after reading the tuning half's misses; used for fitting with the tuning half (`fit-brief.ts --tune2`), never
// for reporting a target.
const tune2 = read<Query[]>('./tune2-queries.json');
const tune2Ids = new Set(tune2.map((q) => q.id));
// A third tuning set (tune3-*.json, session 6: 20 learnings incl. 6 dated pairs and 8 surface-word distractors;
// 168 queries: 51 no-answer, 17 contradiction, 14 cross), written before any fit of session 6 and without looking
// at a held-out split's queries: fitting data only (`fit-brief.ts --tune3`), never a reported target.
const tune3 = read<Query[]>('./tune3-queries.json');
const tune3Ids = new Set(tune3.map((q) => q.id));
export const queries = [
  ...read<Query[]>('./queries.json'),
  ...fresh,
  ...fresh2,
  ...fresh3,
  ...fresh4,
  ...fresh5,
  ...tune2,
  ...tune3,
];

/**
 * The held-out half of the first set: fixed by a hash of the query id, not tuned on; `fresh`: the second set,
 * never looked at query by query.
 */
export function splitOf(
  id: string,
): 'tune' | 'tune2' | 'tune3' | 'heldout' | 'fresh' | 'fresh2' | 'fresh3' | 'fresh4' | 'fresh5' {
  if (tune2Ids.has(id)) return 'tune2';
  if (tune3Ids.has(id)) return 'tune3';
  if (freshIds.has(id)) return 'fresh';
  if (fresh3Ids.has(id)) return 'fresh3';
  if (fresh4Ids.has(id)) return 'fresh4';
  if (fresh5Ids.has(id)) return 'fresh5';
  if (fresh2Ids.has(id)) return 'fresh2';
  let h = 2166136261;
  for (const c of id) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (h >>> 0) % 2 === 0 ? 'tune' : 'heldout';
}

// habitat: every learning through the add path, oldest first, dated.
const dir = mkdtempSync(path.join(tmpdir(), 'habitat-eval-'));
export const index = new KnowledgeIndex(path.join(dir, 'knowledge.db'));
export const stored = new Map<string, string>(); // dataset id -> stored id (a merged learning maps to the one it joined)
export let detected = 0;
export const outcomes: Record<string, number> = {};
for (const l of [...learnings].sort((a, b) => a.created.localeCompare(b.created))) {
  const r = await addLearning(index, path.join(dir, 'knowledge'), {
    text: l.body,
    title: l.title,
    tags: l.tags,
    scope: l.project === 'org' ? { kind: 'org' } : { kind: 'project', name: l.project },
    provenance: { source: 'person', time: `${l.created}T12:00:00.000Z` },
  });
  stored.set(l.id, r.learning.id);
  outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
}
const datasetIds = new Map<string, string[]>();
for (const [d, s] of stored) datasetIds.set(s, [...(datasetIds.get(s) ?? []), d]);
export const toDataset = (ids: string[]) => ids.map((id) => datasetIds.get(id)?.[0] ?? id);
/** Contradicting pairs detected on add, by the split of the query that asks about the pair. */
export const detectedBySplit: Record<string, { detected: number; pairs: number }> = {};
for (const q of queries.filter((q) => q.kind === 'newer')) {
  const s = detectedBySplit[splitOf(q.id)] ?? { detected: 0, pairs: 0 };
  detectedBySplit[splitOf(q.id)] = s;
  s.pairs++;
  const newer = index.get(stored.get(q.relevant[0]!)!)!;
  const older = index.get(stored.get(q.older!)!)!;
  if (
    newer.conflictsWith.includes(older.id) ||
    newer.supersedes.includes(older.id) ||
    older.status === 'superseded'
  ) {
    detected++;
    s.detected++;
  }
}
// Conflicts flagged between learnings that are not one of the dated pairs: false alarms.
export const truePairs = new Set(
  queries
    .filter((q) => q.kind === 'newer')
    .flatMap((q) => [`${q.older}|${q.relevant[0]}`, `${q.relevant[0]}|${q.older}`]),
);
export let falseConflicts = 0;
for (const l of index.all())
  for (const other of l.conflictsWith)
    if (!truePairs.has(`${toDataset([l.id])[0]}|${toDataset([other])[0]}`)) {
      falseConflicts++;
      if (
        process.argv.includes('--false-alarms') &&
        l.created > (index.get(other)?.created ?? '') &&
        // never a fresh3/fresh4/fresh5 learning: those sets are not looked at pair by pair
        ![l.id, other].some((id) => unseenLearningIds.has(toDataset([id])[0]!))
      )
        console.log(`false alarm: ${toDataset([other])[0]} -> ${toDataset([l.id])[0]}`);
    }
falseConflicts /= 2;
