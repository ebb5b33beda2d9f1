/**
 * The real `claude` binary (from @anthropic-ai/claude-code, installed for @habitat/testkit) driven by a scripted
 * Messages API server on loopback: its transcript must index with every tool call, file and command, subagent included.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claudeBin, ensureTestUser, type ModelServer, startModelServer, type Turn } from '@habitat/testkit';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { indexSessions, openSessionIndex } from '../src/index.js';

// Claude Code refuses to skip permissions as root: run it as an unprivileged user (the testkit's).
const uid = process.getuid?.() === 0 ? ensureTestUser().uid : process.getuid?.();
let claude = '';
let skip: string | undefined;
try {
  claude = claudeBin();
} catch (error) {
  skip = (error as Error).message;
}

let root: string;
let server: ModelServer;

/** What the scripted model says, from the conversation so far. */
function script(body: { messages?: Array<{ role: string; content: unknown }> }): Turn {
  const text = JSON.stringify(body.messages ?? []);
  const results = (text.match(/"type":"tool_result"/g) ?? []).length;
  const project = join(root, 'project');
  if (text.includes('SUBAGENT-SCRIPT')) {
    return results === 0
      ? { toolUse: { name: 'Bash', input: { command: 'ls -1', description: 'list files' } } }
      : { text: 'Listed the files.' };
  }
  if (!text.includes('RUN-SCRIPT')) return { text: 'ok' };
  const steps: Turn[] = [
    {
      text: 'I will write a note first.',
      toolUse: { name: 'Bash', input: { command: 'echo hello > hello.txt', description: 'write hello' } },
    },
    {
      toolUse: {
        name: 'Write',
        input: { file_path: join(project, 'notes.md'), content: '# notes\nall good\n' },
      },
    },
    { toolUse: { name: 'Read', input: { file_path: join(project, 'notes.md') } } },
    { toolUse: { name: 'Bash', input: { command: 'cat missing-file.txt', description: 'fails' } } },
    {
      toolUse: {
        name: 'Task',
        input: {
          description: 'list the files',
          prompt: 'SUBAGENT-SCRIPT list the files',
          subagent_type: 'general-purpose',
        },
      },
    },
  ];
  return steps[results] ?? { text: 'All done: wrote, read and listed.' };
}

beforeAll(async () => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'real-claude-'));
  for (const d of ['project', 'home', 'claude']) {
    mkdirSync(join(root, d));
    if (uid !== undefined) chownSync(join(root, d), uid, uid);
  }
  chmodSync(root, 0o755);
  // The testkit's scripted Messages API; one function answers every agent-loop request from the conversation.
  server = await startModelServer([(request) => script(request.body as Parameters<typeof script>[0])], {
    usage: {
      input_tokens: 12,
      output_tokens: 20,
      cache_read_input_tokens: 100,
      cache_creation_input_tokens: 5,
    },
  });
});

afterAll(async () => {
  if (skip) return;
  await server.close();
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
      ANTHROPIC_BASE_URL: server.url,
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
