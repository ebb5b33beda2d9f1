/**
 * The global options a fast path (knowledge-fast.ts, sessions-fast.ts) takes before the command name, as
 * commander reads them there: `-C`/`--dir <dir>` (the last one counts) and `--utc`. Undefined when `-C` has no
 * value, which is the full CLI's error to report.
 */
export function leadingGlobals(argv: string[]): { rest: string[]; dir?: string; utc: boolean } | undefined {
  let rest = argv;
  let dir: string | undefined;
  let utc = false;
  while (rest[0] === '-C' || rest[0] === '--dir' || rest[0] === '--utc') {
    if (rest[0] === '--utc') {
      utc = true;
      rest = rest.slice(1);
    } else {
      if (rest[1] === undefined) return undefined;
      dir = rest[1];
      rest = rest.slice(2);
    }
  }
  return { rest, ...(dir !== undefined ? { dir } : {}), utc };
}
