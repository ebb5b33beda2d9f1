import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ClaudeStreamParser, detectLimitText, nextLocalTime, Scrubber } from '../src/index.js';

describe('scrubber', () => {
  test('a value split across chunks at every position is still replaced', () => {
    const secret = 'hunter2-very-secret';
    const input = `before ${secret} middle ${secret} after`;
    for (let cut = 1; cut < input.length; cut++) {
      const s = new Scrubber([{ name: 'pw', value: secret }]);
      const out = Buffer.concat([
        s.push(Buffer.from(input.slice(0, cut))),
        s.push(Buffer.from(input.slice(cut))),
        s.flush(),
      ]).toString();
      expect(out).toBe('before [REDACTED:pw] middle [REDACTED:pw] after');
    }
  });

  test('base64 forms are replaced too', () => {
    const s = new Scrubber([{ name: 'k', value: 'abc-secret-123' }]);
    const b64 = Buffer.from('abc-secret-123').toString('base64');
    expect(s.scrubText(`x ${b64} y`)).toBe('x [REDACTED:k] y');
  });
});

describe('Claude stream-json', () => {
  const lines = [
    { type: 'system', subtype: 'init', session_id: 'sess-1', model: 'claude-sonnet-4-5' },
    {
      type: 'assistant',
      message: { content: [{ type: 'tool_use', name: 'Bash', input: { command: 'ls' } }] },
    },
    {
      type: 'assistant',
      message: { content: [{ type: 'tool_use', name: 'Bash', input: { command: 'pwd' } }] },
    },
    { type: 'brand_new_event', whatever: true },
    {
      type: 'rate_limit_event',
      rate_limit_info: { status: 'rejected', resetsAt: 1_800_000_000, rateLimitType: 'five_hour' },
    },
    {
      type: 'result',
      subtype: 'success',
      is_error: true,
      num_turns: 3,
      total_cost_usd: 0.0123,
      api_error_status: 429,
    },
  ];
  test('init, tool calls, rate limit and result are summarised; unknown events are counted, not fatal', () => {
    const parser = new ClaudeStreamParser();
    const text = `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{not json at all\n`;
    // Feed in awkward chunks to exercise line reassembly.
    for (let i = 0; i < text.length; i += 7) parser.push(text.slice(i, i + 7));
    parser.end();
    expect(parser.summary).toMatchObject({
      sessionId: 'sess-1',
      model: 'claude-sonnet-4-5',
      toolsUsed: { Bash: 2 },
      turns: 3,
      costUsd: 0.0123,
      isError: true,
      apiErrorStatus: 429,
      rateLimit: {
        status: 'rejected',
        type: 'five_hour',
        resetsAt: new Date(1_800_000_000_000).toISOString(),
      },
    });
    expect(parser.summary.unknownEvents).toBe(2);
  });
});

describe('plain-text limit messages', () => {
  test('"You\'ve hit your limit · resets 1pm (Europe/Lisbon)" resolves to the next 13:00 in Lisbon', () => {
    const now = new Date('2026-07-01T10:00:00Z'); // 11:00 in Lisbon (WEST, UTC+1)
    expect(detectLimitText("You've hit your limit · resets 1pm (Europe/Lisbon)", now)).toEqual({
      resetsAt: '2026-07-01T12:00:00.000Z',
    });
  });

  test('a reset time already past today means tomorrow', () => {
    expect(nextLocalTime(9, 0, 'UTC', new Date('2026-01-05T10:00:00Z'))?.toISOString()).toBe(
      '2026-01-06T09:00:00.000Z',
    );
  });
});

test('the package exports what its README documents', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const name of ['startRun', 'Scrubber', 'findRunContainers', 'followContainer', 'ClaudeStreamParser']) {
    expect(readme).toContain(name);
  }
});
