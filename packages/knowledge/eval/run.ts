// Offline retrieval evaluation: recall@5, MRR and nDCG@10 for `search` and `context`, against plain BM25
// over the same text. Run: `node eval/run.ts` (after `turbo run build --filter=@habitat/knowledge`).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildContext, KnowledgeIndex, type Learning, searchKnowledge } from '@habitat/knowledge';
import Database from 'better-sqlite3';

interface Data {
  learnings: { id: string; title: string; body: string; tags: string[]; project: string }[];
  queries: { query: string; relevant: string[] }[];
}
const data = JSON.parse(readFileSync(new URL('./dataset.json', import.meta.url), 'utf8')) as Data;
const dir = mkdtempSync(path.join(tmpdir(), 'habitat-eval-'));

const index = new KnowledgeIndex(path.join(dir, 'knowledge.db'));
index.db.transaction(() => {
  for (const l of data.learnings) {
    const learning: Learning = {
      ...l,
      scope: { kind: 'project', name: l.project },
      status: 'active',
      confidence: 0.5,
      provenance: [{ source: 'person', time: '2026-01-01T00:00:00Z' }],
      supersedes: [],
      conflictsWith: [],
      created: '2026-01-01T00:00:00Z',
      updated: '2026-01-01T00:00:00Z',
    };
    index.put(learning);
  }
})();

// Baseline: plain BM25 (FTS5 defaults: one column, unicode61, no stemming), the query's words OR'ed.
const plain = new Database(':memory:');
plain.exec('CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, text)');
const insert = plain.prepare('INSERT INTO docs (id, text) VALUES (?, ?)');
for (const l of data.learnings) insert.run(l.id, `${l.title} ${l.body} ${l.tags.join(' ')}`);
const plainSearch = (query: string): string[] => {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) return [];
  return (
    plain
      .prepare('SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10')
      .all(words.map((w) => `"${w}"`).join(' OR ')) as { id: string }[]
  ).map((r) => r.id);
};

function metrics(rank: (q: string) => string[]) {
  let recall5 = 0;
  let mrr = 0;
  let ndcg = 0;
  for (const { query, relevant } of data.queries) {
    const ids = rank(query);
    const rel = new Set(relevant);
    recall5 += ids.slice(0, 5).filter((id) => rel.has(id)).length / rel.size;
    const first = ids.findIndex((id) => rel.has(id));
    mrr += first >= 0 ? 1 / (first + 1) : 0;
    const dcg = ids.slice(0, 10).reduce((s, id, i) => s + (rel.has(id) ? 1 / Math.log2(i + 2) : 0), 0);
    const ideal = [...rel].slice(0, 10).reduce((s, _, i) => s + 1 / Math.log2(i + 2), 0);
    ndcg += dcg / ideal;
  }
  const n = data.queries.length;
  return { recall5: recall5 / n, mrr: mrr / n, ndcg10: ndcg / n };
}

const search = metrics((q) => searchKnowledge(index, q, { limit: 10 }).map((h) => h.learning.id));
const baseline = metrics(plainSearch);
let contextRecall = 0;
let contextPrecision = 0;
let contextTokens = 0;
const context = metrics((q) => {
  const c = buildContext(index, { task: q });
  const ids = c.hits.map((h) => h.learning.id);
  const rel = new Set(data.queries.find((x) => x.query === q)!.relevant);
  contextRecall += ids.some((id) => rel.has(id)) ? 1 : 0;
  contextPrecision += ids.length ? ids.filter((id) => rel.has(id)).length / ids.length : 0;
  contextTokens += c.tokens;
  return ids;
});
const n = data.queries.length;
const fmt = (m: { recall5: number; mrr: number; ndcg10: number }) =>
  `recall@5 ${m.recall5.toFixed(3)}  MRR ${m.mrr.toFixed(3)}  nDCG@10 ${m.ndcg10.toFixed(3)}`;
console.log(`${data.learnings.length} learnings, ${n} queries`);
console.log(`plain BM25 (baseline)  ${fmt(baseline)}`);
console.log(`habitat search         ${fmt(search)}`);
console.log(
  `habitat context        ${fmt(context)}  (answer in brief ${(contextRecall / n).toFixed(3)}, precision ${(contextPrecision / n).toFixed(3)}, ${Math.round(contextTokens / n)} tokens avg)`,
);

if (process.argv.includes('--failures')) {
  for (const { query, relevant } of data.queries) {
    const ids = searchKnowledge(index, query, { limit: 5 }).map((h) => h.learning.id);
    if (!ids.some((id) => relevant.includes(id))) {
      const want = data.learnings.find((l) => l.id === relevant[0])!;
      const got = data.learnings.find((l) => l.id === ids[0]);
      console.log(`\nQ: ${query}\n  want: ${want.body}\n  got:  ${got?.body ?? '(nothing)'}`);
    }
  }
}
