// Times people read: one format for every command and the TUI, local with its offset unless asked for UTC.

const pad = (n: number) => String(n).padStart(2, '0');

/** The offset of `d` in the local zone as `+01:00` / `-05:30`. */
function offsetOf(d: Date): string {
  const minutes = -d.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * `2026-12-01 10:01:16+01:00` in the local time zone, or `2026-12-01 09:01:16Z` with `utc`.
 * Accepts a Date, an ISO string or epoch milliseconds; anything unreadable (or null) gives `-`.
 */
export function formatTimestamp(
  value: Date | string | number | null | undefined,
  options: { utc?: boolean; seconds?: boolean } = {},
): string {
  if (value === null || value === undefined || value === '') return '-';
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return '-';
  const secs = options.seconds === false ? '' : `:${pad(options.utc ? d.getUTCSeconds() : d.getSeconds())}`;
  if (options.utc) {
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${secs}Z`;
  }
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}${secs}${offsetOf(d)}`;
}
