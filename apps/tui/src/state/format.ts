// Words and numbers people read: durations, clock times, money. Pure but for the time zone (local, or UTC
// with --utc, set once at start); `now` is always passed in.
import { formatDuration } from '@habitat/config/core';

// The CLI's formatter (850ms, 12.3s, 3m12s, 1h30m): one vocabulary for durations in both.
export { formatDuration };

let utc = false;

/** Times in UTC (`habitat-tui --utc`, as `habitat --utc`) instead of the local zone. */
export function configureTime(options: { utc: boolean }): void {
  utc = options.utc;
}

/** The zone times are shown in, for the header: `UTC`, or the local offset (`+05:30`), as the CLI prints it. */
export function timeZoneLabel(now: number): string {
  if (utc) return 'UTC';
  const minutes = -new Date(now).getTimezoneOffset();
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** An elapsed time to the second, in the same words: 45s, 3m12s, 2h5m. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return seconds === 0 ? '0s' : formatDuration(seconds * 1000);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The fields of a time in the zone shown. */
function parts(d: Date) {
  return utc
    ? {
        y: d.getUTCFullYear(),
        mo: d.getUTCMonth(),
        day: d.getUTCDate(),
        h: d.getUTCHours(),
        mi: d.getUTCMinutes(),
        s: d.getUTCSeconds(),
        wd: d.getUTCDay(),
      }
    : {
        y: d.getFullYear(),
        mo: d.getMonth(),
        day: d.getDate(),
        h: d.getHours(),
        mi: d.getMinutes(),
        s: d.getSeconds(),
        wd: d.getDay(),
      };
}

/** `14:46` (or `14:46:05` with seconds) in the zone shown. */
export function clock(value: string | number | Date, seconds = false): string {
  const p = parts(new Date(value));
  return `${pad(p.h)}:${pad(p.mi)}${seconds ? `:${pad(p.s)}` : ''}`;
}

export function utcTimes(): boolean {
  return utc;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** 14:46 today, `Tue 14:46` within a week, else `2026-11-30 14:46` (the zone shown; the header names it). */
export function formatClock(iso: string | undefined, now: number): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '-';
  const d = parts(new Date(t));
  const today = parts(new Date(now));
  const hm = `${pad(d.h)}:${pad(d.mi)}`;
  if (d.y === today.y && d.mo === today.mo && d.day === today.day) return hm;
  if (Math.abs(t - now) < 6 * 86_400_000) return `${WEEKDAYS[d.wd]} ${hm}`;
  return `${d.y}-${pad(d.mo + 1)}-${pad(d.day)} ${hm}`;
}

/** `in 4m`, `5m ago`, `now` */
export function formatRelative(iso: string | undefined, now: number): string {
  if (!iso) return '-';
  const delta = Date.parse(iso) - now;
  if (Number.isNaN(delta)) return '-';
  if (Math.abs(delta) < 1000) return 'now';
  return delta > 0 ? `in ${formatElapsed(delta)}` : `${formatElapsed(-delta)} ago`;
}

/** Coarse age for tables: 12s ago, 5m ago, 3h ago, 2d ago. */
export function formatAgo(iso: string | undefined, now: number): string {
  if (!iso) return '';
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(s)) return '';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/**
 * A cost as `habitat status` and `stats` print it: nothing spent is `$0.00` (a shell agent's day); only a cost
 * not known (a run still going, or one that reports none) is `-`.
 */
export function formatCost(usd: number | undefined | null): string {
  if (usd === undefined || usd === null) return '-';
  if (usd === 0) return '$0.00';
  return usd < 0.01 ? '<$0.01' : `$${usd.toFixed(2)}`;
}

/** Cut to `width` columns with an ellipsis; pad to width when `padTo` is set. */
export function fit(text: string, width: number, padTo = false): string {
  if (width <= 0) return '';
  const cut = text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
  return padTo ? cut.padEnd(width) : cut;
}
