/**
 * The real `claude` binary (from @anthropic-ai/claude-code, installed for @habitat/testkit) driven by a scripted
 * Messages API server on loopback: its transcript must index with every tool call, file and command, subagent included.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { indexSessions, openSessionIndex } from '../src/index.js';

const claude = join(import.meta.dirname, '..', '..', 'testkit', 'node_modules', '.bin', 'claude');
// Claude Code refuses to skip permissions as root: run it as an unprivileged uid
const uid = process.getuid?.() === 0 ? 1000 : process.getuid?.();
const skip = !existsSync(claude)
  ? 'the claude binary is not installed (pnpm install in packages/testkit)'
  : undefined;

type Block =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; name: string; input: Record<string, unknown> };
let root: string;
let server: Server;
let port = 0;
let counter = 0;

/** What the scripted model says, from the conversation so far. */
function script(body: { messages?: Array<{ role: string; content: unknown }> }): Block[] {
  const text = JSON.stringify(body.messages ?? []);
  const results = (text.match(/"type":"tool_result"/g) ?? []).length;
  const project = join(root, 'project');
  if (text.includes('SUBAGENT-SCRIPT')) {
    return results === 0
      ? [{ type: 'tool_use', name: 'Bash', input: { command: 'ls -1', description: 'list files' } }]
      : [{ type: 'text', text: 'Listed the files.' }];
  }
  if (!text.includes('RUN-SCRIPT')) return [{ type: 'text', text: 'ok' }];
  const steps: Block[][] = [
    [
      { type: 'text', text: 'I will write a note first.' },
      {
        type: 'tool_use',
        name: 'Bash',
        input: { command: 'echo hello > hello.txt', description: 'write hello' },
      },
    ],
    [
      {
        type: 'tool_use',
        name: 'Write',
        input: { file_path: join(project, 'notes.md'), content: '# notes\nall good\n' },
      },
    ],
    [{ type: 'tool_use', name: 'Read', input: { file_path: join(project, 'notes.md') } }],
    [{ type: 'tool_use', name: 'Bash', input: { command: 'cat missing-file.txt', description: 'fails' } }],
    [
      {
        type: 'tool_use',
        name: 'Task',
        input: {
          description: 'list the files',
          prompt: 'SUBAGENT-SCRIPT list the files',
          subagent_type: 'general-purpose',
        },
      },
    ],
  ];
  return steps[results] ?? [{ type: 'text', text: 'All done: wrote, read and listed.' }];
}

function sse(res: import('node:http').ServerResponse, model: string, blocks: Block[]): void {
  const id = `msg_${++counter}`;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': `req_${counter}` });
  const send = (event: string, data: unknown) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  send('message_start', {
    type: 'message_start',
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: 12,
        output_tokens: 1,
        cache_read_input_tokens: 100,
        cache_creation_input_tokens: 5,
      },
    },
  });
  blocks.forEach((b, index) => {
    if (b.type === 'text') {
      send('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'text', text: '' },
      });
      send('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'text_delta', text: b.text },
      });
    } else {
      send('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: `toolu_${counter}_${index}`, name: b.name, input: {} },
      });
      send('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) },
      });
    }
    send('content_block_stop', { type: 'content_block_stop', index });
  });
  const toolUse = blocks.some((b) => b.type === 'tool_use');
  send('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: toolUse ? 'tool_use' : 'end_turn', stop_sequence: null },
    usage: { output_tokens: 20 },
  });
  send('message_stop', { type: 'message_stop' });
  res.end();
}

beforeAll(async () => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'real-claude-'));
  for (const d of ['project', 'home', 'claude']) {
    mkdirSync(join(root, d));
    if (uid !== undefined) chownSync(join(root, d), uid, uid);
  }
  chmodSync(root, 0o755);
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      if (req.url?.startsWith('/v1/messages/count_tokens')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"input_tokens":10}');
        return;
      }
      if (!req.url?.startsWith('/v1/messages')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      const body = JSON.parse(raw || '{}');
      const blocks = script(body);
      if (body.stream) sse(res, body.model, blocks);
      else {
        const content = blocks.map((b, i) =>
          b.type === 'text'
            ? b
            : { type: 'tool_use', id: `toolu_${++counter}_${i}`, name: b.name, input: b.input },
        );
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${++counter}` }).end(
          JSON.stringify({
            id: `msg_${counter}`,
            type: 'message',
            role: 'assistant',
            model: body.model,
            content,
            stop_reason: blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn',
            usage: { input_tokens: 12, output_tokens: 20 },
          }),
        );
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  if (skip) return;
  await new Promise((r) => server.close(r));
  rmSync(root, { recursive: true, force: true });
});

test.skipIf(!!skip)(
  `a real claude session indexes with every tool call, file, command and its subagent${skip ? ` (skipped: ${skip})` : ''}`,
  { timeout: 120_000 },
  async () => {
    const env = {
      PATH: process.env.PATH,
      HOME: join(root, 'home'),
      CLAUDE_CONFIG_DIR: join(root, 'claude'),
      ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}`,
      ANTHROPIC_API_KEY: 'sk-ant-test-key',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    };
    await new Promise<void>((resolve, reject) => {
      execFile(
        claude,
        [
          '-p',
          'RUN-SCRIPT: write, read and list',
          '--output-format',
          'stream-json',
          '--verbose',
          '--dangerously-skip-permissions',
          '--model',
          'claude-sonnet-4-5',
        ],
        { cwd: join(root, 'project'), env, uid, gid: uid, timeout: 100_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}\n${stdout.slice(-2000)}`)) : resolve(),
      );
    });
    const report = indexSessions({
      dbPath: join(root, 'sessions.db'),
      sources: { claude: [join(root, 'claude')], defaults: false },
    });
    expect(report.errors).toEqual([]);
    const index = openSessionIndex(join(root, 'sessions.db'));
    expect(report).toMatchObject({ added: 2, malformed: 0, unknown: 0 });
    const main = index.listSessions().find((s) => !s.parentId && s.title?.includes('RUN-SCRIPT'));
    expect(main).toBeDefined();
    const detail = index.getSessionDetail(main?.id as string);
    expect(detail?.tools.map((t) => t.name).sort()).toEqual(['Bash', 'Read', 'Task', 'Write']);
    expect(detail?.session.toolCalls).toBe(5);
    expect(detail?.session.toolErrors).toBe(1);
    expect(detail?.commands.map((c) => c.command)).toEqual([
      'echo hello > hello.txt',
      'cat missing-file.txt',
    ]);
    expect(detail?.files).toEqual([{ path: join(root, 'project', 'notes.md'), ops: ['write', 'read'] }]);
    const events = index.getEvents(main?.id as string);
    const results = events.filter((e) => e.kind === 'tool_result');
    expect(results.map((r) => r.toolName)).toEqual(['Bash', 'Write', 'Read', 'Bash', 'Task']);
    expect(detail?.subagents).toHaveLength(1);
    const sub = detail?.subagents[0];
    const task = events.find((e) => e.toolName === 'Task' && e.kind === 'tool_use');
    expect(sub?.parentToolUseId).toBe(task?.toolUseId);
    expect(index.getSessionDetail(sub?.id as string)?.commands.map((c) => c.command)).toEqual(['ls -1']);
    index.close();
  },
);
