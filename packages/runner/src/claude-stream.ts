// Live parsing of Claude Code's `--output-format stream-json --verbose` output: one JSON event per line.
// Unknown or malformed lines are counted and kept (in the log), never fatal.
import type { AgentEvent, AgentSummary } from './types.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A time given as epoch seconds, epoch milliseconds or an ISO string, as ISO. */
export function toIsoTime(value: unknown): string | undefined {
  if (typeof value === 'number' && value > 0)
    return new Date(value < 1e12 ? value * 1000 : value).toISOString();
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return toIsoTime(Number(value));
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return new Date(t).toISOString();
  }
  return undefined;
}

export class ClaudeStreamParser {
  readonly summary: AgentSummary = { toolsUsed: {}, unknownEvents: 0 };
  private partial = '';
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
      const info = isObject(e.rate_limit_info) ? e.rate_limit_info : e;
      const status = str(info.status);
      const resetsAt = toIsoTime(info.resetsAt ?? info.resets_at);
      const limitType = str(info.rateLimitType) ?? str(info.rate_limit_type);
      s.rateLimit = {
        ...(status ? { status } : {}),
        ...(resetsAt ? { resetsAt } : {}),
        ...(limitType ? { type: limitType } : {}),
        source: 'event',
      };
    } else if (type === 'result') {
      s.resultSubtype = subtype;
      if (typeof e.is_error === 'boolean') s.isError = e.is_error;
      s.turns = num(e.num_turns) ?? s.turns;
      s.costUsd = num(e.total_cost_usd) ?? s.costUsd;
      s.sessionId = str(e.session_id) ?? s.sessionId;
      const apiStatus = num(e.api_error_status);
      if (apiStatus !== undefined) s.apiErrorStatus = apiStatus;
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

  /** The plain-text forms of a usage limit, as a fallback when no structured event says so. */
  private plainText(text: string): void {
    if (this.summary.rateLimit?.source === 'event' && this.summary.rateLimit.resetsAt) return;
    // Every output line of every run comes through here: skip the clock and the patterns when the
    // line cannot be a limit message (about half the CPU of a 100 MB run; see bench/big-output.ts).
    if (!MAYBE_LIMIT.test(text)) return;
    const limit = detectLimitText(text, this.now());
    if (limit) this.summary.rateLimit = { status: 'rejected', ...limit, source: 'text' };
  }
}

/** Each limit message below contains the word "limit": a cheap test that rules most lines out. */
const MAYBE_LIMIT = /limit/i;

/**
 * Recognise Claude's plain-text limit messages:
 * - `Claude AI usage limit reached|1732471200` (epoch seconds)
 * - `You've hit your limit · resets 1pm (Europe/Lisbon)`
 */
export function detectLimitText(text: string, now: Date): { resetsAt?: string } | undefined {
  if (!MAYBE_LIMIT.test(text)) return undefined;
  const epoch = /usage limit reached\|(\d{9,13})/i.exec(text);
  if (epoch) return { resetsAt: toIsoTime(Number(epoch[1])) };
  const hit =
    /(?:you['’]ve )?hit your (?:usage )?limit\b[^\n]*?resets\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)?(?:\s*\(([^)]+)\))?/i.exec(
      text,
    );
  if (hit) {
    let hour = Number(hit[1]);
    const minute = Number(hit[2] ?? 0);
    const meridiem = hit[3]?.toLowerCase();
    if (meridiem === 'pm' && hour < 12) hour += 12;
    if (meridiem === 'am' && hour === 12) hour = 0;
    const resetsAt = nextLocalTime(hour, minute, hit[4], now);
    return resetsAt ? { resetsAt: resetsAt.toISOString() } : {};
  }
  if (/usage limit reached|hit your limit/i.test(text)) return {};
  return undefined;
}

/** The next instant after `now` when the wall clock in `zone` reads hour:minute. */
export function nextLocalTime(
  hour: number,
  minute: number,
  zone: string | undefined,
  now: Date,
): Date | undefined {
  let offsetOf: (t: Date) => number;
  try {
    const fmt = new Intl.DateTimeFormat('en-US', {
      ...(zone ? { timeZone: zone } : {}),
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    offsetOf = (t) => {
      const p = Object.fromEntries(fmt.formatToParts(t).map((x) => [x.type, Number(x.value)]));
      return (
        Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) -
        Math.floor(t.getTime() / 1000) * 1000
      );
    };
  } catch {
    return undefined;
  }
  const local = new Date(now.getTime() + offsetOf(now));
  for (let day = 0; day <= 2; day++) {
    const wall = Date.UTC(
      local.getUTCFullYear(),
      local.getUTCMonth(),
      local.getUTCDate() + day,
      hour,
      minute,
    );
    const guess = new Date(wall - offsetOf(new Date(wall)));
    const exact = new Date(wall - offsetOf(guess));
    if (exact.getTime() > now.getTime()) return exact;
  }
  return undefined;
}
