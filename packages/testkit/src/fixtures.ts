import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const made: string[] = [];
process.once('exit', () => {
  if (process.env.HABITAT_KEEP_TMP) return;
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A real temp directory holding `{ relativePath: content }`, removed when the process exits. */
export function testdir(files: Record<string, string> = {}, prefix = 'habitat-test-'): string {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(root);
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content, rel.endsWith('.sh') ? { mode: 0o755 } : {});
  }
  return root;
}

/** Poll until `predicate` is truthy (it may be async). */
export async function waitFor<T>(
  predicate: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  options: { timeout?: number; interval?: number; what?: string } = {},
): Promise<T> {
  const end = Date.now() + (options.timeout ?? 10_000);
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${options.what ?? 'a condition'}`);
    await new Promise((r) => setTimeout(r, options.interval ?? 50));
  }
}
