/**
 * Codex CLI: every format it has written (built to the serde shapes in openai/codex, see src/codex.ts), and the real
 * record catalogue in ../shared/real-sessions/codex (records harvested from 2,744 sessions, redacted).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { zstdCompressSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { indexSessions, openSessionIndex } from '../src/index.js';

const real = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'real-sessions', 'codex');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'codex-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const index = (home = join(dir, 'codex')) =>
  indexSessions({ dbPath: join(dir, 'sessions.db'), sources: { codex: [home], defaults: false } });

function write(rel: string, content: string | Buffer): string {
  const path = join(dir, 'codex', rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** A UUIDv7 thread id minted at `iso` (Codex names rollouts after it). */
const v7 = (iso: string, tail: string) => {
  const hex = Date.parse(iso).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-${tail.padStart(12, '0')}`;
};
const line = (timestamp: string, type: string, payload: object) =>
  JSON.stringify({ timestamp, type, payload });
const meta = (ts: string, id: string, extra: object = {}) =>
  line(ts, 'session_meta', {
    id,
    timestamp: ts,
    cwd: '/w/api',
    originator: 'codex_cli_rs',
    cli_version: '0.146.0',
    ...extra,
  });
const userMsg = (ts: string, text: string) =>
  line(ts, 'response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const tokens = (ts: string, input: number, cached: number, output: number, total: number, write = 0) =>
  line(ts, 'event_msg', {
    type: 'token_count',
    info: {
      total_token_usage: {
        input_tokens: total,
        cached_input_tokens: 0,
        output_tokens: 0,
        total_tokens: total,
      },
      last_token_usage: {
        input_tokens: input,
        cached_input_tokens: cached,
        cache_write_input_tokens: write,
        output_tokens: output,
      },
    },
  });

describe('Codex formats', () => {
  test('the real catalogue of records indexes with 0 unknown', () => {
    cpSync(real, join(dir, 'codex'), { recursive: true });
    const report = index();
    expect(report.errors).toEqual([]);
    expect(report).toMatchObject({ added: 1, unknown: 0, malformed: 0 });
    const ix = openSessionIndex(join(dir, 'sessions.db'));
    const [s] = ix.listSessions({ source: 'codex' });
    expect(s?.tokens.input).toBeGreaterThan(0);
    expect(s?.title).not.toMatch(/^(#|<)/);
    const kinds = new Set(ix.getEvents(s?.id as string).map((e) => e.kind));
    for (const k of ['prompt', 'text', 'thinking', 'tool_use', 'tool_result', 'compact', 'snapshot'])
      expect(kinds).toContain(k);
    ix.close();
  });

  test('the TypeScript CLI JSON, the first Rust JSONL, RolloutLines, .jsonl.zst and archived_sessions all yield events', () => {
    write(
      'sessions/rollout-2025-04-20-1f2e3d4c-0000-4000-8000-000000000001.json',
      JSON.stringify({
        session: {
          timestamp: '2025-04-20T10:00:00.000Z',
          id: '1f2e3d4c-0000-4000-8000-000000000001',
          instructions: '',
        },
        items: [
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'port the cli to rust' }] },
          {
            type: 'function_call',
            name: 'shell',
            arguments: '{"command":["bash","-lc","cargo new cli"]}',
            call_id: 'c1',
          },
          {
            type: 'function_call_output',
            call_id: 'c1',
            output: '{"output":"Created","metadata":{"exit_code":0}}',
          },
          {
            type: 'message',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'Created the crate.' }],
          },
        ],
      }),
    );
    write(
      'sessions/2025/05/02/rollout-2025-05-02T09-00-00-2a2a2a2a-0000-4000-8000-000000000002.jsonl',
      [
        JSON.stringify({
          id: '2a2a2a2a-0000-4000-8000-000000000002',
          timestamp: '2025-05-02T09:00:00.000Z',
          instructions: null,
          git: { branch: 'dev' },
        }),
        JSON.stringify({ record_type: 'state' }),
        JSON.stringify({
          type: 'message',
          role: 'user',
          content: [{ type: 'input_text', text: 'fix the flaky test' }],
        }),
        JSON.stringify({
          type: 'local_shell_call',
          call_id: 'l1',
          status: 'completed',
          action: { type: 'exec', command: ['bash', '-lc', 'npm test'] },
        }),
        JSON.stringify({ record_type: 'state' }),
      ].join('\n'),
    );
    const rollout = [
      meta('2026-03-01T08:00:00.000Z', '0195a000-0000-7000-8000-000000000003'),
      userMsg(
        '2026-03-01T08:00:01.000Z',
        '# AGENTS.md instructions for /w/api\n\n<INSTRUCTIONS>use pnpm</INSTRUCTIONS>',
      ),
      userMsg(
        '2026-03-01T08:00:01.000Z',
        '<environment_context>\n  <cwd>/w/api</cwd>\n</environment_context>',
      ),
      userMsg('2026-03-01T08:00:02.000Z', 'add rate limiting to the login route'),
      line('2026-03-01T08:00:03.000Z', 'turn_context', { cwd: '/w/api', model: 'gpt-5-codex' }),
      line('2026-03-01T08:00:04.000Z', 'response_item', {
        type: 'web_search_call',
        status: 'completed',
        action: { type: 'search', query: 'express rate limit' },
      }),
      line('2026-03-01T08:00:05.000Z', 'response_item', {
        type: 'function_call_output',
        call_id: 'x',
        output: [{ type: 'input_text', text: 'ok' }],
      }),
      line('2026-03-01T08:00:05.000Z', 'response_item', {
        type: 'custom_tool_call_output',
        call_id: 'y',
        output: { content: 'patch failed', success: false },
      }),
      tokens('2026-03-01T08:00:06.000Z', 1000, 600, 50, 1050, 100),
    ].join('\n');
    write(
      'sessions/2026/03/01/rollout-2026-03-01T08-00-00-0195a000-0000-7000-8000-000000000003.jsonl.zst',
      zstdCompressSync(Buffer.from(rollout)),
    );
    write(
      'archived_sessions/rollout-2026-02-01T08-00-00-0194c000-0000-7000-8000-000000000004.jsonl',
      [
        meta('2026-02-01T08:00:00.000Z', '0194c000-0000-7000-8000-000000000004'),
        userMsg('2026-02-01T08:00:01.000Z', 'archived work'),
      ].join('\n'),
    );
    const report = index();
    expect(report.errors).toEqual([]);
    expect(report).toMatchObject({ added: 4, unknown: 0, malformed: 0 });
    const ix = openSessionIndex(join(dir, 'sessions.db'));
    const titles = Object.fromEntries(ix.listSessions({ source: 'codex' }).map((s) => [s.id, s.title]));
    expect(titles).toEqual({
      'codex:1f2e3d4c-0000-4000-8000-000000000001': 'port the cli to rust',
      'codex:2a2a2a2a-0000-4000-8000-000000000002': 'fix the flaky test',
      'codex:0195a000-0000-7000-8000-000000000003': 'add rate limiting to the login route',
      'codex:0194c000-0000-7000-8000-000000000004': 'archived work',
    });
    expect(
      ix.getSessionDetail('codex:1f2e3d4c-0000-4000-8000-000000000001')?.commands.map((c) => c.command),
    ).toEqual(['cargo new cli']);
    expect(
      ix.getSessionDetail('codex:2a2a2a2a-0000-4000-8000-000000000002')?.commands.map((c) => c.command),
    ).toEqual(['npm test']);
    const zst = ix.getSession('codex:0195a000-0000-7000-8000-000000000003');
    // cached reads and cache writes are their own kinds, not input
    expect(zst?.tokens).toEqual({ input: 300, output: 50, cacheRead: 600, cacheCreation: 100 });
    const results = ix.getEvents(zst?.id as string).filter((e) => e.kind === 'tool_result');
    expect(results.map((r) => [r.text, r.isError ?? false])).toEqual([
      ['ok', false],
      ['patch failed', true],
    ]);
    ix.close();
    // indexing again reads nothing new; a compressed rollout is not pruned as vanished
    expect(index()).toMatchObject({ pruned: 0, added: 0, unchanged: 4 });
  });

  test('a rollout compressed in place stays the same session', () => {
    const rel = 'sessions/2026/03/02/rollout-2026-03-02T08-00-00-0195a111-0000-7000-8000-000000000005.jsonl';
    const text = [
      meta('2026-03-02T08:00:00.000Z', '0195a111-0000-7000-8000-000000000005'),
      userMsg('2026-03-02T08:00:01.000Z', 'compress me'),
      tokens('2026-03-02T08:00:02.000Z', 10, 0, 5, 15),
    ].join('\n');
    const path = write(rel, `${text}\n`);
    index();
    rmSync(path);
    write(`${rel}.zst`, zstdCompressSync(Buffer.from(`${text}\n`)));
    expect(index()).toMatchObject({ pruned: 0, errors: [] });
    const ix = openSessionIndex(join(dir, 'sessions.db'));
    expect(ix.listSessions({ source: 'codex' }).map((s) => [s.title, s.tokens.output])).toEqual([
      ['compress me', 5],
    ]);
    ix.close();
  });

  test("forked and spawned children count only their own turns, not the parent's replayed history", () => {
    const parentId = v7('2026-03-05T09:00:00.000Z', '10');
    const parentLines = [
      meta('2026-03-05T09:00:00.000Z', parentId),
      userMsg('2026-03-05T09:00:01.000Z', 'design the schema'),
      tokens('2026-03-05T09:00:05.000Z', 5000, 0, 400, 5400),
      userMsg('2026-03-05T09:01:00.000Z', 'now the migrations'),
      tokens('2026-03-05T09:01:09.000Z', 7000, 5000, 300, 12700),
    ];
    write(`sessions/2026/03/05/rollout-2026-03-05T09-00-00-${parentId}.jsonl`, parentLines.join('\n'));
    // a spawned child: its own meta, then the parent's meta and history re-stamped with the spawn second
    const spawned = v7('2026-03-05T09:02:00.123Z', '11');
    write(
      `sessions/2026/03/05/rollout-2026-03-05T09-02-00-${spawned}.jsonl`,
      [
        meta('2026-03-05T09:02:00.123Z', spawned, {
          source: { subagent: { thread_spawn: { parent_thread_id: parentId, depth: 1 } } },
        }),
        ...parentLines.map((l) => {
          const r = JSON.parse(l) as { timestamp: string };
          return JSON.stringify({ ...r, timestamp: '2026-03-05T09:02:00.456Z' });
        }),
        userMsg('2026-03-05T09:02:01.000Z', 'write the down migrations'),
        tokens('2026-03-05T09:02:07.000Z', 900, 0, 80, 13680),
      ].join('\n'),
    );
    // a fork (`/fork`, resume-as-new): the parent's lines copied verbatim, older than the fork's own UUIDv7 instant
    const forkedAt = '2026-03-05T10:00:00.000Z';
    const forked = v7(forkedAt, '12');
    write(
      `sessions/2026/03/05/rollout-2026-03-05T10-00-00-${forked}.jsonl`,
      [
        meta(forkedAt, forked, { forked_from_id: parentId }),
        ...parentLines,
        userMsg(new Date(Date.parse(forkedAt) + 2000).toISOString(), 'try sqlite instead'),
        tokens(new Date(Date.parse(forkedAt) + 9000).toISOString(), 1200, 0, 60, 14000),
      ].join('\n'),
    );
    expect(index()).toMatchObject({ added: 3, unknown: 0, errors: [] });
    const ix = openSessionIndex(join(dir, 'sessions.db'));
    const s = (id: string) => ix.getSession(`codex:${id}`);
    expect(s(parentId)?.tokens).toEqual({ input: 7000, output: 700, cacheRead: 5000, cacheCreation: 0 });
    expect(s(spawned)?.tokens).toEqual({ input: 900, output: 80, cacheRead: 0, cacheCreation: 0 });
    expect(s(forked)?.tokens).toEqual({ input: 1200, output: 60, cacheRead: 0, cacheCreation: 0 });
    expect([s(spawned)?.parentId, s(forked)?.parentId]).toEqual([`codex:${parentId}`, `codex:${parentId}`]);
    expect([s(spawned)?.title, s(forked)?.title]).toEqual([
      'write the down migrations',
      'try sqlite instead',
    ]);
    // the day's total is the three sessions' own turns, not almost double
    const [day] = ix.stats({ by: 'day', timezone: 'UTC', source: 'codex' });
    expect(day?.outputTokens).toBe(700 + 80 + 60);
    ix.close();
  });
});
