// Words and numbers people read: durations, clock times, money. Pure; `now` is always passed in.

/** 3m12s, 45s, 2h05m, 1d03h */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** A run's duration: 850ms, 12.3s, 4m07s */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return formatElapsed(ms);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** 14:46 today, `Tue 14:46` within a week, else `2026-11-30 14:46` (local time). */
export function formatClock(iso: string | undefined, now: number): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '-';
  const d = new Date(t);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return hm;
  if (Math.abs(t - now) < 6 * 86_400_000) return `${d.toLocaleDateString('en', { weekday: 'short' })} ${hm}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
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

export function formatCost(usd: number | undefined | null): string {
  if (usd === undefined || usd === null || usd === 0) return '-';
  return usd < 0.01 ? '<$0.01' : `$${usd.toFixed(2)}`;
}

/** Cut to `width` columns with an ellipsis; pad to width when `padTo` is set. */
export function fit(text: string, width: number, padTo = false): string {
  if (width <= 0) return '';
  const cut = text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
  return padTo ? cut.padEnd(width) : cut;
}
