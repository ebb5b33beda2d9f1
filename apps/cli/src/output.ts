// The only writers to stdout/stderr, and the conventions every command shares: colour (NO_COLOR,
// FORCE_COLOR, TTY), times (local with offset, or --utc), durations, tables that fit the terminal or
// degrade to plain columns / TSV, JSON for programs, errors with exit codes. Commands import from here,
// never picocolors or a table library directly, so one flag or variable changes all of them.
import { formatDuration, formatTimestamp, isHabitatError } from '@habitat/config';
import picocolors from 'picocolors';

/**
 * Display width of a string. Printable ASCII is its length; anything else goes to string-width, loaded on first
 * use: it builds Unicode-property regexes and an Intl.Segmenter when loaded (~40 ms, more than the rest of a
 * command's start-up). `…` counts as one column, as string-width counts it: the tables' own ellipsis (a cut cell,
 * a shortened project path) must not load it (`sessions list` took 60 ms more for one `…/` path).
 */
export function stringWidth(text: string): number {
  if (/^[\x20-\x7e…]*$/.test(text)) return text.length;
  // A require() the bundler resolves: string-width is bundled and initialised only on this call.
  const mod = require('string-width') as typeof import('string-width');
  return mod.default(text);
}

/** Bad flags or arguments: exit 2. */
export class UsageError extends Error {
  readonly code: string = 'usage';
  readonly exitCode: number = 2;
  constructor(message: string, code = 'usage') {
    super(message);
    this.code = code;
  }
}

/** A failure with a message meant for people and a chosen exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly code = 'failure',
  ) {
    super(message);
  }
}

/** Library error codes that mean the input was wrong (a bad flag value): usage errors, exit 2. */
const USAGE_CODES = new Set(['bad-option', 'invalid-duration', 'invalid-size', 'usage']);

export function exitCodeFor(error: unknown): number {
  if (isHabitatError(error) && USAGE_CODES.has(error.code)) return 2;
  if (error && typeof error === 'object' && 'exitCode' in error && typeof error.exitCode === 'number') {
    return error.exitCode;
  }
  return 1;
}

/** Thrown to end the process with a code and nothing more to say (help, version). */
export class ExitSignal extends Error {
  constructor(readonly exitCode: number) {
    super('');
  }
}

/** Global output options, set once from the command line before a command's action runs. */
export interface OutputOptions {
  /** show times in UTC instead of the local zone */
  utc: boolean;
  /** `table` (aligned, fitted to a terminal), `tsv` (tab-separated, for scripts) */
  format: 'table' | 'tsv';
}
const options: OutputOptions = { utc: false, format: 'table' };

export function configureOutput(opts: Partial<OutputOptions>): void {
  Object.assign(options, Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)));
}

/**
 * Colour for a stream: FORCE_COLOR (anything but "0") forces it, NO_COLOR (any value) or TERM=dumb turns
 * it off, otherwise only a terminal gets it.
 */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  if (force === '0' || force === 'false') return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.TERM === 'dumb') return false;
  return Boolean(stream.isTTY);
}

/** Colours for stdout (`pc`) and stderr (`pcErr`): plain strings when colour is off. */
export const pc = picocolors.createColors(useColor(process.stdout));
export const pcErr = picocolors.createColors(useColor(process.stderr));

/** A time for people: `2026-12-01 10:01:16+01:00` (local) or `2026-12-01 09:01:16Z` with --utc. */
export function formatTime(
  value: Date | string | number | null | undefined,
  opts: { seconds?: boolean } = {},
): string {
  return formatTimestamp(value, { utc: options.utc, ...opts });
}

/** A duration for people (`850ms`, `12.3s`, `4m7s`, `1h30m`); `-` when there is none. Config's, as the TUI's. */
export { formatDuration };

/** For the runner's renderer: times inside events (a limit's reset) read like every other time printed. */
export const RENDER_TIMES = { time: (d: Date) => formatTime(d, { seconds: false }) };

/** Whether times are shown in UTC (--utc). */
export function utcTimes(): boolean {
  return options.utc;
}

/** An agent's exit for people: its code, or the signal that ended it, or `-`. */
export function formatExit(exitCode: number | null | undefined, signal?: string | null): string {
  if (signal) return signal;
  return exitCode === null || exitCode === undefined ? '-' : String(exitCode);
}

export function printError(error: unknown): void {
  if (error instanceof ExitSignal) return;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${pcErr.red('error')} ${message}\n`);
  if (process.env.HABITAT_DEBUG && error instanceof Error && error.stack)
    process.stderr.write(`${error.stack}\n`);
}

/** Write a value as pretty JSON (for `--json`). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** The width tables must fit: the terminal's, or COLUMNS; undefined when piped (no limit). */
function terminalWidth(): number | undefined {
  const fromEnv = Number(process.env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return process.stdout.isTTY ? process.stdout.columns || 80 : undefined;
}

/** Cut `text` to `width` display columns with an ellipsis. */
function truncate(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  let out = '';
  for (const ch of text) {
    if (stringWidth(`${out}${ch}`) > width - 1) break;
    out += ch;
  }
  return `${out}…`;
}

/** Column widths that fit `max`: the widest columns give way first, none below 6 (or its header). */
function fitWidths(widths: number[], head: string[], max: number | undefined, gap: number): number[] {
  const fitted = [...widths];
  if (max === undefined) return fitted;
  const total = () => fitted.reduce((a, b) => a + b, 0) + gap * (fitted.length - 1);
  while (total() > max) {
    let widest = 0;
    for (let i = 1; i < fitted.length; i++) if (fitted[i]! > fitted[widest]!) widest = i;
    const floor = Math.max(6, Math.min(stringWidth(head[widest]!), 12));
    if (fitted[widest]! <= floor) break;
    fitted[widest]!--;
  }
  return fitted;
}

/**
 * Rows for people: aligned columns that fit the terminal (long cells end in `…`), bold headers when
 * colour is on; piped, the same columns without cutting; `--format tsv`, tab-separated with a header
 * line (tabs and newlines in cells become spaces).
 */
export function printTable(head: string[], rows: (string | number | null | undefined)[][]): void {
  const cells = rows.map((row) => row.map((c) => (c === null || c === undefined ? '-' : String(c))));
  if (options.format === 'tsv') {
    const clean = (s: string) => s.replace(/[\t\r\n]+/g, ' ');
    process.stdout.write(`${[head, ...cells].map((r) => r.map(clean).join('\t')).join('\n')}\n`);
    return;
  }
  if (cells.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const gap = 2;
  const natural = head.map((h, i) => Math.max(stringWidth(h), ...cells.map((r) => stringWidth(r[i] ?? ''))));
  const widths = fitWidths(natural, head, terminalWidth(), gap);
  const line = (row: string[], bold = false) =>
    row
      .map((cell, i) => {
        const text = truncate(cell.replace(/[\r\n]+/g, ' '), widths[i]!);
        const padded = i === row.length - 1 ? text : text + ' '.repeat(widths[i]! - stringWidth(text));
        return bold ? pc.bold(padded) : padded;
      })
      .join(' '.repeat(gap))
      .trimEnd();
  process.stdout.write(`${[line(head, true), ...cells.map((r) => line(r))].join('\n')}\n`);
}

/**
 * A closed pipe (`habitat status | head -1`) ends the command quietly with exit 0, whatever it was doing:
 * the reader has what it wanted.
 */
export function exitQuietlyOnEpipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
  }
}
