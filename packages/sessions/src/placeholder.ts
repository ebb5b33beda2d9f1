/**
 * Values that fill the place of a secret without being one: `xxxxxxxx`, `AKIAXXXXXXXXXXXXXXXX`, `glc_1111…`,
 * `GR1348941123123123…`, and names after a key prefix (`hf_requiredCharacteristicTypes…`, `xoxb-Slack_BOT_TOKEN`).
 * gitleaks lists such strings as false positives of its rules; a real key has neither one character filling most of
 * it, nor a short unit repeated through it, nor a body of words.
 */

const counts = new Uint16Array(128);

/**
 * Placeholder marks (`x`, `#`, `*`) fill 60% of the value's letters and digits, or one character nearly all of it,
 * or a 2-4 character unit repeats through 60% of it, or 75% of it counts up (`0123456789abcdef…`). For a value
 * found by its shape alone; a value a vendor prefix or a secret's name marks is judged by `isPlainPlaceholder`.
 */
export function isPlaceholder(value: string): boolean {
  if (isPlainPlaceholder(value)) return true;
  const core = value.replace(/[^A-Za-z0-9#*]/g, '');
  return core.length >= 8 && ascending(core) * 4 >= core.length * 3;
}

/**
 * The placeholders nobody mistakes for a key: marks, one character, or a short unit filling it (`xxxx…`, `0000…`,
 * `****`, `123123…`), or `…your-key-here`. Counting up (`AbCdEfGh…`, `0123456789…`) is not among them: after a
 * vendor prefix or a name that says secret it is redacted, since a real key pasted there can hold such a run and
 * must not leak (issue #11); standing bare in prose it stays readable (`isPlaceholder`), where it is far more often
 * an example than a key.
 */
export function isPlainPlaceholder(value: string): boolean {
  if (/(?:^|[-_.])your[-_.].*[-_.]here$/i.test(value)) return true;
  const core = value.replace(/[^A-Za-z0-9#*]/g, '');
  if (core.length < 8) return false;
  // `x`, `X`, `#`, `*` filling 60% of it, or any one character filling 95% after a 4-character prefix (`glc_1111…`,
  // `AIzaaaaa…`); a generated key can repeat a character often (`ASIAUAAAAAAAAAAAAAAA` is one), not that often
  counts.fill(0);
  let marks = 0;
  for (let i = 0; i < core.length; i++) {
    const c = core.charCodeAt(i) & 127;
    if (c === 120 || c === 88 || c === 35 || c === 42) marks++;
  }
  if (marks * 5 >= core.length * 3 || /[#*xX]{8}$/.test(core)) return true;
  let max = 0;
  for (let i = 4; i < core.length; i++) {
    const c = core.charCodeAt(i) & 127;
    const n = (counts[c] as number) + 1;
    counts[c] = n;
    if (n > max) max = n;
  }
  if (max * 20 >= (core.length - 4) * 19) return true;
  let repeated = 0;
  // a unit of digits or of one case (`123123…`, `abab…`); a made-up key such as `Zq9Zq9…` still reads as a key
  for (const m of core.matchAll(/(\d{2,4}|[a-z]{2,4}|[A-Z]{2,4})\1{3,}/g))
    if (new Set(m[1]).size > 1) repeated += m[0].length;
  return repeated * 5 >= core.length * 3;
}

/**
 * Runs of 4+ of one character fill 60% of it (`sgp_5555555dAAAAA7777777CcccCFaaaaaaaaaaaaaa`, `ntn_00000…`): random
 * text has none. Not applied to the formats the issue names (`ASIAUAAAAAAAAAAAAAAA` is a valid AWS key id).
 */
export function isFilledWithRuns(value: string): boolean {
  const core = value.replace(/[^A-Za-z0-9]/g, '');
  if (core.length < 16) return false;
  let inRuns = 0;
  for (const m of core.matchAll(/(.)\1{3,}/g)) inRuns += m[0].length;
  return inRuns * 5 >= core.length * 3;
}

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Characters in runs of 6+ that follow each other in `0-9a-z` (`0123456789abcdef`, `abcdefghij`). */
function ascending(core: string): number {
  const lower = core.toLowerCase();
  let total = 0;
  let run = 1;
  for (let i = 1; i <= lower.length; i++) {
    const prev = ALPHABET.indexOf(lower[i - 1] as string);
    if (i < lower.length && prev >= 0 && ALPHABET[prev + 1] === lower[i]) run++;
    else {
      if (run >= 6) total += run;
      run = 1;
    }
  }
  return total;
}

/**
 * A vendor-prefixed match whose body is words, not key material: after the prefix (`hf_`, `xoxe.xoxp-1-`), letters
 * only, each `_`-separated word capitalised words (`SlackAppConfigurationAccessTokenHere`) or one case with the
 * vowels of words (`servingcellpriority`, `TOKEN`). Random key bodies mix cases within a word (`jCBaQngSHiHDRYO…`),
 * have few vowels, or hold digits.
 */
export function isWordsAfterPrefix(match: string): boolean {
  const body = match.replace(/^(?:[A-Za-z0-9]{1,8}[._-]){1,3}/, '');
  if (body === match || body.length < 5 || !/^[A-Za-z]+(?:_[A-Za-z]+)*$/.test(body)) return false;
  // single-case runs read as words when they hold as many vowels as words do (random letters: ~1 in 5)
  const vowels = (body.match(/[aeiou]/gi)?.length ?? 0) / body.replace(/_/g, '').length;
  return body
    .split('_')
    .every(
      (w) => /^[a-z]*(?:[A-Z][a-z]+)+[A-Z]?$/.test(w) || (/^(?:[a-z]+|[A-Z]+)$/.test(w) && vowels >= 0.3),
    );
}
