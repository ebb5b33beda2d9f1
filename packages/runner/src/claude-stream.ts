// Live parsing of Claude Code's `--output-format stream-json --verbose` output: one JSON event per line.
// Unknown or malformed lines are counted and kept (in the log), never fatal.
import {
  combineLimits,
  detectLimitText,
  type LimitSource,
  limitFromInfo,
  limitFromResult,
  tokensOf,
} from './limits.js';
import type { AgentEvent, AgentSummary, RateLimitSummary } from './types.js';

export { detectLimitText, nextLocalTime, toIsoTime } from './limits.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export class ClaudeStreamParser {
  readonly summary: AgentSummary = { toolsUsed: {}, unknownEvents: 0 };
  private partial = '';
  /** every limit signal seen, by source; `summary.rateLimit` combines them (see limits.ts) */
  private readonly limits: Partial<Record<LimitSource, RateLimitSummary>> = {};
  private readonly known = new Set([
    'system',
    'assistant',
    'user',
    'result',
    'rate_limit_event',
    'stream_event',
  ]);

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Feed decoded text; returns the events completed by it. */
  push(text: string): AgentEvent[] {
    const combined = this.partial + text;
    // Fast path for plain output: only a line starting with `{` (an event) or holding "limit" (a limit
    // message) can yield anything, so a chunk with neither is not split into lines at all. This keeps a
    // command agent printing 100 MB from allocating a string per line (see bench/big-output.ts).
    if (!combined.includes('{') && !MAYBE_LIMIT.test(combined)) {
      this.partial = combined.slice(combined.lastIndexOf('\n') + 1);
      return [];
    }
    const lines = combined.split('\n');
    this.partial = lines.pop() ?? '';
    return lines.flatMap((line) => this.line(line));
  }

  /** The last line, if the stream ended without a newline. */
  end(): AgentEvent[] {
    const rest = this.partial;
    this.partial = '';
    return rest.trim() ? this.line(rest) : [];
  }

  private line(line: string): AgentEvent[] {
    const trimmed = line.trim();
    if (!trimmed) return [];
    if (!trimmed.startsWith('{')) {
      this.plainText(trimmed);
      return [];
    }
    let raw: unknown;
    try {
      raw = JSON.parse(trimmed);
    } catch {
      this.summary.unknownEvents++;
      this.plainText(trimmed);
      return [];
    }
    if (!isObject(raw) || typeof raw.type !== 'string') {
      this.summary.unknownEvents++;
      return [];
    }
    return this.event(raw);
  }

  private event(e: Json): AgentEvent[] {
    const type = e.type as string;
    const subtype = str(e.subtype);
    const s = this.summary;
    if (!this.known.has(type)) s.unknownEvents++;
    if (type === 'system' && subtype === 'init') {
      s.sessionId = str(e.session_id) ?? s.sessionId;
      s.model = str(e.model) ?? s.model;
    } else if (type === 'system' && subtype === 'api_retry') {
      s.apiRetries = (s.apiRetries ?? 0) + 1;
      const status = num(e.error_status) ?? num(e.status);
      if (status !== undefined) s.apiErrorStatus = status;
    } else if (type === 'rate_limit_event') {
      this.limit('event', limitFromInfo(isObject(e.rate_limit_info) ? e.rate_limit_info : e, 'event'));
    } else if (type === 'result') {
      s.resultSubtype = subtype;
      if (typeof e.is_error === 'boolean') s.isError = e.is_error;
      s.turns = num(e.num_turns) ?? s.turns;
      s.costUsd = num(e.total_cost_usd) ?? s.costUsd;
      s.sessionId = str(e.session_id) ?? s.sessionId;
      const apiStatus = num(e.api_error_status);
      if (apiStatus !== undefined) s.apiErrorStatus = apiStatus;
      const limit = limitFromResult(e);
      if (limit) this.limit('result', limit);
      const tokens = tokensOf(e.usage);
      if (tokens) s.tokens = tokens;
      const text = str(e.result);
      if (text) this.plainText(text);
    } else if (type === 'assistant' && isObject(e.message)) {
      const message = e.message;
      s.model = s.model ?? str(message.model);
      const content = Array.isArray(message.content) ? message.content : [];
      const events: AgentEvent[] = [];
      for (const block of content) {
        if (!isObject(block)) continue;
        if (block.type === 'tool_use' && typeof block.name === 'string') {
          s.toolsUsed[block.name] = (s.toolsUsed[block.name] ?? 0) + 1;
          events.push({ type: 'tool_use', tool: block.name, input: block.input, raw: e });
        } else if (block.type === 'text' && typeof block.text === 'string') {
          this.plainText(block.text);
          events.push({ type: 'text', text: block.text, raw: e });
        }
      }
      if (events.length > 0) return events;
    }
    return [{ type, ...(subtype ? { subtype } : {}), raw: e }];
  }

  private limit(source: LimitSource, limit: RateLimitSummary): void {
    this.limits[source] = limit;
    this.summary.rateLimit = combineLimits(this.limits);
  }

  /** The plain-text forms of a usage limit, as a fallback when no structured event says so. */
  private plainText(text: string): void {
    const known = this.summary.rateLimit;
    if (known?.resetsAt && (known.source === 'event' || known.source === 'result')) return;
    // Every output line of every run comes through here: skip the clock and the patterns when the
    // line cannot be a limit message (about half the CPU of a 100 MB run; see bench/big-output.ts).
    if (!MAYBE_LIMIT.test(text)) return;
    const limit = detectLimitText(text, this.now());
    if (!limit) return;
    const source = /usage limit reached\|/i.test(text) ? 'legacy-text' : 'text';
    this.limit(source, { status: 'rejected', ...limit, source });
  }
}

/** Each limit message contains the word "limit": a cheap test that rules most lines out. */
const MAYBE_LIMIT = /limit/i;
