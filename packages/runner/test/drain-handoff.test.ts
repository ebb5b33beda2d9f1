// The hand-off of a local run's drained output (drain-handoff.ts) on real files, at each step a kill -9 can
// interrupt. The real kill at the dangerous instant, with real daemons: scheduler/test/drain-handoff.test.ts.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { HANDOFF_MARK, type OutputSink, RunOutput, takeLeftoverOutput } from '../src/index.js';
import { tempDir } from './helpers.js';

const DRAIN = 'drained 1\ndrained 1\n'; // output repeats: the log's tail is no guide

function runWithDrain() {
  const dir = tempDir();
  const runDir = path.join(dir, 'run');
  mkdirSync(runDir);
  writeFileSync(path.join(runDir, '.out.rest'), DRAIN);
  writeFileSync(path.join(runDir, '.err.rest'), 'late err\n');
  const log = path.join(dir, 'run.log');
  writeFileSync(log, 'before the kill\n');
  return { runDir, log };
}

/** One coordinator's go at it: its own RunOutput on the log; `killed` stops before its output is ended. */
function handOn(runDir: string, log: string, killed = false, withLog = true) {
  const fd = openSync(log, 'a');
  try {
    const output = new RunOutput({ logFd: fd, secrets: [], streamJson: false });
    const push = (stream: 'stdout' | 'stderr', chunk: Buffer) => output.push(stream, chunk);
    const sink: OutputSink = withLog ? Object.assign(push, { logFd: fd }) : push;
    const kept = takeLeftoverOutput(runDir, sink);
    if (killed)
      output.note('written after the hand-off, before the record'); // then the kill
    else output.end();
    return kept;
  } finally {
    closeSync(fd);
  }
}

const ONCE = `before the kill\n${DRAIN}[stderr] late err\n`;

test('handed on once; a later coordinator (the first killed before recording the run) cuts back and writes it again', () => {
  const { runDir, log } = runWithDrain();
  expect(handOn(runDir, log, true)).toEqual(['stdout', 'stderr']);
  expect(readFileSync(log, 'utf8')).toContain(DRAIN);
  expect(readFileSync(path.join(runDir, HANDOFF_MARK), 'utf8')).toBe(`${'before the kill\n'.length}\n`);
  // the drain stays until the run dir goes with the record
  expect(existsSync(path.join(runDir, '.out.rest'))).toBe(true);
  expect(handOn(runDir, log)).toEqual(['stdout', 'stderr']);
  expect(readFileSync(log, 'utf8')).toBe(ONCE);
  expect(handOn(runDir, log)).toEqual(['stdout', 'stderr']);
  expect(readFileSync(log, 'utf8')).toBe(ONCE);
});

test('killed after noting the length and before writing anything: the next one writes it, nothing is cut', () => {
  const { runDir, log } = runWithDrain();
  writeFileSync(path.join(runDir, HANDOFF_MARK), `${'before the kill\n'.length}\n`);
  handOn(runDir, log);
  expect(readFileSync(log, 'utf8')).toBe(ONCE);
});

test('a note that is not whole, not a file, or longer than the log never cuts or grows the log', () => {
  for (const forge of [
    (mark: string) => writeFileSync(mark, '1'), // no newline: not a note this code wrote whole
    (mark: string, log: string) => symlinkSync(log, mark),
    (mark: string) => writeFileSync(mark, '999999\n'),
  ]) {
    const { runDir, log } = runWithDrain();
    forge(path.join(runDir, HANDOFF_MARK), log);
    handOn(runDir, log);
    expect(readFileSync(log, 'utf8')).toBe(ONCE);
  }
});

test('a sink that writes no log just hears the drain (no note)', () => {
  const { runDir, log } = runWithDrain();
  handOn(runDir, log, false, false);
  expect(readFileSync(log, 'utf8')).toBe(ONCE);
  expect(existsSync(path.join(runDir, HANDOFF_MARK))).toBe(false);
});

test('nothing drained: nothing noted, nothing written', () => {
  const { runDir, log } = runWithDrain();
  writeFileSync(path.join(runDir, '.out.rest'), '');
  writeFileSync(path.join(runDir, '.err.rest'), '');
  expect(handOn(runDir, log)).toEqual([]);
  expect(readFileSync(log, 'utf8')).toBe('before the kill\n');
  expect(existsSync(path.join(runDir, HANDOFF_MARK))).toBe(false);
});
