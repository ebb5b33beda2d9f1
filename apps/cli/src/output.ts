// The only writers to stdout/stderr: tables for people, JSON for programs, errors with exit codes.
import Table from 'cli-table3';
import pc from 'picocolors';

/** Bad flags or arguments: exit 2. */
export class UsageError extends Error {
  readonly code = 'usage';
  readonly exitCode = 2;
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

export function exitCodeFor(error: unknown): number {
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

export function printError(error: unknown): void {
  if (error instanceof ExitSignal) return;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${pc.red('error')} ${message}\n`);
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

/** Colour only for terminals, and never with NO_COLOR. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return pc.isColorSupported && Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

/** A table for people (`--json` is for programs). */
export function printTable(head: string[], rows: (string | number)[][]): void {
  const color = useColor();
  const table = new Table({
    head: head.map((h) => (color ? pc.bold(h) : h)),
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of rows) table.push(row.map(String));
  process.stdout.write(`${rows.length === 0 ? '(none)' : table.toString()}\n`);
}
