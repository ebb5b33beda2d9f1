/**
 * Where the database thread's time goes in a cold build, statement by statement (see `cold-phases-run.ts`): one cold
 * build, the database thread's CPU per SQL statement, its JavaScript (and receiving) remainder, the parser thread's
 * and V8 helpers' CPU, peak RSS. `cold-bound.ts` runs the same build in rounds beside the parse floor.
 *
 *   node packages/sessions/bench/cold-phases.ts --corpus /tmp/sb/corpus-256MB --work /tmp/cp [--threads 2] [--dist <dist/index.js>]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runColdPhases } from './cold-phases-run.ts';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string' },
    work: { type: 'string' },
    threads: { type: 'string', default: '2' },
    dist: { type: 'string' },
  },
});
if (!values.corpus || !values.work) {
  process.stderr.write(
    'usage: cold-phases.ts --corpus <claude dir> --work <dir> [--threads 1|2] [--dist <dist/index.js>]\n',
  );
  process.exit(2);
}
const row = runColdPhases({
  dist: values.dist ?? join(import.meta.dirname, '..', 'dist', 'index.js'),
  corpus: values.corpus,
  work: values.work,
  threads: values.threads,
});
process.stdout.write(`${JSON.stringify(row, null, 2)}\n`);
