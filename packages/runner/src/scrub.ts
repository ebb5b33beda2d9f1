import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

// Streaming secret scrubber: every credential value, and its base64 form, is replaced before a byte is
// written anywhere. A value split across two chunks is caught by holding back the last (longest-1) bytes.

/** A secret to scrub: its value and the name shown instead. */
export interface Secret {
  name: string;
  value: string;
}

interface Needle {
  bytes: Buffer;
  replacement: Buffer;
}

/** The forms a value is scrubbed in: as is, and base64 (padded and unpadded, standard and url-safe). */
function formsOf(value: string): string[] {
  const b64 = Buffer.from(value).toString('base64');
  const url = Buffer.from(value).toString('base64url');
  return [value, b64, b64.replace(/=+$/, ''), url].filter(
    (v, i, all) => v.length >= 4 && all.indexOf(v) === i,
  );
}

export class Scrubber {
  private readonly needles: Needle[];
  private readonly hold: number;
  private tail: Buffer = Buffer.alloc(0);
  /** how many replacements were made */
  count = 0;

  constructor(secrets: readonly Secret[]) {
    const needles = secrets.flatMap((s) =>
      formsOf(s.value).map((form) => ({
        bytes: Buffer.from(form),
        replacement: Buffer.from(`[REDACTED:${s.name}]`),
      })),
    );
    // Longest first, so a value that contains another is replaced whole.
    this.needles = needles.sort((a, b) => b.bytes.length - a.bytes.length);
    this.hold = Math.max(0, ...this.needles.map((n) => n.bytes.length - 1));
  }

  get active(): boolean {
    return this.needles.length > 0;
  }

  /** Scrub a whole buffer (no streaming state involved). */
  scrubBuffer(data: Buffer): Buffer {
    return this.active ? this.replace(data) : data;
  }

  /** Scrub a whole string (errors, messages). */
  scrubText(text: string): string {
    if (!this.active) return text;
    return this.replace(Buffer.from(text)).toString();
  }

  /** Feed a chunk; returns the bytes that are now safe to write (possibly empty). */
  push(chunk: Buffer): Buffer {
    if (!this.active) return chunk;
    const data = this.replace(this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk);
    const keep = Math.min(this.hold, data.length);
    this.tail = Buffer.from(data.subarray(data.length - keep));
    return data.subarray(0, data.length - keep);
  }

  /** The held-back bytes at the end of the stream. */
  flush(): Buffer {
    const rest = this.tail;
    this.tail = Buffer.alloc(0);
    return rest;
  }

  private replace(data: Buffer): Buffer {
    let out = data;
    for (const needle of this.needles) {
      let at = out.indexOf(needle.bytes);
      if (at < 0) continue;
      const parts: Buffer[] = [];
      let from = 0;
      while (at >= 0) {
        parts.push(out.subarray(from, at), needle.replacement);
        this.count++;
        from = at + needle.bytes.length;
        at = out.indexOf(needle.bytes, from);
      }
      parts.push(out.subarray(from));
      out = Buffer.concat(parts);
    }
    return out;
  }
}

/**
 * Scrub every file under `dir` modified since `sinceMs` (e.g. the session logs an agent's Claude Code wrote
 * during a run) in place. Returns how many files changed.
 */
export async function scrubTree(dir: string, scrubber: Scrubber, sinceMs: number): Promise<number> {
  let changed = 0;
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const info = await stat(file);
    if (info.mtimeMs < sinceMs || info.size > 512 * 1024 * 1024) continue;
    const before = scrubber.count;
    const text = await readFile(file);
    const out = scrubber.scrubBuffer(text);
    if (scrubber.count > before) {
      await writeFile(file, out);
      changed++;
    }
  }
  return changed;
}
