// words.ts reads ASCII text with ASCII classes and hands anything else to the Unicode ones: every answer must be the
// one the Unicode regex it replaces gives, on ASCII, on text that turns non-ASCII mid-word, and on mixed text.
import { expect, test } from 'vitest';
import { endsInStar, hasWordChar, isAscii, tokenRuns, wordMatches, wordsOf } from '../src/words.js';

const SAMPLES = [
  '',
  '   ',
  'general',
  'rate-limit retry_after=30s',
  'deploy*',
  'deploy**',
  '*',
  'a*b',
  'x-*',
  '"quoted phrase"',
  'abcé',
  'abc\u00e9def ghi',
  'ab…cd',
  'word—dash',
  'e\u0301tude',
  'caf\u00e9 CAFÉ',
  '日本語のテキスト and ascii',
  '12345 ٣٤٥ digits',
  '𝒜𝒷𝒸 astral letters',
  'emoji 👍 ok',
  'private \ue000\ue001 use',
  'tab\tnew\nline\r\n',
  'trailing ascii then é',
  `${'x'.repeat(5000)}é`,
  `${'lorem ipsum '.repeat(300)}naïve end`,
  'Ωmega',
  'ÀÉÎ',
];

/** Deterministic mixed strings: ASCII words and punctuation with non-ASCII letters, marks and symbols among them. */
function mixed(n: number): string[] {
  const alphabet = [
    'a',
    'Z',
    '7',
    ' ',
    '-',
    '_',
    '*',
    '.',
    'é',
    '\u0301',
    '…',
    '日',
    '٣',
    '𝒜',
    '\ue000',
    '👍',
    '\n',
  ];
  let seed = 17;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed;
  };
  return Array.from({ length: n }, () =>
    Array.from({ length: 1 + (next() % 40) }, () => alphabet[next() % alphabet.length]).join(''),
  );
}

const cases = [...SAMPLES, ...mixed(500)];

test('wordMatches yields what matchAll(/[\\p{L}\\p{N}]+/gu) yields: the same words at the same offsets', () => {
  for (const s of cases) {
    const got = [...wordMatches(s)].map((m) => [m.index, m[0]]);
    const want = [...s.matchAll(/[\p{L}\p{N}]+/gu)].map((m) => [m.index, m[0]]);
    expect(got, JSON.stringify(s)).toEqual(want);
  }
});

test('wordMatches stops early when its reader does (a snippet in a long field)', () => {
  const seen: string[] = [];
  for (const m of wordMatches(`one two three ${'x '.repeat(100_000)}`)) {
    seen.push(m[0]);
    if (seen.length === 3) break;
  }
  expect(seen).toEqual(['one', 'two', 'three']);
});

test('wordsOf, tokenRuns, hasWordChar and endsInStar answer as the Unicode regexes do', () => {
  for (const s of cases) {
    const label = JSON.stringify(s);
    expect(wordsOf(s), label).toEqual(s.match(/[\p{L}\p{N}]+/gu) ?? []);
    expect(tokenRuns(s), label).toEqual(s.match(/[\p{L}\p{N}\p{Co}]+/gu) ?? []);
    expect(hasWordChar(s), label).toBe(/[\p{L}\p{N}]/u.test(s));
    expect(endsInStar(s), label).toBe(/[\p{L}\p{N}]\*+$/u.test(s));
    expect(isAscii(s), label).toBe([...s].every((c) => c.charCodeAt(0) < 0x80));
  }
});
