import { expect, test } from 'vitest';
import { KeyFilter, keyHash, keyInt } from '../src/usage.js';

const key = (i: number) => `msg_01${i.toString(36)}\treq_011${(i * 7).toString(36)}`;

test('the cold-build key filter never forgets a key and rarely claims an unseen one', () => {
  const f = new KeyFilter();
  const n = 100_000;
  for (let i = 0; i < n; i++) f.add(keyHash(key(i), 1));
  for (let i = 0; i < n; i++) expect(f.has(keyHash(key(i), 1))).toBe(true);
  let claimed = 0;
  for (let i = 0; i < n; i++) if (f.has(keyHash(`msg_02${i.toString(36)}\tsession-${i}`, 2))) claimed++;
  expect(claimed / n).toBeLessThan(0.001);
});

test('usage key hashes: 64 bits, seeds apart, no collision among 300k near-identical keys', () => {
  expect(keyInt(keyHash('a', 1))).not.toBe(keyInt(keyHash('a', 2)));
  const seen = new Set<bigint>();
  for (let i = 0; i < 100_000; i++) {
    seen.add(keyInt(keyHash(key(i), 1)));
    seen.add(keyInt(keyHash(key(i), 2)));
    // one character apart from key(i)
    seen.add(keyInt(keyHash(`${key(i)}x`, 1)));
  }
  expect(seen.size).toBe(300_000);
  const h = keyInt(keyHash(key(1), 1));
  expect(h >= -(2n ** 63n) && h < 2n ** 63n).toBe(true);
});
