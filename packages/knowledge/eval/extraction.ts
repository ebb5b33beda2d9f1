// Extraction precision: labelled sessions say which learnings a good extractor finds; restated prompts,
// boilerplate and already-known lessons must not come back as new ones. Run: `node eval/extraction.ts`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addLearning, extractOffline, openKnowledge } from '@habitat/knowledge';
import type { SessionEvent } from '@habitat/sessions';

let id = 0;
const ev = (e: Partial<SessionEvent>): SessionEvent => ({
  id: ++id,
  sessionId: 's',
  seq: id,
  role: 'assistant',
  kind: 'text',
  sidechain: false,
  files: [],
  commands: [],
  ...e,
});
const prompt = (text: string) => ev({ role: 'user', kind: 'prompt', text });
const say = (text: string) => ev({ text });
const bash = (cmd: string, out: string, isError = false) => {
  const toolUseId = `t${id + 1}`;
  return [
    ev({ kind: 'tool_use', toolName: 'Bash', toolUseId, commands: [cmd], input: { command: cmd } }),
    ev({ role: 'tool', kind: 'tool_result', toolUseId, text: out, isError }),
  ];
};

interface Labelled {
  name: string;
  events: SessionEvent[];
  /** a phrase each expected new learning contains */
  expected: string[];
}

const KNOWN = ['The billing service needs the invoice flag on before the ledger migration runs.'];

const sessions: Labelled[] = [
  {
    name: 'marker',
    events: [
      prompt('Fix the flaky test.'),
      say('LEARNED: the uploads test needs a fresh bucket per worker or it races.'),
    ],
    expected: ['fresh bucket'],
  },
  {
    name: 'error then fix',
    events: [
      prompt('Run the tests.'),
      ...bash('npm test', 'npm ERR! missing script: test', true),
      ...bash('pnpm --filter web test', 'ok'),
    ],
    expected: ['pnpm --filter web test'],
  },
  {
    name: 'rate limit',
    events: [
      prompt('Sync the feed.'),
      ...bash('curl api/feed', 'HTTP 429 Too Many Requests\nretry-after: 900', true),
    ],
    expected: ['rate limit'],
  },
  {
    name: 'restated prompt',
    events: [prompt('LEARNED: always answer in English'), say('Sure.')],
    expected: [],
  },
  {
    name: 'prompt echoed as a marker',
    events: [
      prompt('Remember that deploys happen on Tuesdays.'),
      say('LEARNED: Remember that deploys happen on Tuesdays.'),
    ],
    expected: [],
  },
  { name: 'boilerplate marker', events: [prompt('Do the task.'), say('LEARNED: ok')], expected: [] },
  {
    name: 'already known',
    events: [
      prompt('Deploy billing.'),
      say('LEARNED: the billing service needs the invoice flag on before the ledger migration runs'),
    ],
    expected: [],
  },
  {
    name: 'unrelated retry is no fix',
    events: [
      prompt('Tidy up.'),
      ...bash('rm -rf build', 'rm: cannot remove', true),
      ...bash('git status', 'clean'),
    ],
    expected: [],
  },
  {
    name: 'two markers',
    events: [
      prompt('Investigate search.'),
      say(
        'LEARNED: reindexing search takes 40 minutes, run it at night.\nLEARNED: the search alias swap is atomic, so readers never see a half index.',
      ),
    ],
    expected: ['40 minutes', 'alias swap'],
  },
  {
    name: 'quiet success',
    events: [prompt('Add a button.'), ...bash('pnpm build', 'done'), say('Added the button.')],
    expected: [],
  },
];

const root = mkdtempSync(path.join(tmpdir(), 'habitat-extract-eval-'));
const { index } = await openKnowledge({ stateDir: root, knowledgeDir: path.join(root, 'k') });
for (const text of KNOWN)
  await addLearning(index, path.join(root, 'k'), { text, provenance: { source: 'person' } });

let truePositives = 0;
let newLearnings = 0;
let expectedTotal = 0;
for (const s of sessions) {
  const found: string[] = [];
  for (const c of extractOffline(s.events)) {
    const r = await addLearning(index, path.join(root, 'k'), {
      text: c.body,
      title: c.title,
      tags: c.tags,
      provenance: { source: c.source },
    });
    if (r.outcome !== 'merged') found.push(r.learning.body);
  }
  const hits = s.expected.filter((p) => found.some((b) => b.toLowerCase().includes(p.toLowerCase())));
  truePositives += hits.length;
  newLearnings += found.length;
  expectedTotal += s.expected.length;
  console.log(
    `${s.name.padEnd(28)} expected ${s.expected.length}, new ${found.length}, correct ${hits.length}`,
  );
}
console.log(
  `precision ${(truePositives / Math.max(1, newLearnings)).toFixed(2)}  recall ${(truePositives / expectedTotal).toFixed(2)}  (${newLearnings} new learnings, ${truePositives} correct, ${expectedTotal} expected)`,
);
index.close();
