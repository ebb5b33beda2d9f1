// Limit signals from real Claude Code streams (fixtures/limits), read in their order of trust.
import { readFileSync } from 'node:fs';
import { limitFixture } from '@habitat/testkit';
import { describe, expect, test } from 'vitest';
import { ClaudeStreamParser, combineLimits, resumeArgv } from '../src/index.js';

const RESET = new Date(1796119605 * 1000).toISOString();

function parse(name: string, now = new Date('2026-12-01T09:06:00Z')) {
  const parser = new ClaudeStreamParser(() => now);
  const text = readFileSync(limitFixture(name), 'utf8');
  for (let i = 0; i < text.length; i += 500) parser.push(text.slice(i, i + 500));
  parser.end();
  return parser.summary;
}

describe('limit signals, in order', () => {
  test('rate_limit_event: status, reset, type, utilization, overage and both windows', () => {
    const s = parse('five-hour-rejected');
    expect(s.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.rateLimit).toEqual({
      status: 'rejected',
      resetsAt: RESET,
      type: 'five_hour',
      overageStatus: 'rejected',
      windows: {
        five_hour: { status: 'rejected', utilization: 1, resetsAt: RESET },
        seven_day: {
          status: 'allowed',
          utilization: 0.61,
          resetsAt: new Date((1796119605 + 3 * 86400) * 1000).toISOString(),
        },
      },
      source: 'event',
    });
    expect(s.apiErrorStatus).toBe(429);
    expect(s.isError).toBe(true);
  });

  test('a seven_day limit names its window; the text after the event does not override it', () => {
    const s = parse('seven-day-rejected');
    expect(s.rateLimit).toMatchObject({
      status: 'rejected',
      type: 'seven_day',
      resetsAt: RESET,
      source: 'event',
    });
    expect(s.rateLimit?.windows?.five_hour).toMatchObject({ status: 'allowed', utilization: 0.4 });
  });

  test('an allowed_warning is kept (for pacing) with its utilization, on a successful run', () => {
    const s = parse('five-hour-warning');
    expect(s.isError).toBe(false);
    expect(s.rateLimit).toMatchObject({ status: 'allowed_warning', type: 'five_hour', utilization: 0.92 });
    expect(s.tokens).toMatchObject({ input: expect.any(Number), output: expect.any(Number) });
  });

  test('an API key 429 has only the result event: limited, no reset', () => {
    const s = parse('api-key-429');
    expect(s.rateLimit).toEqual({ status: 'rejected', source: 'result' });
    expect(s.apiErrorStatus).toBe(429);
  });

  test('the legacy "usage limit reached|<epoch>" text', () => {
    expect(parse('legacy-usage-limit').rateLimit).toEqual({
      status: 'rejected',
      resetsAt: RESET,
      source: 'legacy-text',
    });
  });

  test('the "resets 1pm (Europe/Lisbon)" text, last', () => {
    expect(parse('resets-text', new Date('2026-12-01T09:06:00Z')).rateLimit).toEqual({
      status: 'rejected',
      resetsAt: '2026-12-01T13:00:00.000Z', // Lisbon is on UTC in December
      source: 'text',
    });
  });

  test('combining: the most trusted limiting signal leads, a less trusted one may supply the reset', () => {
    expect(
      combineLimits({
        event: { status: 'allowed_warning', utilization: 0.95, type: 'five_hour', source: 'event' },
        result: { status: 'rejected', source: 'result' },
        text: { status: 'rejected', resetsAt: RESET, source: 'text' },
      }),
    ).toEqual({ status: 'rejected', resetsAt: RESET, source: 'result' });
    expect(
      combineLimits({
        event: { status: 'rejected', resetsAt: RESET, type: 'five_hour', source: 'event' },
        'legacy-text': { status: 'rejected', resetsAt: '2030-01-01T00:00:00.000Z', source: 'legacy-text' },
      })?.resetsAt,
    ).toBe(RESET);
  });
});

test('resume argv continues the session with the same flags, and refuses a malformed id', () => {
  const run = {
    kind: 'claude' as const,
    prompt: 'p.md',
    model: 'sonnet',
    args: ['--max-turns', '5'],
    outputFormat: 'stream-json' as const,
    skipPermissions: true,
  };
  expect(resumeArgv(run, { sessionId: 'ab-12', prompt: 'go on' })).toEqual([
    'claude',
    '--resume',
    'ab-12',
    '--print',
    '--output-format',
    'stream-json',
    '--verbose',
    '--dangerously-skip-permissions',
    '--model',
    'sonnet',
    '--max-turns',
    '5',
  ]);
  expect(() => resumeArgv(run, { sessionId: '--evil', prompt: 'x' })).toThrow(/not a Claude session id/);
});
