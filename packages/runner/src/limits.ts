// Claude usage-limit signals, and the command line that resumes a limited conversation.
//
// A run can learn about a limit four ways, trusted in this order: the structured `rate_limit_event`
// (`rate_limit_info`: status, resetsAt, rateLimitType, utilization, overageStatus, per-window detail), the
// `result` event (`is_error` with `api_error_status: 429`, sometimes carrying the same info), the legacy
// `Claude AI usage limit reached|<epoch>` text, and last the human `resets 1pm (Europe/Lisbon)` text. Text
// wording changes between Claude Code releases, so it only fills in what the structured events leave open.
import type { RunSpec } from '@habitat/config';
import type { AgentSummary, LimitWindow, RateLimitSummary } from './types.js';

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

export type LimitSource = RateLimitSummary['source'];
/** Highest trust first. */
const ORDER: LimitSource[] = ['event', 'result', 'legacy-text', 'text', 'api-error'];

/** `rate_limit_info` (camelCase in the stream, snake_case in older builds) as a summary. */
export function limitFromInfo(info: Json, source: LimitSource): RateLimitSummary {
  const status = str(info.status);
  const resetsAt = toIsoTime(info.resetsAt ?? info.resets_at);
  const type = str(info.rateLimitType) ?? str(info.rate_limit_type);
  const utilization = num(info.utilization);
  const overageStatus = str(info.overageStatus) ?? str(info.overage_status);
  const windows: Record<string, LimitWindow> = {};
  const unified = isObject(info.unifiedWindows) ? info.unifiedWindows : {};
  for (const [name, w] of Object.entries(unified)) {
    if (!isObject(w)) continue;
    const at = toIsoTime(w.resetsAt);
    windows[name] = {
      ...(str(w.status) ? { status: str(w.status)! } : {}),
      ...(num(w.utilization) !== undefined ? { utilization: num(w.utilization)! } : {}),
      ...(at ? { resetsAt: at } : {}),
    };
  }
  // An event without per-window detail still describes its own window.
  if (type && !windows[type])
    windows[type] = {
      ...(status ? { status } : {}),
      ...(utilization !== undefined ? { utilization } : {}),
      ...(resetsAt ? { resetsAt } : {}),
    };
  return {
    ...(status ? { status } : {}),
    ...(resetsAt ? { resetsAt } : {}),
    ...(type ? { type } : {}),
    ...(utilization !== undefined ? { utilization } : {}),
    ...(overageStatus ? { overageStatus } : {}),
    ...(Object.keys(windows).length ? { windows } : {}),
    source,
  };
}

/** What a `result` event says about a limit: a 429 error, with the limit's info when Claude passes it on. */
export function limitFromResult(e: Json): RateLimitSummary | undefined {
  const params = isObject(e.api_error_params) ? e.api_error_params : {};
  if (isObject(params.rate_limit_info)) return limitFromInfo(params.rate_limit_info, 'result');
  if (num(e.api_error_status) === 429 && e.is_error === true) return { status: 'rejected', source: 'result' };
  return undefined;
}

const limiting = (l: RateLimitSummary | undefined): boolean =>
  l !== undefined && l.status !== 'allowed' && l.status !== 'allowed_warning';

/**
 * One limit from every signal seen: status and type from the most trusted signal that says the run is
 * limited (else the most trusted one at all, e.g. an `allowed_warning`), the reset from the most trusted
 * signal that has one, the windows from the structured signals.
 */
export function combineLimits(
  signals: Partial<Record<LimitSource, RateLimitSummary>>,
): RateLimitSummary | undefined {
  const present = ORDER.map((s) => signals[s]).filter((l): l is RateLimitSummary => l !== undefined);
  const lead = present.find(limiting) ?? present[0];
  if (!lead) return undefined;
  const resetsAt = limiting(lead)
    ? (present.filter(limiting).find((l) => l.resetsAt) ?? present.find((l) => l.resetsAt))?.resetsAt
    : lead.resetsAt;
  const windows = present.find((l) => l.windows)?.windows;
  const { windows: _w, resetsAt: _r, ...rest } = lead;
  return { ...rest, ...(resetsAt ? { resetsAt } : {}), ...(windows ? { windows } : {}) };
}

/** Tokens of a `result` event's `usage`. */
export function tokensOf(usage: unknown): AgentSummary['tokens'] | undefined {
  if (!isObject(usage)) return undefined;
  return {
    input: num(usage.input_tokens) ?? 0,
    output: num(usage.output_tokens) ?? 0,
    cacheRead: num(usage.cache_read_input_tokens) ?? 0,
    cacheCreation: num(usage.cache_creation_input_tokens) ?? 0,
  };
}

/** How a resumed run continues: the conversation to pick up and what to tell it. */
export interface ResumeSpec {
  sessionId: string;
  prompt: string;
}

const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/**
 * `claude --resume <session> --print ...`: the same flags as a fresh run, continuing the conversation.
 * The continuation prompt goes on stdin, like a fresh run's prompt.
 */
export function resumeArgv(run: Extract<RunSpec, { kind: 'claude' }>, resume: ResumeSpec): string[] {
  if (!SESSION_ID.test(resume.sessionId))
    throw new Error(`"${resume.sessionId}" is not a Claude session id (letters, digits, "-" and "_")`);
  const argv = ['claude', '--resume', resume.sessionId, '--print', '--output-format', run.outputFormat];
  if (run.outputFormat === 'stream-json') argv.push('--verbose');
  if (run.skipPermissions) argv.push('--dangerously-skip-permissions');
  if (run.model) argv.push('--model', run.model);
  argv.push(...run.args);
  return argv;
}

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
