// One vocabulary across packages: every library error is a HabitatError with a stable `code` first, and no
// library message names a CLI flag; one duration parser reads `1h30m` and `90s` everywhere.
import { ConfigError, HabitatError, isHabitatError, parseDuration } from '@habitat/config';
import { KnowledgeError } from '@habitat/knowledge';
import { RunError } from '@habitat/runner';
import { SchedulerError } from '@habitat/scheduler';
import { SessionsError, toMs } from '@habitat/sessions';
import { expect, test } from 'vitest';

test('every library error class is a HabitatError with its code first', () => {
  const errors = [
    new ConfigError('invalid-duration', 'm'),
    new SessionsError('busy', 'm'),
    new SchedulerError('locked', 'm'),
    new RunError('image-missing', 'm'),
    new KnowledgeError('not-found', 'm'),
  ];
  for (const e of errors) {
    expect(e).toBeInstanceOf(HabitatError);
    expect(isHabitatError(e)).toBe(true);
    expect(e.message).toBe('m');
    expect(e.name).toBe(e.constructor.name);
  }
  expect(errors.map((e) => e.code)).toEqual([
    'invalid-duration',
    'busy',
    'locked',
    'image-missing',
    'not-found',
  ]);
});

test("sessions reads durations ago with config's parser, and its errors name no flag", () => {
  const now = Date.now();
  expect(Math.abs(toMs('90s') - (now - 90_000))).toBeLessThan(1000);
  expect(Math.abs(toMs('1h30m') - (now - parseDuration('1h30m')))).toBeLessThan(1000);
  expect(toMs('2026-01-31T00:00:00Z')).toBe(Date.parse('2026-01-31T00:00:00Z'));
  let error: unknown;
  try {
    toMs('soonish', 'since');
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SessionsError);
  expect((error as SessionsError).code).toBe('bad-option');
  expect((error as Error).message).not.toContain('--');
});
