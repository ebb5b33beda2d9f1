/**
 * The texts of a Claude Code transcript that the index redacts (prompt and block text, thinking, tool input JSON,
 * tool result text), file by file. `redact.ts` times redaction over them and `cold-bound.ts` takes their redaction
 * CPU as the part of a build no schema change removes. It leaves out the few short strings the writer redacts too
 * (file paths, commands, titles, summaries), so it slightly under-counts: right for a lower bound.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every `.jsonl` file under `dir`, depth first, in directory order. */
export function* jsonlFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* jsonlFiles(p);
    else if (p.endsWith('.jsonl')) yield p;
  }
}

/** The redactable texts of one file, in line order; lines that are not JSON are skipped. */
export function fileTexts(path: string): string[] {
  const texts: string[] = [];
  const take = (v: unknown) => {
    if (typeof v === 'string' && v) texts.push(v);
  };
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    let r: { message?: { content?: unknown } };
    try {
      r = JSON.parse(line);
    } catch {
      continue;
    }
    const c = r.message?.content;
    if (typeof c === 'string') take(c);
    else if (Array.isArray(c))
      for (const b of c as Array<Record<string, unknown>>) {
        take(b.text);
        take(b.thinking);
        if (b.input) take(JSON.stringify(b.input));
        take(b.content);
      }
  }
  return texts;
}
