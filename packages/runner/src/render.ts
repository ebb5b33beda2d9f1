// Claude Code's stream-json as a person reads it: assistant text, each tool call with its input summarised,
// tool results folded to their first lines, errors marked, rate-limit events, the final result with turns and
// cost, and a time on every line. Plain output lines pass through; stderr lines are marked. One renderer for
// `habitat run`, `habitat logs` and the TUI's run view. Pure: no I/O; config's duration formatter only.
// the one duration formatter (CLI, TUI): a 9 ms turn reads 9ms, not 0.0s
import { formatDuration } from '@habitat/config/core';
import { STDERR_MARK } from './run-output.js';

export type RenderedKind =
  | 'text'
  | 'tool'
  | 'result'
  | 'error'
  | 'limit'
  | 'final'
  | 'system'
  | 'stderr'
  | 'plain'
  | 'habitat';

export interface RenderedLine {
  kind: RenderedKind;
  text: string;
  /** when the line arrived, if known */
  time?: Date;
}

export interface RenderOptions {
  /** tool result lines shown before folding (default 3) */
  resultLines?: number;
  /** longest summary of a tool input or result line (default 160) */
  maxWidth?: number;
  /** how a time inside an event reads (a limit's reset); default ISO-8601 UTC. The CLI and TUI pass theirs. */
  time?: (time: Date) => string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The input of a tool call in a few words: the command, the file, the pattern, the URL... */
export function summariseToolInput(tool: string, input: unknown, maxWidth = 160): string {
  if (!isObject(input)) return '';
  const pick = (...keys: string[]) => {
    for (const k of keys) if (typeof input[k] === 'string' && input[k]) return input[k] as string;
    return undefined;
  };
  let text: string | undefined;
  if (tool === 'Bash') text = pick('command');
  else if (tool === 'Grep' || tool === 'Glob') {
    const pattern = pick('pattern');
    const where = pick('path', 'glob');
    text = pattern ? `${pattern}${where ? ` in ${where}` : ''}` : undefined;
  } else if (tool === 'TodoWrite' && Array.isArray(input.todos)) text = `${input.todos.length} todo(s)`;
  text ??= pick(
    'file_path',
    'notebook_path',
    'path',
    'url',
    'query',
    'pattern',
    'description',
    'prompt',
    'command',
  );
  text ??= JSON.stringify(input);
  return cut(oneLine(text), maxWidth);
}

/** The text of a tool result's content (a string, or text blocks). */
function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((b) => (isObject(b) && typeof b.text === 'string' ? b.text : isObject(b) ? `[${b.type}]` : ''))
      .join('\n');
  return '';
}

/** One stream-json event as lines (empty: nothing a person needs, e.g. partial-message deltas). */
export function renderEvent(event: Json, options: RenderOptions = {}): RenderedLine[] {
  const resultLines = options.resultLines ?? 3;
  const width = options.maxWidth ?? 160;
  const type = event.type;
  const subtype = typeof event.subtype === 'string' ? event.subtype : undefined;
  if (type === 'system') {
    if (subtype === 'init') {
      const model = typeof event.model === 'string' ? ` · ${event.model}` : '';
      const session = typeof event.session_id === 'string' ? ` · session ${event.session_id}` : '';
      return [{ kind: 'system', text: `● claude started${model}${session}` }];
    }
    if (subtype === 'api_retry') {
      const status = event.error_status ?? event.status;
      const attempt = event.attempt ? ` (attempt ${event.attempt})` : '';
      return [{ kind: 'error', text: `✗ API error${status ? ` ${status}` : ''}, retrying${attempt}` }];
    }
    return [{ kind: 'system', text: `● ${subtype ?? 'system'}` }];
  }
  if (type === 'rate_limit_event') {
    const info = isObject(event.rate_limit_info) ? event.rate_limit_info : event;
    const status = typeof info.status === 'string' ? info.status : '?';
    const which = typeof info.rateLimitType === 'string' ? ` ${info.rateLimitType}` : '';
    const resets = info.resetsAt ?? info.resets_at;
    const when = typeof resets === 'number' ? new Date(resets < 1e12 ? resets * 1000 : resets) : undefined;
    const at = when ? (options.time ?? ((d: Date) => d.toISOString()))(when) : undefined;
    return [{ kind: 'limit', text: `⏸ rate limit${which}: ${status}${at ? `, resets ${at}` : ''}` }];
  }
  if (type === 'assistant' && isObject(event.message)) {
    const out: RenderedLine[] = [];
    const content = Array.isArray(event.message.content) ? event.message.content : [];
    for (const block of content) {
      if (!isObject(block)) continue;
      if (block.type === 'text' && typeof block.text === 'string') {
        for (const line of block.text.replace(/\n+$/, '').split('\n')) out.push({ kind: 'text', text: line });
      } else if (block.type === 'tool_use' && typeof block.name === 'string') {
        out.push({
          kind: 'tool',
          text: `→ ${block.name} ${summariseToolInput(block.name, block.input, width)}`,
        });
      } else if (block.type === 'thinking') out.push({ kind: 'system', text: '… thinking' });
    }
    if (isObject(event.error) || typeof event.error === 'string')
      out.push({ kind: 'error', text: `✗ ${typeof event.error === 'string' ? event.error : 'error'}` });
    return out;
  }
  if (type === 'user' && isObject(event.message)) {
    const out: RenderedLine[] = [];
    const content = Array.isArray(event.message.content) ? event.message.content : [];
    for (const block of content) {
      if (!isObject(block) || block.type !== 'tool_result') continue;
      const lines = resultText(block.content).replace(/\n+$/, '').split('\n');
      const error = block.is_error === true;
      const shown = lines.slice(0, resultLines);
      for (const [i, line] of shown.entries()) {
        const lead = i > 0 ? '    ' : error ? '  ✗ ' : '  ← ';
        out.push({ kind: error ? 'error' : 'result', text: `${lead}${cut(line, width)}` });
      }
      if (lines.length > resultLines)
        out.push({ kind: 'result', text: `    … ${lines.length - resultLines} more line(s)` });
    }
    return out;
  }
  if (type === 'result') {
    const error = event.is_error === true || (subtype !== undefined && subtype !== 'success');
    const turns = typeof event.num_turns === 'number' ? ` · ${event.num_turns} turn(s)` : '';
    const cost = typeof event.total_cost_usd === 'number' ? ` · $${event.total_cost_usd.toFixed(4)}` : '';
    const took = typeof event.duration_ms === 'number' ? ` · ${formatDuration(event.duration_ms)}` : '';
    const api = typeof event.api_error_status === 'number' ? ` · API ${event.api_error_status}` : '';
    const lines: RenderedLine[] = [
      {
        kind: error ? 'error' : 'final',
        text: `${error ? '✗' : '■'} ${subtype ?? 'result'}${turns}${cost}${took}${api}`,
      },
    ];
    if (error && typeof event.result === 'string' && event.result)
      lines.push({ kind: 'error', text: `  ${cut(oneLine(event.result), width)}` });
    return lines;
  }
  if (type === 'stream_event') return [];
  return [{ kind: 'system', text: `● ${String(type)}${subtype ? ` ${subtype}` : ''}` }];
}

/** One line of a run's output (or of its log, stderr lines marked) as rendered lines. */
export function renderLine(
  line: string,
  stream: 'stdout' | 'stderr' = 'stdout',
  options: RenderOptions = {},
): RenderedLine[] {
  if (stream === 'stdout' && line.startsWith(STDERR_MARK))
    return renderLine(line.slice(STDERR_MARK.length), 'stderr', options);
  if (stream === 'stderr') return [{ kind: 'stderr', text: `stderr: ${line}` }];
  if (line.startsWith('habitat: ')) return [{ kind: 'habitat', text: line }];
  const trimmed = line.trim();
  if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
    try {
      const event = JSON.parse(trimmed) as unknown;
      if (isObject(event) && typeof event.type === 'string') return renderEvent(event, options);
    } catch {
      // not an event: shown as it is
    }
  }
  return [{ kind: 'plain', text: line }];
}

/** Renders a stream as it arrives, in any chunking: complete lines only, each stream on its own. */
export class StreamRenderer {
  private readonly partial = { stdout: '', stderr: '' };

  constructor(private readonly options: RenderOptions = {}) {}

  push(text: string, stream: 'stdout' | 'stderr' = 'stdout', time: Date = new Date()): RenderedLine[] {
    const pieces = (this.partial[stream] + text).split('\n');
    this.partial[stream] = pieces.pop() ?? '';
    return pieces.flatMap((l) => renderLine(l, stream, this.options).map((r) => ({ ...r, time })));
  }

  end(time: Date = new Date()): RenderedLine[] {
    const out: RenderedLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.partial[stream];
      this.partial[stream] = '';
      if (rest) out.push(...renderLine(rest, stream, this.options).map((r) => ({ ...r, time })));
    }
    return out;
  }
}

/** `HH:MM:SS` in local time, or in UTC (`utc`: habitat's --utc). */
export function clockTime(time: Date, utc = false): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return utc
    ? `${p(time.getUTCHours())}:${p(time.getUTCMinutes())}:${p(time.getUTCSeconds())}`
    : `${p(time.getHours())}:${p(time.getMinutes())}:${p(time.getSeconds())}`;
}

const ANSI: Partial<Record<RenderedKind, [string, string]>> = {
  tool: ['\u001b[36m', '\u001b[39m'],
  result: ['\u001b[2m', '\u001b[22m'],
  error: ['\u001b[31m', '\u001b[39m'],
  stderr: ['\u001b[33m', '\u001b[39m'],
  limit: ['\u001b[35m', '\u001b[39m'],
  final: ['\u001b[1m', '\u001b[22m'],
  system: ['\u001b[2m', '\u001b[22m'],
  habitat: ['\u001b[2m', '\u001b[22m'],
};

/** A rendered line for a terminal: time (local, or UTC with `utc`), then the text (coloured by kind when `color`). */
export function formatRendered(line: RenderedLine, options: { color?: boolean; utc?: boolean } = {}): string {
  const time = line.time ? `${clockTime(line.time, options.utc)}  ` : '';
  const paint = options.color ? ANSI[line.kind] : undefined;
  const stamp = options.color && time ? `\u001b[2m${time}\u001b[22m` : time;
  return `${stamp}${paint ? `${paint[0]}${line.text}${paint[1]}` : line.text}`;
}

/**
 * A whole run log rendered: stream-json events read, `[stderr] ` lines marked, each line stamped with its
 * arrival time from `times` (parseLineTimes of the log's `.times` file) where known.
 */
export function renderLog(
  text: string,
  times: readonly number[] = [],
  options: RenderOptions = {},
): RenderedLine[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.flatMap((line, i) => {
    const t = times[i];
    const rendered = renderLine(line, 'stdout', options);
    return t === undefined ? rendered : rendered.map((r) => ({ ...r, time: new Date(t) }));
  });
}
