import { parseDuration, type WakePolicy } from '@habitat/config';
import { readRunDirFile } from './run-dir-file.js';

export interface WakeRequest {
  wakeAt?: Date;
  reason?: string;
  warning?: string;
}

/** The latest instant a JavaScript Date can hold (±8.64e15 ms): anything past it is an invalid date. */
const MAX_DATE_MS = 8.64e15;
/** The ISO forms we accept; the fields are checked by hand because `Date.parse` rolls 2026-02-30 over. */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** Whether the calendar fields name a real instant (no 30 February, no hour 25). */
function realDate(m: RegExpExecArray): boolean {
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day >= 1 && day <= daysInMonth;
}

/**
 * Read what an agent wrote to `HABITAT_WAKE_FILE`: an ISO time or a duration (`46m`) on the first line,
 * an optional reason on the second. Relative durations count from `now` (the end of the run). Bad
 * content is a warning, never a crash (nor an invalid Date: every result here is a finite instant); the
 * agent's wake policy clamps the time, so a request in the past or `0` waits at least `wake.min`.
 */
export function parseWakeRequest(content: string, now: Date, policy?: WakePolicy): WakeRequest {
  const [first = '', ...rest] = content.split(/\r?\n/);
  const spec = first.trim();
  const reason = rest.join(' ').trim().slice(0, 500) || undefined;
  if (spec === '') return {};
  const shown = JSON.stringify(spec.slice(0, 80));
  let at: number | undefined;
  let problem = 'is neither an ISO time nor a duration like 46m';
  const iso = ISO.exec(spec);
  if (/^\d{4}-\d{2}-\d{2}/.test(spec)) {
    if (!iso) problem = 'is not an ISO time like 2026-03-01T10:00:00Z';
    else if (!realDate(iso)) problem = 'is not a real date (no such day or time)';
    else at = Date.parse(spec);
  } else {
    try {
      at = now.getTime() + parseDuration(spec);
    } catch {
      // reported below
    }
  }
  if (at !== undefined && !(Number.isFinite(at) && Math.abs(at) <= MAX_DATE_MS)) {
    at = undefined;
    problem = 'is too far away to be a time';
  }
  if (at === undefined) return { warning: `wake file: ${shown} ${problem}; ignored` };
  if (policy?.mode === 'ignore') {
    return { warning: 'wake file: this agent\'s wake policy is "ignore"; request ignored' };
  }
  if (policy) {
    const min = now.getTime() + policy.minMs;
    const max = now.getTime() + policy.maxMs;
    if (at < min || at > max) {
      const clamped = new Date(Math.min(max, Math.max(min, at)));
      return {
        wakeAt: clamped,
        ...(reason ? { reason } : {}),
        warning: `wake file: ${new Date(at).toISOString()} is outside the agent's wake policy (min ${policy.minMs} ms, max ${policy.maxMs} ms from the end of the run); using ${clamped.toISOString()}`,
      };
    }
  }
  return { wakeAt: new Date(at), ...(reason ? { reason } : {}) };
}

/** Read at most this much of a wake file (a time and a reason). */
const MAX_WAKE_FILE_BYTES = 4096;

/**
 * Read and parse a wake file; a missing file means no request. Only a regular file is read: the agent owns
 * its run dir, and a FIFO there must not wedge the coordinator nor a symlink make it read someone else's file.
 */
export async function readWakeRequest(file: string, now: Date, policy?: WakePolicy): Promise<WakeRequest> {
  const read = await readRunDirFile(file, MAX_WAKE_FILE_BYTES);
  if (read.kind === 'missing') return {};
  if (read.kind === 'refused') return { warning: `wake file: ${read.problem}; ignored` };
  return parseWakeRequest(read.text, now, policy);
}
