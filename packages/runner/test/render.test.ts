import { readFileSync } from 'node:fs';
import { limitFixture } from '@habitat/testkit';
import { describe, expect, test } from 'vitest';
import { formatRendered, renderLog, STDERR_MARK, StreamRenderer } from '../src/index.js';

// The recorded Claude Code limit streams live in the testkit (fixtures/limits).
const fixture = (name: string) => readFileSync(limitFixture(name.replace(/\.jsonl$/, '')), 'utf8');

const session = [
  { type: 'system', subtype: 'init', session_id: 's-1', model: 'claude-sonnet-4-5' },
  {
    type: 'assistant',
    message: {
      content: [
        { type: 'text', text: 'Let me look.\nTwo lines.' },
        { type: 'tool_use', name: 'Bash', input: { command: 'ls -la\n  /tmp', description: 'list' } },
        { type: 'tool_use', name: 'Read', input: { file_path: '/work/README.md' } },
      ],
    },
  },
  {
    type: 'user',
    message: {
      content: [
        { type: 'tool_result', content: 'a\nb\nc\nd\ne' },
        { type: 'tool_result', is_error: true, content: [{ type: 'text', text: 'No such file' }] },
      ],
    },
  },
  { type: 'stream_event', event: { type: 'content_block_delta' } },
  {
    type: 'result',
    subtype: 'success',
    is_error: false,
    num_turns: 3,
    total_cost_usd: 0.01234,
    duration_ms: 4200,
  },
]
  .map((e) => JSON.stringify(e))
  .join('\n');

describe('stream-json rendering', () => {
  test('text, tool calls summarised, results folded, errors marked, the final result with turns and cost', () => {
    const lines = renderLog(`${session}\n${STDERR_MARK}warning: slow\nplain text\n`);
    expect(lines.map((l) => `${l.kind}|${l.text}`)).toEqual([
      'system|● claude started · claude-sonnet-4-5 · session s-1',
      'text|Let me look.',
      'text|Two lines.',
      'tool|→ Bash ls -la /tmp',
      'tool|→ Read /work/README.md',
      'result|  ← a',
      'result|    b',
      'result|    c',
      'result|    … 2 more line(s)',
      'error|  ✗ No such file',
      'final|■ success · 3 turn(s) · $0.0123 · 4.2s',
      'stderr|stderr: warning: slow',
      'plain|plain text',
    ]);
  });

  test("a real rate-limited stream (Claude Code's own output) shows the limit and the error result", () => {
    const text = renderLog(fixture('five-hour-rejected.jsonl'))
      .map((l) => l.text)
      .join('\n');
    expect(text).toContain('⏸ rate limit five_hour: rejected, resets 2026-12-01T10:06:45.000Z');
    expect(text).toMatch(/✗ .*API 429|✗ /);
  });

  test("a turn's duration reads as everywhere else (config's formatter): 9ms, not 0.0s", () => {
    const line = (ms: number) =>
      new StreamRenderer().push(
        `${JSON.stringify({ type: 'result', subtype: 'success', num_turns: 1, duration_ms: ms })}\n`,
      )[0]!.text;
    expect([9, 4200, 192_000].map(line)).toEqual([
      '■ success · 1 turn(s) · 9ms',
      '■ success · 1 turn(s) · 4.2s',
      '■ success · 1 turn(s) · 3m12s',
    ]);
  });

  test('each line gets its time: from the arrival (live) or the .times file (logs)', () => {
    const live = new StreamRenderer();
    const at = new Date(2026, 0, 1, 9, 5, 7);
    expect(live.push('{"type":"result","subtype":"succ', 'stdout', at)).toEqual([]);
    const [line] = live.push('ess","num_turns":1}\n', 'stdout', at);
    expect(formatRendered(line!)).toBe('09:05:07  ■ success · 1 turn(s)');
    const fromFile = renderLog('plain\n', [at.getTime()]);
    expect(formatRendered(fromFile[0]!)).toBe('09:05:07  plain');
    expect(formatRendered(fromFile[0]!, { color: true })).toContain('\u001b[');
    // habitat --utc: the same instant in UTC
    const utc = new Date(Date.UTC(2026, 0, 1, 23, 59, 1));
    expect(formatRendered({ kind: 'plain', text: 'x', time: utc }, { utc: true })).toBe('23:59:01  x');
  });
});
