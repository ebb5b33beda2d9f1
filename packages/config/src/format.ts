// Printing diagnostics and "did you mean": no YAML or zod here, so commands that only print stay light.
import path from 'node:path';
import pc from 'picocolors';
import type { Diagnostic } from './types.js';

/** The closest candidate within a small edit distance, for "did you mean". */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}

/**
 * One diagnostic for people:
 * ```
 * agents/twitter-feed.yaml:5:9 schedule.cron
 *   "*\/61 * * * *" is not a valid cron expression: minutes are 0-59
 *   e.g. "*\/15 * * * *" (every 15 minutes)
 * ```
 */
export function formatDiagnostic(d: Diagnostic, options: { cwd?: string; color?: boolean } = {}): string {
  const c = pc.createColors(options.color ?? false);
  const file = options.cwd ? path.relative(options.cwd, d.file) || d.file : d.file;
  const where = d.line > 0 ? `${file}:${d.line}:${d.column}` : file;
  const label = d.severity === 'warning' ? c.yellow('warning') : c.red('error');
  const lines = [`${c.bold(where)} ${d.path ? c.cyan(d.path) : ''}`.trimEnd(), `  ${label} ${d.message}`];
  if (d.hint) lines.push(`  ${c.dim(d.hint)}`);
  return lines.join('\n');
}
