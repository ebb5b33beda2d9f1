import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { runClaude, startModelServer, testdir } from '../src/index.js';

describe('the scripted model server', () => {
  test('streams SSE in the Messages API shape, and answers side calls without consuming the script', async () => {
    const server = await startModelServer([{ toolUse: { name: 'Bash', input: { command: 'ls' } } }], {
      usage: { input_tokens: 7 },
    });
    const post = (body: unknown) =>
      fetch(`${server.url}/v1/messages?beta=true`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
    const side = (await (await post({ model: 'claude-haiku', messages: [] })).json()) as { content: unknown };
    expect(side.content).toEqual([{ type: 'text', text: 'ok' }]);
    expect(server.remaining()).toBe(1);
    const sse = await (
      await post({ model: 'm', stream: true, tools: [{ name: 'Bash' }], messages: [] })
    ).text();
    const events = [...sse.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    expect(events).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(sse).toContain('"partial_json":"{\\"command\\":\\"ls\\"}"');
    expect(sse).toContain('"input_tokens":7');
    expect(server.remaining()).toBe(0);
    await server.close();
  });
});

describe('the real claude binary, offline', () => {
  test('runs a scripted Bash/Read/Write session for real, as a non-root user, and writes its session log', async () => {
    const cwd = testdir({ 'notes.md': 'hello notes\n' });
    const configDir = testdir();
    const server = await startModelServer([
      {
        thinking: 'look first',
        toolUse: {
          name: 'Bash',
          input: { command: 'echo hi > out.txt && whoami', description: 'write a file' },
        },
      },
      { toolUse: { name: 'Read', input: { file_path: path.join(cwd, 'notes.md') } } },
      {
        toolUse: { name: 'Write', input: { file_path: path.join(cwd, 'summary.md'), content: 'summary\n' } },
      },
      { text: 'All done.' },
    ]);
    const run = await runClaude({ cwd, prompt: 'summarise the notes', serverUrl: server.url, configDir });
    await server.close();
    expect(run.exitCode).toBe(0);
    expect(readFileSync(path.join(cwd, 'out.txt'), 'utf8')).toBe('hi\n');
    expect(readFileSync(path.join(cwd, 'summary.md'), 'utf8')).toBe('summary\n');
    const types = run.events.map((e) => `${e.type}${e.subtype ? `/${e.subtype}` : ''}`);
    expect(types[0]).toBe('system/init');
    expect(types.at(-1)).toBe('result/success');
    const result = run.events.at(-1)!;
    expect(result.is_error).toBe(false);
    expect(result.num_turns).toBe(4);
    expect(result.total_cost_usd).toBeGreaterThan(0);
    expect(run.sessionFiles).toHaveLength(1);
    const records = readFileSync(run.sessionFiles[0]!, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const tools = records.flatMap((r) =>
      r.type === 'assistant'
        ? r.message.content
            .filter((c: { type: string }) => c.type === 'tool_use')
            .map((c: { name: string }) => c.name)
        : [],
    );
    expect(tools).toEqual(['Bash', 'Read', 'Write']);
    if (process.env.HABITAT_WRITE_FIXTURES) {
      const dir = new URL('../fixtures/', import.meta.url).pathname;
      writeFileSync(path.join(dir, 'stream-json.jsonl'), run.stdout);
      copyFileSync(run.sessionFiles[0]!, path.join(dir, 'session.jsonl'));
    }
  });

  test('a run that keeps getting 429 ends with an error result carrying api_error_status', async () => {
    const server = await startModelServer([{ error: { status: 429, retryAfter: 1 } }]);
    const run = await runClaude({ cwd: testdir(), prompt: 'x', serverUrl: server.url, configDir: testdir() });
    await server.close();
    expect(run.exitCode).toBe(1);
    const retry = run.events.find((e) => e.type === 'system' && e.subtype === 'api_retry');
    expect(retry).toMatchObject({ error_status: 429 });
    expect(run.events.at(-1)).toMatchObject({ type: 'result', is_error: true, api_error_status: 429 });
  });
});

test('the committed fixtures are real claude output', () => {
  for (const f of ['stream-json.jsonl', 'session.jsonl']) {
    const file = new URL(`../fixtures/${f}`, import.meta.url).pathname;
    expect(existsSync(file)).toBe(true);
    for (const line of readFileSync(file, 'utf8').trim().split('\n'))
      expect(() => JSON.parse(line)).not.toThrow();
  }
});
