// search p95 with 100,000 learnings; context latency; extraction overhead without the model call.
// Run: `node bench/bench.ts [count]` after `turbo run build --filter=@habitat/knowledge`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  buildContext,
  extractOffline,
  KnowledgeIndex,
  type Learning,
  searchKnowledge,
} from '@habitat/knowledge';

const count = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 100_000);
const dir = process.env.KB_DIR ?? mkdtempSync(path.join(tmpdir(), 'habitat-kbench-'));
const index = new KnowledgeIndex(path.join(dir, 'knowledge.db'));
const words =
  'postgres redis docker kubernetes pipeline cache queue worker deploy rollout migration index search upload email token oauth proxy certificate dns failover memory leak bundle locale latency throughput retry backoff rate limit cursor pagination schema lock backup restore alert page incident budget egress region cluster node pool connection timeout'.split(
    ' ',
  );
let seed = 7;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
// Real lessons draw on a large vocabulary with a few very common words (Zipf-like): 60 engineering words
// plus 4,000 rarer identifiers. `--narrow` keeps only the 60 (every query then matches most documents).
const narrow = process.argv.includes('--narrow');
const vocabulary = narrow
  ? words
  : [...words, ...Array.from({ length: 4000 }, (_, i) => `term${i.toString(36)}`)];
const pick = () => vocabulary[Math.floor(vocabulary.length * rand() ** 2.5)]!;
const sentence = (n: number) => Array.from({ length: n }, pick).join(' ');
let t = performance.now();
index.db.transaction(() => {
  for (let i = 0; i < count; i++) {
    const learning: Learning = {
      id: `k-${i.toString(36).padStart(8, '0')}`,
      title: `${sentence(6)} ${i}`,
      body: `${sentence(25)}. service-${i % 500} ${sentence(15)}.`,
      tags: [pick(), pick()],
      scope: i % 3 === 0 ? { kind: 'org' } : { kind: 'project', name: `p${i % 50}` },
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
console.log(
  `${narrow ? 'narrow vocabulary: ' : ''}indexed ${count} learnings in ${((performance.now() - t) / 1000).toFixed(1)}s`,
);

const queries = Array.from(
  { length: 200 },
  () => `how to fix ${pick()} ${pick()} when ${pick()} ${pick()} fails`,
);
const time = (fn: () => void) => {
  const s = performance.now();
  fn();
  return performance.now() - s;
};
for (const q of queries.slice(0, 20)) searchKnowledge(index, q); // warm-up
const search = queries.map((q) => time(() => searchKnowledge(index, q, { limit: 10 }))).sort((a, b) => a - b);
const context = queries.map((q) => time(() => buildContext(index, { task: q }))).sort((a, b) => a - b);
const p = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)]!.toFixed(2);
console.log(`search  p50 ${p(search, 0.5)} ms  p95 ${p(search, 0.95)} ms  (target p95 <= 10 ms)`);
console.log(`context p50 ${p(context, 0.5)} ms  p95 ${p(context, 0.95)} ms  (target <= 50 ms)`);

// Extraction overhead: the offline pass over a 2,000-event session.
const events = Array.from({ length: 2000 }, (_, i) => ({
  id: i,
  sessionId: 's',
  seq: i,
  role: 'assistant' as const,
  kind: (i % 3 === 0 ? 'tool_use' : i % 3 === 1 ? 'tool_result' : 'text') as 'text',
  toolName: 'Bash',
  toolUseId: `t${Math.floor(i / 3)}`,
  isError: i % 97 === 1,
  commands: [`npm run build ${i % 7}`],
  text: i % 500 === 2 ? 'LEARNED: build with pnpm, not npm' : sentence(30),
  sidechain: false,
  files: [],
}));
t = performance.now();
const candidates = extractOffline(events);
console.log(
  `offline extraction over ${events.length} events: ${(performance.now() - t).toFixed(1)} ms, ${candidates.length} candidates`,
);
index.close();
