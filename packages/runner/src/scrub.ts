import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

// Streaming secret scrubber: every credential value, in each form it is commonly printed in, is replaced
// before a byte is written anywhere. A value split across two chunks is caught by holding back only the
// end of a chunk that could still be the start of a form (usually nothing: output flows at once); the
// caller releases a held tail when the stream goes idle (run-output.ts).

/** A secret to scrub: its value and the name shown instead. */
export interface Secret {
  name: string;
  value: string;
}

interface Needle {
  bytes: Buffer;
  replacement: Buffer;
  /** a shorter needle inside this one: where that one does not occur, this one cannot (one scan saved) */
  witness?: Needle;
}

/** Encoded forms shorter than this are not scrubbed on their own: too likely to occur by chance. */
const MIN_FORM = 8;

/**
 * The base64 characters that depend on the value alone when it starts at byte offset `shift` (0-2) of a
 * larger encoded blob: the characters mixing in a neighbour's bits are dropped at both ends.
 */
function base64Core(value: Buffer, shift: number, alphabet: 'base64' | 'base64url'): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), value]).toString(alphabet);
  const whole = Math.floor((shift + value.length) / 3) * 4;
  return encoded.slice([0, 2, 3][shift], whole);
}

/**
 * The forms a value is scrubbed in: as is, JSON-escaped, URL-encoded, hex (both cases) and base64 (padded,
 * and the value-only core at each of the three byte alignments, standard and url-safe alphabets).
 */
export function formsOf(value: string): string[] {
  const bytes = Buffer.from(value);
  const forms = [value];
  const encoded = [
    JSON.stringify(value).slice(1, -1),
    encodeURIComponent(value),
    encodeURIComponent(value).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    bytes.toString('base64'),
    bytes.toString('base64url'),
  ];
  for (const shift of [0, 1, 2])
    for (const alphabet of ['base64', 'base64url'] as const) encoded.push(base64Core(bytes, shift, alphabet));
  forms.push(...encoded.filter((f) => f.length >= MIN_FORM));
  return [...new Set(forms)].filter((f) => f.length >= 4);
}

export class Scrubber {
  private readonly needles: Needle[];
  /** for each first byte, the needles starting with it (to find a partial match at a chunk's end) */
  private readonly byFirst = new Map<number, Needle[]>();
  private readonly longest: number;
  private tail: Buffer = Buffer.alloc(0);
  /** how many replacements were made */
  count = 0;

  constructor(secrets: readonly Secret[]) {
    const seen = new Set<string>();
    const needles: Needle[] = [];
    for (const s of secrets)
      for (const form of formsOf(s.value)) {
        if (seen.has(form)) continue;
        seen.add(form);
        needles.push({ bytes: Buffer.from(form), replacement: Buffer.from(`[REDACTED:${s.name}]`) });
      }
    // Longest first, so a value that contains another is replaced whole.
    this.needles = needles.sort((a, b) => b.bytes.length - a.bytes.length);
    for (const [i, n] of this.needles.entries()) {
      const inside = this.needles.slice(i + 1).filter((m) => n.bytes.includes(m.bytes));
      if (inside.length > 0) n.witness = inside[inside.length - 1];
    }
    for (const n of this.needles) {
      const first = n.bytes[0]!;
      const list = this.byFirst.get(first) ?? [];
      list.push(n);
      this.byFirst.set(first, list);
    }
    this.longest = Math.max(0, ...this.needles.map((n) => n.bytes.length));
  }

  get active(): boolean {
    return this.needles.length > 0;
  }

  /** How many bytes are held back, waiting to see whether they start a secret. */
  get pending(): number {
    return this.tail.length;
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
    const data = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    // Hold back (unreplaced) the longest end that could still grow into a form; a form that is complete
    // but crosses into that end is replaced, and the hold restarts after it.
    let hold = this.partialFrom(data, 0);
    let matches = this.matches(data, hold);
    for (;;) {
      const end = matches.reduce((max, m) => Math.max(max, m.end), 0);
      if (end <= hold) break;
      hold = this.partialFrom(data, end);
      matches = this.matches(data, hold);
    }
    this.tail = hold < data.length ? Buffer.from(data.subarray(hold)) : Buffer.alloc(0);
    return this.build(data.subarray(0, hold), matches);
  }

  /** The held-back bytes, scrubbed (at the end of the stream, or when it has been idle long enough). */
  flush(): Buffer {
    const rest = this.tail;
    this.tail = Buffer.alloc(0);
    return rest.length > 0 ? this.replace(rest) : rest;
  }

  /** The earliest position at or after `from` where the rest of `data` is a proper prefix of a form. */
  private partialFrom(data: Buffer, from: number): number {
    for (let at = Math.max(from, data.length - this.longest + 1); at < data.length; at++) {
      const candidates = this.byFirst.get(data[at]!);
      if (!candidates) continue;
      const rest = data.length - at;
      for (const n of candidates) {
        if (n.bytes.length <= rest) continue;
        if (data.compare(n.bytes, 0, rest, at) === 0) return at;
      }
    }
    return data.length;
  }

  /** Non-overlapping occurrences starting before `limit`, longest forms first, sorted by position. */
  private matches(data: Buffer, limit: number): Match[] {
    const found: Match[] = [];
    // shortest first: which needles occur at all (a needle whose witness is absent is absent too)
    const absent = new Set<Needle>();
    for (let i = this.needles.length - 1; i >= 0; i--) {
      const n = this.needles[i]!;
      if ((n.witness && absent.has(n.witness)) || data.indexOf(n.bytes) < 0) absent.add(n);
    }
    if (absent.size === this.needles.length) return found;
    // bytes already taken by a (longer) match; allocated only once something matches
    let taken: Uint8Array | undefined;
    const free = (start: number, end: number) => {
      if (!taken) return true;
      for (let i = start; i < end; i++) if (taken[i]) return false;
      return true;
    };
    for (const needle of this.needles) {
      if (absent.has(needle)) continue;
      let at = data.indexOf(needle.bytes);
      while (at >= 0 && at < limit) {
        const end = at + needle.bytes.length;
        if (free(at, end)) {
          found.push({ start: at, end, replacement: needle.replacement });
          taken ??= new Uint8Array(data.length);
          taken.fill(1, at, end);
          at = data.indexOf(needle.bytes, end);
        } else at = data.indexOf(needle.bytes, at + 1);
      }
    }
    return found.sort((a, b) => a.start - b.start);
  }

  /** `data` (a prefix of what `matches` was computed on) with every match replaced. */
  private build(data: Buffer, matches: Match[]): Buffer {
    if (matches.length === 0) return data;
    const parts: Buffer[] = [];
    let from = 0;
    for (const m of matches) {
      parts.push(data.subarray(from, m.start), m.replacement);
      from = m.end;
    }
    this.count += matches.length;
    parts.push(data.subarray(from));
    return Buffer.concat(parts);
  }

  private replace(data: Buffer): Buffer {
    return this.build(data, this.matches(data, data.length));
  }
}

interface Match {
  start: number;
  end: number;
  replacement: Buffer;
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
