import { ConfigError } from './errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const DURATION = /^(?:(\d+(?:\.\d+)?)(ms|s|m|h|d|w))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

/**
 * Parse a duration like `2s`, `46m`, `6h`, `1d`, `1h30m` or `500ms` into milliseconds.
 * A bare number is read as seconds. Throws `ConfigError('invalid-duration')`.
 */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text >= 0) return Math.round(text * 1000);
    throw new ConfigError(
      'invalid-duration',
      `${text} is not a duration: use e.g. "30s", "46m", "6h" or "1d"`,
    );
  }
  const value = text.trim().toLowerCase().replace(/\s+/g, '');
  if (/^\d+(\.\d+)?$/.test(value)) {
    const seconds = Number(value) * 1000;
    if (Number.isFinite(seconds)) return Math.round(seconds);
    throw new ConfigError('invalid-duration', `"${text.slice(0, 40)}" is too long a duration`);
  }
  if (!DURATION.test(value)) {
    throw new ConfigError(
      'invalid-duration',
      `"${text}" is not a duration: use a number and a unit (ms, s, m, h, d, w), e.g. "30s", "46m", "6h" or "1h30m"`,
    );
  }
  let total = 0;
  for (const [, amount, unit] of value.matchAll(PART)) total += Number(amount) * (UNIT_MS[unit!] ?? 0);
  if (!Number.isFinite(total)) {
    throw new ConfigError('invalid-duration', `"${text.slice(0, 40)}" is too long a duration`);
  }
  return Math.round(total);
}

/**
 * Milliseconds for people, the one formatter of the CLI and the TUI: `120ms`, `2.5s`, `46m`, `1h30m`, `2d3h`;
 * `-` when there is none (null, undefined, not finite).
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(Math.round(ms));
  if (rest < 1000) return `${sign}${rest}ms`;
  if (rest < 60_000) return `${sign}${Number((rest / 1000).toFixed(1))}s`;
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
    if (parts.length === 2) break;
  }
  return sign + parts.join('');
}

const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Parse a size like `512m`, `2g`, `2GiB` or a byte count into bytes (binary units, as Docker does). */
export function parseSize(text: string | number): number {
  if (typeof text === 'number' && Number.isFinite(text) && text > 0) return Math.round(text);
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt])?(?:i?b)?$/i.exec(String(text).trim());
  if (!match) {
    throw new ConfigError('invalid-size', `"${text}" is not a size: use e.g. "512m" or "2g"`);
  }
  return Math.round(Number(match[1]) * (SIZE_UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1));
}
