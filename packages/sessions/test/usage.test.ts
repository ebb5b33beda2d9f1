import { expect, test } from 'vitest';
import { KeyFilter } from '../src/usage.js';

test('the cold-build key filter never forgets a key and rarely claims an unseen one', () => {
  const f = new KeyFilter();
  const n = 100_000;
  for (let i = 0; i < n; i++) f.add(`kmsg_01${i.toString(36)}\treq_011${(i * 7).toString(36)}`);
  for (let i = 0; i < n; i++)
    expect(f.has(`kmsg_01${i.toString(36)}\treq_011${(i * 7).toString(36)}`)).toBe(true);
  let claimed = 0;
  for (let i = 0; i < n; i++) if (f.has(`rmsg_02${i.toString(36)}\tsession-${i}`)) claimed++;
  expect(claimed / n).toBeLessThan(0.001);
});
