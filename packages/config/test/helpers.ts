import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A real coordinator directory built from `{ relativePath: content }`. */
export function coordinator(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'habitat-config-'));
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return root;
}
