/** Parse one session file into chunks for the Applier. */
import { handleClaudeRecord, noteUnknown, type ParseStats, parseClaudeFile } from './claude.js';
import { parseCodexFile } from './codex.js';
import { parseAgentStore, parseAgentTranscript } from './cursor-agent.js';
import type { SourceKind } from './discover.js';
import { readLines } from './lines.js';
import type { Redactor } from './redact.js';
import { type Chunk, type SessionRow, SessionWriter } from './writer.js';

/** One file to read from `start`, into the session `row` (already created by the main thread). */
export interface ParseJob {
  id: number;
  kind: SourceKind;
  path: string;
  start: number;
  lines: number;
  row: SessionRow;
  nextSeq: number;
  fallbackTs?: number;
  /** a habitat run's start and end (its record): the session's times when its log has none (an empty log) */
  runTimes?: { first: number; last: number };
  /** session id for usage lines that carry none: the file stem, or the parent session of `subagents/` files */
  fileSession: string;
}

export function parseJob(job: ParseJob, redactor: Redactor, emit: (chunk: Chunk) => void): ParseStats {
  const w = new SessionWriter({ ...job.row }, job.nextSeq, redactor, emit);
  w.fallbackTs = job.fallbackTs;
  w.fileSession = job.fileSession;
  let stats: ParseStats;
  if (job.kind === 'codex') stats = parseCodexFile(job.path, job.start, w, job.lines);
  else if (job.kind === 'habitat-log') stats = parseHabitatLog(job.path, job.start, w, job.lines);
  else if (job.kind === 'cursor-agent') stats = parseAgentTranscript(job.path, job.start, w, job.lines);
  else if (job.kind === 'cursor-store') stats = parseAgentStore(job.path, w);
  else stats = parseClaudeFile(job.path, job.start, w, job.lines);
  w.row.malformed += stats.malformed;
  w.row.unknown += stats.unknown;
  // `sessions list` shows when the run was, not `-`, for a run that printed nothing (`command: ["true"]`)
  if (w.row.last_ts === null && job.runTimes) {
    w.row.first_ts = job.runTimes.first;
    w.row.last_ts = job.runTimes.last;
  }
  w.finish();
  return stats;
}

/** A habitat run log: stream-json lines from `claude -p`, with any plain stdout/stderr lines kept as system text. */
function parseHabitatLog(path: string, start: number, w: SessionWriter, startLine: number): ParseStats {
  const stats: ParseStats = { offset: start, lines: startLine, malformed: 0, unknown: 0 };
  stats.offset = readLines(path, start, (line) => {
    stats.lines++;
    if (!line.startsWith('{')) {
      w.event({ ts: w.fallbackTs, role: 'system', kind: 'system', text: line });
      return;
    }
    try {
      const record = JSON.parse(line) as Record<string, unknown>;
      if (!handleClaudeRecord(record, w)) noteUnknown(stats, record);
    } catch {
      stats.malformed++;
    }
  });
  return stats;
}
