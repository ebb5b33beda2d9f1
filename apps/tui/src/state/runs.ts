// Runs: a bounded log buffer per run (live output or a past run's file), its parsed agent events, and
// each agent's run history. Reducer + selectors, pure. Sized for 5,000 lines/s: output arrives in
// batches, and one batch costs one split and one slice per run, not one state copy per line.

import { formatTimestamp } from '@habitat/config';
import { ClaudeStreamParser, clockTime, renderLine } from '@habitat/runner';
import { utcTimes } from './format.js';
import type { AgentEventLike, DaemonEventLike, RunRecord, RunResultLike } from './types.js';

/** Lines kept per run: older lines drop off the top (the full log stays on disk). */
export const LOG_CAPACITY = 10_000;
/** Log buffers kept at once (live runs are evicted last). */
export const MAX_BUFFERS = 24;
/** Agent events kept per run. */
export const MAX_EVENTS = 200;
/** A line longer than this is cut where it stands (a runaway line must not grow without bound). */
export const MAX_LINE = 4096;

export interface LogBuffer {
  runId: string;
  agent: string;
  lines: string[];
  /** lines that fell off the top: line `i` of `lines` is line `dropped + i` of the run */
  dropped: number;
  /** the unfinished last line */
  partial: string;
  live: boolean;
  /** read from a past run's log file */
  fromFile?: string;
  events: AgentEventLike[];
  tools: Record<string, number>;
  turns: number;
  costUsd?: number;
  status?: string;
  /**
   * The stream broke here (absolute line number): the daemon dropped this view as too slow, or went away. The
   * lines from here on came over the new connection; the run's log file fills what was missed (resyncLog).
   */
  resyncFrom?: number;
  /** The log file's last lines, just put in: the first streamed lines that repeat them were in transit. */
  overlap?: string[];
}

export interface RunsState {
  logs: Record<string, LogBuffer>;
  /** run ids, oldest buffer first */
  order: string[];
  history: Record<string, RunRecord[]>;
}

export const initialRuns: RunsState = { logs: {}, order: [], history: {} };

/** CSI and OSC sequences, other escapes, and control characters (but tab). */
const ESCAPES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what this removes
  /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-_]|[\u0000-\u0008\u000b-\u001f\u007f]/g;

/** Any control character (ESC, CR and tab included): a line without one is printed as it is. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this finds
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A log line made safe to print: no escape sequences or control characters, tabs as spaces. */
export function cleanLine(line: string): string {
  if (!CONTROL.test(line)) return line;
  const cr = line.lastIndexOf('\r', line.length - 2);
  const text = cr >= 0 ? line.slice(cr + 1) : line;
  return text.replace(/\t/g, '  ').replace(ESCAPES, '');
}

function emptyBuffer(runId: string, agent: string, live: boolean): LogBuffer {
  return { runId, agent, lines: [], dropped: 0, partial: '', live, events: [], tools: {}, turns: 0 };
}

/**
 * A log line as shown: Claude stream-json events rendered for people (runner's renderer: text, tool calls
 * summarised, results folded, errors, limits, the final result) with the time they arrived; stderr lines
 * (marked in the log) as `stderr: ...`; any other line as it is.
 */
export function showLine(line: string, time: number | undefined): string[] {
  const rendered = renderLine(line, 'stdout', {
    time: (d) => formatTimestamp(d, { utc: utcTimes(), seconds: false }),
  });
  if (rendered.length === 1 && rendered[0]!.kind === 'plain') return [line];
  const stamp = time === undefined ? '' : `${clockTime(new Date(time), utcTimes())}  `;
  return rendered.map((r) => `${stamp}${r.text}`);
}

/**
 * Can renderLine make something else of this line than the line itself? Only a `{` (after blanks), a
 * `[stderr] ` or a `habitat: ` line can: the rest (most of a busy log) skips the renderer and its arrays.
 */
function mayRender(line: string): boolean {
  const c = line.charCodeAt(0);
  return c <= 0x20 || c === 0x7b || c === 0x5b || c === 0x68 || c > 0x7e;
}

/**
 * Where the last `keep` complete lines of `text` start, and how many complete lines come before them (0,
 * 0 when it holds no more). Lines beyond a buffer's capacity would be dropped right after being cleaned
 * and rendered: a burst is cut here first, with a few `lastIndexOf`s, and the cut lines only counted.
 */
export function tailStart(text: string, keep: number): { start: number; skipped: number } {
  let at = text.length;
  for (let k = 0; k <= keep; k++) {
    at = text.lastIndexOf('\n', at - 1);
    if (at < 0) return { start: 0, skipped: 0 };
  }
  let skipped = 1;
  for (let nl = text.indexOf('\n'); nl >= 0 && nl < at; nl = text.indexOf('\n', nl + 1)) skipped++;
  return { start: at + 1, skipped };
}

/** The time prefix showLine puts on rendered lines (ignored when the file and the stream are joined). */
const STAMP = /^\d\d:\d\d:\d\d {2}/;

/**
 * Append raw output (any chunking) to a buffer, keeping at most LOG_CAPACITY lines. `times`: when each
 * complete line arrived (a log's `.times`, aligned to the last lines), else `now`.
 */
export function appendText(
  buffer: LogBuffer,
  text: string,
  now = Date.now(),
  times?: readonly number[],
): LogBuffer {
  const whole = buffer.partial + text;
  const { start, skipped } = tailStart(whole, LOG_CAPACITY);
  const pieces = (start > 0 ? whole.slice(start) : whole).split('\n');
  let partial = pieces.pop() ?? '';
  if (partial.length > MAX_LINE) {
    pieces.push(partial);
    partial = '';
  }
  if (pieces.length === 0) return { ...buffer, partial };
  const offset = times ? times.length - pieces.length : 0;
  const added: string[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const raw = pieces[i]!;
    const line = cleanLine(raw.length > MAX_LINE ? raw.slice(0, MAX_LINE) : raw);
    if (mayRender(line)) added.push(...showLine(line, times ? times[offset + i] : now));
    else added.push(line);
  }
  // Skipped lines fell off the top unseen: the whole buffer goes, and they count as dropped.
  if (skipped > 0)
    return withLines(
      { ...buffer, lines: [], dropped: buffer.dropped + buffer.lines.length + skipped },
      added,
      partial,
    );
  return withLines(buffer, added, partial, true);
}

/**
 * `added` after the buffer's lines (or instead of them), keeping the newest LOG_CAPACITY: one copy of what is
 * kept, never a copy of the whole and then a slice of it.
 */
function withLines(buffer: LogBuffer, added: string[], partial: string, append = false): LogBuffer {
  const old = append ? buffer.lines : [];
  const over = old.length + added.length - LOG_CAPACITY;
  if (over <= 0) return { ...buffer, lines: append ? old.concat(added) : added, partial };
  const lines = over >= old.length ? added.slice(over - old.length) : old.slice(over).concat(added);
  return { ...buffer, lines, dropped: buffer.dropped + over, partial };
}

function put(state: RunsState, buffer: LogBuffer): RunsState {
  const known = buffer.runId in state.logs;
  let logs = { ...state.logs, [buffer.runId]: buffer };
  let order = known ? state.order : [...state.order, buffer.runId];
  while (order.length > MAX_BUFFERS) {
    const victim = order.find((id) => !logs[id]?.live) ?? order[0]!;
    const { [victim]: _gone, ...rest } = logs;
    logs = rest;
    order = order.filter((id) => id !== victim);
  }
  return { ...state, logs, order };
}

/** Apply a batch of daemon events: output is joined per run before it is split into lines. */
export function applyRunEvents(state: RunsState, events: DaemonEventLike[]): RunsState {
  let next = state;
  const pending = new Map<string, { agent: string; text: string[] }>();
  const flush = (runId: string) => {
    const p = pending.get(runId);
    if (!p) return;
    pending.delete(runId);
    const buffer = next.logs[runId] ?? emptyBuffer(runId, p.agent, true);
    next = put(next, withoutOverlap(buffer, appendText(buffer, p.text.join(''))));
  };
  for (const e of events) {
    const runId = typeof e.runId === 'string' ? e.runId : undefined;
    const agent = typeof e.agent === 'string' ? e.agent : '';
    if (!runId) continue;
    if (e.event === 'run.output') {
      const skipped = Number(e.skippedLines ?? 0);
      if (skipped > 0) {
        // The source cut a burst's older lines (tailStart): what the buffer held is gone with them.
        flush(runId);
        const b = next.logs[runId] ?? emptyBuffer(runId, agent, true);
        next = put(next, { ...b, lines: [], partial: '', dropped: b.dropped + b.lines.length + skipped });
      }
      const p = pending.get(runId) ?? { agent, text: [] };
      p.text.push(String(e.text ?? ''));
      pending.set(runId, p);
      continue;
    }
    flush(runId);
    if (e.event === 'run.started') {
      next = put(next, { ...(next.logs[runId] ?? emptyBuffer(runId, agent, true)), live: true });
      next = addHistory(next, agent, {
        id: runId,
        agent,
        trigger: String(e.trigger ?? ''),
        status: 'running',
        started_at: Date.parse(e.time),
        ended_at: null,
        duration_ms: null,
        exit_code: null,
        cost_usd: null,
        log_path: typeof e.logPath === 'string' ? e.logPath : null,
      });
    } else if (e.event === 'run.agent-event') {
      const buffer = next.logs[runId] ?? emptyBuffer(runId, agent, true);
      next = put(next, withAgentEvent(buffer, (e.agentEvent ?? { type: 'unknown' }) as AgentEventLike));
    } else if (e.event === 'run.finished') {
      const r = (e.result ?? {}) as RunResultLike;
      const buffer = next.logs[runId];
      if (buffer) {
        next = put(next, {
          ...(buffer.partial ? withLines(buffer, [cleanLine(buffer.partial)], '', true) : buffer),
          live: false,
          ...(r.status ? { status: r.status } : {}),
          ...(r.summary?.costUsd !== undefined ? { costUsd: r.summary.costUsd } : {}),
          ...(r.summary?.turns !== undefined ? { turns: r.summary.turns } : {}),
        });
      }
      next = finishHistory(next, agent, runId, r, Date.parse(e.time));
    }
  }
  for (const runId of [...pending.keys()]) flush(runId);
  return next;
}

/**
 * A past run's events panel from its log: turns and cost from the stream's result event, tool counts and the
 * latest tool calls and text (of the part of the log that was read).
 */
function withSummary(buffer: LogBuffer, text: string): LogBuffer {
  if (!text.includes('{')) return buffer;
  const parser = new ClaudeStreamParser();
  const events = [...parser.push(text), ...parser.end()]
    .filter((e) => e.type === 'tool_use' || e.type === 'text')
    .slice(-MAX_EVENTS)
    .map((e) => ({
      type: e.type,
      ...(e.tool ? { tool: e.tool } : {}),
      ...(e.input ? { input: e.input } : {}),
      ...(e.text ? { text: e.text } : {}),
    }));
  const s = parser.summary;
  return {
    ...buffer,
    events: events as AgentEventLike[],
    tools: { ...s.toolsUsed },
    turns: s.turns ?? events.length,
    ...(s.costUsd !== undefined ? { costUsd: s.costUsd } : {}),
  };
}

function withAgentEvent(buffer: LogBuffer, event: AgentEventLike): LogBuffer {
  const tools = event.tool
    ? { ...buffer.tools, [event.tool]: (buffer.tools[event.tool] ?? 0) + 1 }
    : buffer.tools;
  const events = buffer.events.length >= MAX_EVENTS ? buffer.events.slice(1) : buffer.events.slice();
  events.push(event);
  return {
    ...buffer,
    events,
    tools,
    turns: event.type === 'text' || event.type === 'tool_use' ? buffer.turns + 1 : buffer.turns,
  };
}

function addHistory(state: RunsState, agent: string, run: RunRecord): RunsState {
  const list = state.history[agent];
  if (!list) return state;
  if (list.some((r) => r.id === run.id)) return state;
  return { ...state, history: { ...state.history, [agent]: [run, ...list] } };
}

function finishHistory(
  state: RunsState,
  agent: string,
  runId: string,
  r: RunResultLike,
  at: number,
): RunsState {
  const list = state.history[agent];
  if (!list) return state;
  return {
    ...state,
    history: {
      ...state.history,
      [agent]: list.map((run) =>
        run.id === runId
          ? {
              ...run,
              status: r.status ?? 'failed',
              ended_at: r.endedAt ? Date.parse(r.endedAt) : at,
              duration_ms: r.durationMs ?? (run.started_at ? at - run.started_at : null),
              exit_code: r.exitCode ?? null,
              cost_usd: r.summary?.costUsd ?? null,
              log_path: r.logPath ?? run.log_path,
            }
          : run,
      ),
    },
  };
}

/** An agent's run history, newest first (from the daemon or the state read-only). */
export function setHistory(state: RunsState, agent: string, runs: RunRecord[]): RunsState {
  return { ...state, history: { ...state.history, [agent]: runs } };
}

/** A past run's log read from its file: the last LOG_CAPACITY lines. */
export function setLoadedLog(
  state: RunsState,
  input: { runId: string; agent: string; text: string; file: string; status?: string; times?: number[] },
): RunsState {
  const read = withSummary(
    appendText(
      { ...emptyBuffer(input.runId, input.agent, false), fromFile: input.file },
      input.text,
      Date.now(),
      input.times,
    ),
    input.text,
  );
  const fileLines = read.partial ? read.lines.concat(cleanLine(read.partial)) : read.lines;
  const current = state.logs[input.runId];
  if (current?.live) {
    // A running run opened after the TUI started: the file holds what came before the stream.
    if (current.fromFile) return state;
    const merged = joinAtOverlap(fileLines, current.lines);
    return put(state, { ...withLines(current, merged, current.partial), fromFile: input.file });
  }
  return put(state, {
    ...withLines(read, fileLines, ''),
    ...(input.status ? { status: input.status } : {}),
  });
}

/** The same line can carry a different arrival time in the file's record and in the stream. */
function sameLine(a: string | undefined, b: string | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.replace(STAMP, '') === b.replace(STAMP, ''));
}

/** Mark the live runs' buffers where the stream broke: what arrives next is after a gap (resyncLog fills it). */
export function markStreamBroken(state: RunsState, runIds: readonly string[]): RunsState {
  let next = state;
  for (const runId of runIds) {
    const b = next.logs[runId];
    // an unfinished line's rest may be what was lost: the file has the whole line
    if (b) next = put(next, { ...b, partial: '', resyncFrom: b.dropped + b.lines.length });
  }
  return next;
}

/**
 * A live run's log file after its stream broke: the file's lines, then those streamed since the break (the
 * file holds every complete line streamed before it was read: the runner writes a line before it sends it).
 * `firstLine`: the number of the text's first line in the file (a tail of a big one). `ended`: the run finished while
 * the stream was down (its finish was not heard).
 */
export function resyncLog(
  state: RunsState,
  input: { runId: string; text: string; firstLine: number; ended?: boolean; times?: number[] },
): { runs: RunsState; missed: number } {
  const current = state.logs[input.runId];
  if (current?.resyncFrom === undefined) return { runs: state, missed: 0 };
  // the file's lines rendered as streamed ones are (only complete lines: the runner logs no partial one)
  const read = appendText(
    emptyBuffer(input.runId, current.agent, false),
    input.text,
    Date.now(),
    input.times,
  );
  const fileLines = input.ended && read.partial ? read.lines.concat(cleanLine(read.partial)) : read.lines;
  const after = current.lines.slice(Math.max(0, current.resyncFrom - current.dropped));
  const merged = joinAtOverlap(fileLines, after);
  const before = current.resyncFrom;
  const { resyncFrom: _done, ...rest } = current;
  const base = { ...rest, lines: [], dropped: input.firstLine + read.dropped };
  const buffer = withLines(base, merged, current.partial);
  const next: LogBuffer = {
    ...buffer,
    ...(after.length === 0 && fileLines.length > 0 ? { overlap: fileLines.slice(-OVERLAP_PROBE) } : {}),
    ...(input.ended ? { live: false, partial: '' } : {}),
  };
  const missed = totalLines(next) - before - after.length;
  return { runs: put(state, next), missed: Math.max(0, missed) };
}

/** Lines compared when streamed output may repeat the end of a file just read. */
const OVERLAP_PROBE = 200;

/**
 * Streamed lines that repeat the end of the file read at a resync were sent before the read and delivered
 * after it: dropped once, on the first output after the resync.
 */
function withoutOverlap(before: LogBuffer, after: LogBuffer): LogBuffer {
  const overlap = before.overlap;
  if (!overlap) return after;
  const { overlap: _checked, ...rest } = after;
  const start = before.lines.length - (after.dropped - before.dropped);
  if (start < 0) return rest;
  const added = after.lines.slice(start);
  // the longest prefix of `added` that is a suffix of `overlap`
  for (let n = Math.min(overlap.length, added.length); n > 0; n--) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (!sameLine(overlap[overlap.length - n + i], added[i])) {
        same = false;
        break;
      }
    }
    if (same) {
      const lines = after.lines.slice(0, start).concat(added.slice(n));
      return { ...rest, lines };
    }
  }
  return rest;
}

/**
 * The file's lines, then the streamed ones, without the lines both hold: the stream starts somewhere in
 * the file (or after its end), so the file is cut where the stream's first lines match it.
 */
export function joinAtOverlap(fileLines: string[], streamed: string[]): string[] {
  if (streamed.length === 0) return fileLines;
  const same = sameLine;
  // The file ends inside the streamed lines (it was read after they were written): the longest such overlap. The
  // shortest would show a run's repeated line (`waiting`, `.`) as many more times as the stream held it.
  const n = fileLines.length;
  for (let k = Math.max(0, n - Math.min(streamed.length, OVERLAP_PROBE)); k < n; k++) {
    let j = 0;
    while (k + j < n && same(fileLines[k + j], streamed[j])) j++;
    if (k + j === n) return fileLines.slice(0, k).concat(streamed);
  }
  const probe = Math.min(streamed.length, 20);
  for (
    let k = fileLines.length - 1;
    k >= Math.max(0, fileLines.length - LOG_CAPACITY - streamed.length);
    k--
  ) {
    if (!same(fileLines[k], streamed[0])) continue;
    let match = true;
    for (let j = 1; j < probe && k + j < fileLines.length; j++) {
      if (!same(fileLines[k + j], streamed[j])) {
        match = false;
        break;
      }
    }
    if (match) return fileLines.slice(0, k).concat(streamed);
  }
  return fileLines.concat(streamed);
}

// ---- the log window -----------------------------------------------------------------------

export interface LogCursor {
  /** stick to the newest line */
  follow: boolean;
  /** when not following: the absolute line number just past the last visible line */
  bottom: number;
  search: string;
}

export const initialCursor: LogCursor = { follow: true, bottom: 0, search: '' };

/** All lines of a buffer, with the unfinished one (so output without a newline still shows). */
function allLines(buffer: LogBuffer): string[] {
  return buffer.partial ? buffer.lines.concat(cleanLine(buffer.partial)) : buffer.lines;
}

export function totalLines(buffer: LogBuffer): number {
  return buffer.dropped + buffer.lines.length + (buffer.partial ? 1 : 0);
}

export interface LogWindow {
  lines: { n: number; text: string; match: boolean }[];
  first: number;
  total: number;
  atEnd: boolean;
}

/** Only the visible slice of the log: `height` lines ending at the cursor. */
export function logWindow(buffer: LogBuffer | undefined, cursor: LogCursor, height: number): LogWindow {
  if (!buffer || height <= 0) return { lines: [], first: 0, total: 0, atEnd: true };
  const total = totalLines(buffer);
  const bottom = cursor.follow ? total : clampBottom(buffer, cursor.bottom, height);
  const first = Math.max(buffer.dropped, bottom - height);
  const source = bottom === total && buffer.partial ? allLines(buffer) : buffer.lines;
  const q = cursor.search.toLowerCase();
  const lines = [];
  for (let n = first; n < bottom; n++) {
    const text = source[n - buffer.dropped] ?? '';
    lines.push({ n, text, match: q !== '' && text.toLowerCase().includes(q) });
  }
  return { lines, first, total, atEnd: bottom === total };
}

function clampBottom(buffer: LogBuffer, bottom: number, height: number): number {
  const total = totalLines(buffer);
  return Math.min(total, Math.max(Math.min(total, buffer.dropped + height), bottom));
}

/** Scroll by `delta` lines (negative: back). Reaching the end resumes following. */
export function scrollLog(
  buffer: LogBuffer | undefined,
  cursor: LogCursor,
  delta: number,
  height: number,
): LogCursor {
  if (!buffer) return cursor;
  const total = totalLines(buffer);
  const from = cursor.follow ? total : cursor.bottom;
  const bottom = clampBottom(buffer, from + delta, height);
  return { ...cursor, follow: bottom >= total, bottom };
}

export function scrollToTop(buffer: LogBuffer | undefined, cursor: LogCursor, height: number): LogCursor {
  if (!buffer) return cursor;
  return { ...cursor, follow: false, bottom: clampBottom(buffer, 0, height) };
}

/**
 * Jump to the next match of the search: `older` looks back from the top of the window, else forward
 * from its bottom. No match leaves the cursor where it is.
 */
export function findMatch(
  buffer: LogBuffer | undefined,
  cursor: LogCursor,
  height: number,
  direction: 'older' | 'newer',
): { cursor: LogCursor; found: boolean } {
  if (!buffer || !cursor.search) return { cursor, found: false };
  const lines = allLines(buffer);
  const q = cursor.search.toLowerCase();
  const win = logWindow(buffer, cursor, height);
  if (direction === 'older') {
    for (let n = win.first - 1; n >= buffer.dropped; n--) {
      if (lines[n - buffer.dropped]!.toLowerCase().includes(q)) {
        return {
          cursor: { ...cursor, follow: false, bottom: clampBottom(buffer, n + 1, height) },
          found: true,
        };
      }
    }
  } else {
    const from = win.first + win.lines.length;
    for (let n = from; n < buffer.dropped + lines.length; n++) {
      if (lines[n - buffer.dropped]!.toLowerCase().includes(q)) {
        const bottom = clampBottom(buffer, n + 1, height);
        return { cursor: { ...cursor, follow: bottom >= totalLines(buffer), bottom }, found: true };
      }
    }
  }
  return { cursor, found: false };
}

/** The run shown for an agent: the one running now, else the newest buffer or history entry. */
export function currentRunOf(state: RunsState, agent: string, runningId?: string): string | undefined {
  if (runningId) return runningId;
  for (let i = state.order.length - 1; i >= 0; i--) {
    const id = state.order[i]!;
    if (state.logs[id]?.agent === agent) return id;
  }
  return state.history[agent]?.[0]?.id;
}
