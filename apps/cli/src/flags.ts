// Parsers for flag values, used as commander argParsers: a bad value is a usage error (exit 2) that names
// the flag and shows a good value, before the command does anything.
import { parseDuration } from '@habitat/config';
import { InvalidArgumentError } from 'commander';

/** A whole number >= `min` (`-n/--limit`, `--budget`). */
export function intFlag(min = 1): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(
        `"${value}" is not a whole number${min > 0 ? ` of at least ${min}` : ''}.`,
      );
    return n;
  };
}

/** A duration in milliseconds: `30s`, `46m`, `1h30m`; a bare number is seconds. */
export function durationFlag(value: string): number {
  try {
    return parseDuration(value);
  } catch {
    throw new InvalidArgumentError(`"${value}" is not a duration: use e.g. 30, 30s, 46m, 6h or 1h30m.`);
  }
}

/**
 * A point in time: an ISO date/time, or a duration ago (`90s`, `7d`, `1h30m`). Returns a Date, so every
 * `--since` / `--until` reads the same.
 */
export function parseWhen(value: string, now = Date.now()): Date | undefined {
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?[a-z]/i.test(trimmed)) {
    try {
      return new Date(now - parseDuration(trimmed));
    } catch {
      return undefined;
    }
  }
  const t = Date.parse(trimmed);
  return Number.isNaN(t) ? undefined : new Date(t);
}

export function whenFlag(value: string): Date {
  const when = parseWhen(value);
  if (!when)
    throw new InvalidArgumentError(
      `"${value}" is not a time: use an ISO date (2026-11-24, 2026-11-24T14:46:00Z) or a duration ago (90s, 12h, 7d).`,
    );
  return when;
}
