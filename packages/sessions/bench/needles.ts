/**
 * Rare words for search benchmarks: one 60-event session written into a generated corpus (whose every word is
 * common), then indexed with the rest (`indexSessions` again, or bench.ts on a new index). Words and counts: `ocelot`
 * in 40 events, `kumquat` in 8, `zanzibar` in 1, each beside a common phrase.
 *
 *   node packages/sessions/bench/needles.ts --corpus /tmp/search-bench/corpus-1GB-2400
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { corpus: { type: 'string' } } });
if (!values.corpus) throw new Error('--corpus <claude dir> is needed');
const common = [
  'docker container restarted',
  'the build failed with a timeout',
  'retry the migration',
  'function returned an error',
];
let t = Date.parse('2026-11-29T10:00:00Z');
const lines: string[] = [];
for (let i = 0; i < 60; i++) {
  const words = [common[i % 4] as string];
  if (i < 40) words.push('ocelot');
  if (i % 8 === 0) words.push('kumquat');
  if (i === 17) words.push('zanzibar');
  t += 60_000;
  lines.push(
    JSON.stringify({
      type: 'user',
      sessionId: 'needles',
      uuid: `n${i}`,
      timestamp: new Date(t).toISOString(),
      cwd: '/w/needles',
      message: { role: 'user', content: words.join(' and ') },
    }),
  );
}
const dir = join(values.corpus, 'projects', '-w-needles');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'needles.jsonl'), `${lines.join('\n')}\n`);
