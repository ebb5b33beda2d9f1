import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
  partialValues,
  readCredential,
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

describe('partial credential values (scrubbed on their own)', () => {
  test('every leaf of a JSON file credential', () => {
    const json = JSON.stringify({
      type: 'service_account',
      private_key_id: 'a1b2c3d4e5f6',
      nested: { client_secret: 'GOCSPX-abcdef123456', ids: [12345678901234] },
      short: 'ab',
    });
    const parts = partialValues(json);
    expect(parts).toEqual(
      expect.arrayContaining(['service_account', 'a1b2c3d4e5f6', 'GOCSPX-abcdef123456', '12345678901234']),
    );
    expect(parts).not.toContain('ab');
  });

  test('each value of a .env file, even when other lines are malformed', () => {
    const env = 'API_KEY=sk-abcdef123456\nthis line is not an assignment\nexport OTHER="quoted value 42"\n';
    expect(parseEnvFile(env)).toBeUndefined();
    const parts = partialValues(env);
    expect(parts).toEqual(expect.arrayContaining(['sk-abcdef123456', 'quoted value 42']));
  });

  test('readCredential scrubs the parts and the whole', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'habitat-cred-'));
    const file = path.join(dir, 'gcp.json');
    writeFileSync(file, JSON.stringify({ token: 'tok-0123456789', user: 'me' }));
    const values = await readCredential({
      name: 'gcp',
      source: { kind: 'file', path: file },
      as: 'file',
      envName: 'GCP',
    });
    expect(values.values).toEqual(expect.arrayContaining(['tok-0123456789']));
    expect(values.values.some((v) => v.startsWith('{'))).toBe(true);
  });
});
