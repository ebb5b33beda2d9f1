/**
 * Short machine-made passwords and tokens standing alone (`d2LkV78zLx!t`, `pRf7vG2h1L8nQkW9`, `Sk94HG7f6KB`): 10-40
 * characters that mix digits all through letters of both cases or symbols, with no run of more than four letters.
 * gitleaks finds such values only after a key (`curl -u user:…`, `password = …`); a session repeats them bare
 * ("the password is …"). Words, identifiers (`toBase64Url`, `H264Decoder`), versions, hex and paths have longer
 * letter runs, one case, or sit in a path or a dotted name, and are left alone.
 */

import { namedAsId } from './secret-tokens.js';

interface Span {
  start: number;
  end: number;
  kind: string;
}

/** `[A-Za-z0-9!@#$%^&*~]`: 1; what may stand next to such a value (white space, quotes, brackets, `,;:=`): 2. */
const CLASS = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*~')
  CLASS[c.charCodeAt(0)] = 1;
for (const c of ' \t\n\r"\'`()[]{}<>,;:=') CLASS[c.charCodeAt(0)] = 2;

const isRunChar = (c: number) => c < 128 && CLASS[c] === 1;
/** start or end of the text (NaN), or a boundary character */
const isBoundary = (c: number) => Number.isNaN(c) || (c < 128 && CLASS[c] === 2);

const MIN = 10;
const MAX = 40;

const DIGIT = /[0-9]/g;

/**
 * Spans of short stand-alone passwords in `text`. Such a value holds digits: runs are found from each digit (the
 * regex engine finds them fast, and `test` allocates no match), each run judged once.
 */
export function shortSecretSpans(text: string, out: Span[]): void {
  const n = text.length;
  DIGIT.lastIndex = 0;
  while (DIGIT.test(text)) {
    const d = DIGIT.lastIndex - 1;
    let start = d;
    while (start > 0 && isRunChar(text.charCodeAt(start - 1))) start--;
    let end = d + 1;
    while (end < n && isRunChar(text.charCodeAt(end))) end++;
    const len = end - start;
    if (
      len >= MIN &&
      len <= MAX &&
      isBoundary(text.charCodeAt(start - 1)) &&
      isBoundary(text.charCodeAt(end)) &&
      looksMachineMade(text, start, end)
    )
      out.push({ start, end, kind: 'password' });
    if (end >= n) break;
    DIGIT.lastIndex = end + 1;
  }
}

function looksMachineMade(text: string, start: number, end: number): boolean {
  let lower = 0;
  let upper = 0;
  let digit = 0;
  let symbol = 0;
  let letterRun = 0;
  let longestRun = 0;
  let vowels = 0;
  let hexOnly = true;
  // class switches (lower / upper / digit / symbol); lower-case letters standing alone
  let switches = 0;
  let lone = 0;
  let prev = -1;
  for (let k = start; k < end; k++) {
    const c = text.charCodeAt(k);
    let cls: number;
    if (c >= 97 && c <= 122) {
      cls = 0;
      lower++;
      if (c > 102) hexOnly = false;
      if (c === 97 || c === 101 || c === 105 || c === 111 || c === 117) vowels++;
    } else if (c >= 65 && c <= 90) {
      cls = 1;
      upper++;
      if (c > 70) hexOnly = false;
    } else if (c >= 48 && c <= 57) cls = 2;
    else cls = 3;
    if (prev >= 0 && cls !== prev) switches++;
    // a lower-case letter standing alone between capitals or digits (`biWiJu`): camel-case words never have one
    if (cls === 0 && prev !== 0 && !isLower(text.charCodeAt(k + 1))) lone++;
    prev = cls;
    if (cls === 2) digit++;
    else if (cls === 3) symbol++;
    if (cls >= 2) letterRun = 0;
    else if (++letterRun > longestRun) longestRun = letterRun;
  }
  const n = end - start;
  // hex in either case (`3fea6af1349166ea`, `652d9a2e48FC7E`) is a digest or a made-up example, not a password
  if (digit < 2 || lower + upper < 4 || symbol > 3 || hexOnly) return false;
  // a leading `#`/`@`/`$` names a colour, a handle or a variable, not a value
  const first = text.charCodeAt(start);
  if (first === 35 || first === 64 || first === 36) return false;
  if ((upper > 0 && lower > 0) || symbol > 0) {
    // letter runs of 5+ read as words (`H264Decoder`, `toBase64Url`) unless lower-case letters stand alone in them
    // as in random text (`su9OL59biWiJu7`); calibrated on the real transcripts: no hit there
    return longestRun <= 4 || lone >= 2;
  }
  // lower case and digits (`eg6ivqw1lw5ntd6`, `qgsnai0xokrw4j1`): 14+ characters, digits in 3+ places all through,
  // few vowels; not `0x…` (an address), not a word with a number (`python311`, `utf8mb4`)
  if (upper > 0 || n < 14 || digit < 3 || switches < 5 || longestRun > 6) return false;
  if (text.charCodeAt(start) === 48 && text.charCodeAt(start + 1) === 120) return false;
  return vowels < 0.34 * lower;
}

/** `user:password` of two 8-digit hex halves standing alone (Sidekiq Enterprise's gem credentials, `BUNDLE_…`). */
const HEX_PAIR = /^[0-9a-fA-F]{8}:[0-9a-fA-F]{8}$/;
/** what may not touch the pair: word characters, `:`, `.`, `/`, `@`, `-` (paths, addresses, ranges) */
const ATTACHED = /[\w:./@-]/;

/**
 * Spans of bare hex credential pairs, unless the text around names them ids (git output, digests, sessions). Found
 * from each `:` (a regex tried at every position cost more than the rest of this module).
 */
export function hexPairSpans(text: string, out: Span[]): void {
  for (let at = text.indexOf(':', 8); at >= 0 && at + 8 < text.length; at = text.indexOf(':', at + 1)) {
    // most colons (JSON keys, times, URLs) fail on the character next to them: check codes before slicing
    if (!isHex(text.charCodeAt(at - 1)) || !isHex(text.charCodeAt(at + 1))) continue;
    const start = at - 8;
    const end = at + 9;
    if (!HEX_PAIR.test(text.slice(start, end))) continue;
    if (start > 0 && ATTACHED.test(text[start - 1] as string)) continue;
    if (end < text.length && /[\w:/-]/.test(text[end] as string)) continue;
    if (!namedAsId(text, start, end)) out.push({ start, end, kind: 'token' });
  }
}

function isLower(c: number): boolean {
  return c >= 97 && c <= 122;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}
