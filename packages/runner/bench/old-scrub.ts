// The scrubber as it was before issue 13 (git 0638fcf, packages/runner/src/scrub.ts), kept as the baseline
// of bench/scrub.ts: it holds back the last (longest form - 1) bytes of every chunk until more output comes.
import type { Secret } from '../src/scrub.ts';

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

export class OldScrubber {
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
