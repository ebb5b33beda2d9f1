// The wake file is agent-written input: whatever it holds, the result is a finite instant or a warning.
import { describe, expect, test } from 'vitest';
import { parseWakeRequest } from '../src/wake.js';

const now = new Date('2026-12-01T09:00:00.000Z');
const policy = { mode: 'agent' as const, minMs: 60_000, maxMs: 7 * 86_400_000 };

describe('wake file garbage', () => {
  const garbage = [
    '99999999999999w',
    '100000000000000000000',
    `${'9'.repeat(400)}`,
    '1e400',
    '+275760-09-13T00:00:00Z',
    '275760-09-13',
    '9999-99-99',
    '2026-02-30',
    '2026-02-29T10:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-01-01T25:00:00Z',
    '-1h',
    'NaN',
    'Infinity',
    '\u0000\u0001',
    '',
    '   ',
    '2026-12-01T09:00:00Z\u2028x',
    '46m\n'.repeat(1000),
    'null',
    '{"at": 1}',
    '0',
  ];
  test.each(garbage)('%j never yields an invalid date', (content) => {
    for (const p of [policy, undefined]) {
      const r = parseWakeRequest(content, now, p);
      if (r.wakeAt) {
        expect(Number.isFinite(r.wakeAt.getTime())).toBe(true);
        expect(() => r.wakeAt!.toISOString()).not.toThrow();
      }
    }
  });

  test('an impossible date is rejected, not rolled over', () => {
    expect(parseWakeRequest('2026-02-30T10:00:00Z', now, policy)).toEqual({
      warning: 'wake file: "2026-02-30T10:00:00Z" is not a real date (no such day or time); ignored',
    });
    expect(parseWakeRequest('2026-12-02T10:00:00Z', now, policy).wakeAt?.toISOString()).toBe(
      '2026-12-02T10:00:00.000Z',
    );
  });

  test('a request in the past or 0 waits the policy minimum (a minute by default)', () => {
    for (const spec of ['0', '0s', '2020-01-01T00:00:00Z']) {
      const r = parseWakeRequest(spec, now, policy);
      expect(r.wakeAt?.getTime()).toBe(now.getTime() + 60_000);
      expect(r.warning).toMatch(/outside the agent's wake policy/);
    }
  });

  test('huge durations are ignored as too far away', () => {
    for (const p of [policy, undefined]) {
      const r = parseWakeRequest('99999999999999w', now, p);
      expect(r.wakeAt).toBeUndefined();
      expect(r.warning).toMatch(/too far away/);
    }
  });
});
