import { describe, expect, test } from 'vitest';
import {
  ConfigError,
  cronProblem,
  describeSchedule,
  formatDuration,
  jitterFor,
  nextFireTime,
  parseDuration,
  parseEnvFile,
  parseSize,
} from '../src/index.js';

describe('durations', () => {
  test.each([
    ['500ms', 500],
    ['2s', 2000],
    ['46m', 46 * 60_000],
    ['6h', 6 * 3_600_000],
    ['1d', 86_400_000],
    ['1h30m', 90 * 60_000],
    ['90', 90_000],
  ])('%s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  test('garbage is a typed error that shows the allowed form', () => {
    expect(() => parseDuration('soon')).toThrow(ConfigError);
    expect(() => parseDuration('5 minutes')).toThrow(/e\.g\. "30s"/);
  });

  test('formatting round-trips the common cases', () => {
    for (const text of ['46m', '6h', '1h30m', '2s', '1d'])
      expect(formatDuration(parseDuration(text))).toBe(text);
  });

  test('sizes use binary units', () => {
    expect(parseSize('2g')).toBe(2 * 1024 ** 3);
    expect(parseSize('512m')).toBe(512 * 1024 ** 2);
    expect(() => parseSize('lots')).toThrow(ConfigError);
  });
});

describe('schedules', () => {
  test('cron next fire time honours the time zone', () => {
    const next = nextFireTime(
      { kind: 'cron', cron: '0 9 * * *', timezone: 'Europe/Berlin', jitterMs: 0 },
      new Date('2026-07-01T12:00:00Z'),
    );
    expect(next?.toISOString()).toBe('2026-07-02T07:00:00.000Z');
  });

  test('every counts from the given time; manual never fires', () => {
    expect(nextFireTime({ kind: 'every', everyMs: 60_000, jitterMs: 0 }, new Date(0))?.getTime()).toBe(
      60_000,
    );
    expect(nextFireTime({ kind: 'manual' }, new Date())).toBeUndefined();
  });

  test('jitter is deterministic per agent and slot, and within bounds', () => {
    const a = jitterFor('a', 1000, 120_000);
    expect(jitterFor('a', 1000, 120_000)).toBe(a);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(120_000);
    const spread = new Set(['a', 'b', 'c', 'd', 'e'].map((n) => jitterFor(n, 1000, 120_000)));
    expect(spread.size).toBeGreaterThan(1);
  });

  test('cron problems are named per field', () => {
    expect(cronProblem('0 25 * * *')).toBe('hours are 0-23');
    expect(cronProblem('* * * *')).toMatch(/has 4 fields/);
    expect(cronProblem('*/15 * * * *')).toBeUndefined();
  });

  test('schedules read as words', () => {
    expect(describeSchedule({ kind: 'every', everyMs: 6 * 3_600_000, jitterMs: 0 })).toBe('every 6h');
    expect(
      describeSchedule({ kind: 'cron', cron: '30 9 * * 1-5', timezone: 'Europe/Lisbon', jitterMs: 0 }),
    ).toBe('weekdays at 09:30 (Europe/Lisbon)');
  });
});

test('.env content parses to its keys and values; other content does not', () => {
  expect(parseEnvFile('# comment\nexport A=1\nB="two words"\n')).toEqual({ A: '1', B: 'two words' });
  expect(parseEnvFile('ghp_plainTokenValue\n')).toBeUndefined();
});
