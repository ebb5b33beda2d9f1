/**
 * Words as the FTS tokenizer reads them (runs of `[\p{L}\p{N}]`), read with ASCII classes where the text is ASCII.
 * Each regex with Unicode property classes costs a fresh process ~0.3-0.9 ms to compile, and again to tier up to
 * machine code: together ~1.8 of the ~6.6 ms of a process's first `sessions search general` at 256 MB. On ASCII,
 * `[\p{L}\p{N}]` (and `\p{Co}`, which has no ASCII character) is exactly `[A-Za-z0-9]`; any other character goes
 * to the Unicode classes, so every result is the one the Unicode regex gives.
 */

/** Any character outside ASCII (a UTF-16 code unit from U+0080 up, surrogates too). */
const NON_ASCII = /[\u0080-\uffff]/;

/** `s` holds only ASCII characters. */
export function isAscii(s: string): boolean {
  return !NON_ASCII.test(s);
}

/** `s` holds a letter or digit: `/[\p{L}\p{N}]/u.test(s)`. */
export function hasWordChar(s: string): boolean {
  return isAscii(s) ? /[A-Za-z0-9]/.test(s) : /[\p{L}\p{N}]/u.test(s);
}

/** `s` ends in a letter or digit and one or more `*` (FTS5's prefix): `/[\p{L}\p{N}]\*+$/u.test(s)`. */
export function endsInStar(s: string): boolean {
  return isAscii(s) ? /[A-Za-z0-9]\*+$/.test(s) : /[\p{L}\p{N}]\*+$/u.test(s);
}

/** The words of `s`: `s.match(/[\p{L}\p{N}]+/gu) ?? []`. */
export function wordsOf(s: string): string[] {
  return (isAscii(s) ? s.match(/[A-Za-z0-9]+/g) : s.match(/[\p{L}\p{N}]+/gu)) ?? [];
}

/** The tokens of `s`, private-use characters too: `s.match(/[\p{L}\p{N}\p{Co}]+/gu) ?? []`. */
export function tokenRuns(s: string): string[] {
  return (isAscii(s) ? s.match(/[A-Za-z0-9]+/g) : s.match(/[\p{L}\p{N}\p{Co}]+/gu)) ?? [];
}

/**
 * The words of `text` with their offsets, as `text.matchAll(/[\p{L}\p{N}]+/gu)` yields them, lazily (a snippet
 * stops early in megabytes of tool output). ASCII classes up to the first other character; from the start of the
 * word it touches (or the character itself), the Unicode classes: the character before that point is ASCII and
 * no letter or digit, so no word runs across it.
 */
export function* wordMatches(text: string): Generator<RegExpExecArray> {
  const ascii = /[A-Za-z0-9]+|[\u0080-\uffff]/g;
  let from = -1;
  for (let m = ascii.exec(text); m; m = ascii.exec(text)) {
    // a word the next character may continue, or a character outside ASCII
    if (m[0].charCodeAt(0) >= 0x80 || text.charCodeAt(m.index + m[0].length) >= 0x80) {
      from = m.index;
      break;
    }
    yield m;
  }
  if (from < 0) return;
  const unicode = /[\p{L}\p{N}]+/gu;
  unicode.lastIndex = from;
  for (let m = unicode.exec(text); m; m = unicode.exec(text)) yield m;
}
