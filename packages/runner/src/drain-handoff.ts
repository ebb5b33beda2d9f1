// What a local run's wrapper drained (`.out.rest`/`.err.rest`: what was still in its pipes when the agent ended)
// goes into the run's log exactly once, whichever coordinator hands it on and wherever one is killed (kill -9).
// Before the first drained byte is written, the log's length is noted in the run dir (`.rest.at`, written to a
// temp file and renamed, so it is whole or absent). A coordinator that finds that note was preceded by one
// killed mid-hand-off: it cuts the log back to that length and writes the drain again. The drain files are not
// removed after the hand-off: they go with the run dir once the run is recorded, and the record (not their
// removal) is what says the hand-off is done. So a kill at any step leaves the drain once in the log, never
// twice and never missing. Comparing the log's tail with the drain would not do: real output repeats.
//
// What a killed coordinator had read from the pipes before the drain and held back unwritten (an unfinished
// line) is lost with it, as everywhere else (local.ts: "an unfinished line may be missing"). The run dir is the
// agent's: a note it forged can only shorten its own run's log (the note is a length, never longer than the
// log), never name another file.
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { OutputSink } from './backend.js';
import { leftoverOutput } from './local-wrapper.js';

/** In a run dir: the length of the run's log before the drain was first written to it (`<bytes>\n`). */
export const HANDOFF_MARK = '.rest.at';

/**
 * Test-only: `HABITAT_CRASH_AT=drain-handed-on` SIGKILLs this process right after the drain went to the sink
 * (before the run is recorded), the instant a hand-off that is only at-least-once would log it twice.
 */
function crashPoint(name: string): void {
  if (process.env.HABITAT_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}

/** The length noted by an earlier hand-off of this run's drain, if one began. */
export function readHandoffMark(runDir: string): number | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(
      path.join(runDir, HANDOFF_MARK),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
    if (!fstatSync(fd).isFile()) return undefined;
    const buf = Buffer.alloc(32);
    const text = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('latin1');
    return /^\d{1,15}\n$/.test(text) ? Number(text.slice(0, -1)) : undefined;
  } catch {
    return undefined; // none
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function writeHandoffMark(runDir: string, logLength: number): void {
  const tmp = path.join(runDir, `${HANDOFF_MARK}.${process.pid}.tmp`);
  rmSync(tmp, { force: true });
  // 'wx': never through a link the agent may have put there
  writeFileSync(tmp, `${logLength}\n`, { flag: 'wx', mode: 0o600 });
  renameSync(tmp, path.join(runDir, HANDOFF_MARK));
}

/**
 * Hand what the wrapper drained (`leftoverOutput`) to `onOutput`, exactly once into the log `onOutput.logFd`
 * (an `a`-mode fd): a first hand-off notes the log's length first; a later one (its coordinator was killed
 * before the run was recorded) cuts the log back to that length and writes it again. A sink without a log
 * just hears it. Call once the run's output has ended (the wrapper is gone, so the drain is complete).
 * Returns the streams that had drained output.
 */
export function takeLeftoverOutput(runDir: string, onOutput: OutputSink): ('stdout' | 'stderr')[] {
  const rest = leftoverOutput(runDir);
  if (rest.length === 0) return [];
  const fd = onOutput.logFd;
  if (fd !== undefined) {
    try {
      const length = fstatSync(fd).size;
      const noted = readHandoffMark(runDir);
      if (noted === undefined) writeHandoffMark(runDir, length);
      else if (noted < length) ftruncateSync(fd, noted);
    } catch {
      // a run dir we cannot write: handed on at least once, as before
    }
  }
  for (const r of rest) onOutput(r.stream, r.bytes);
  crashPoint('drain-handed-on');
  return rest.map((r) => r.stream);
}
