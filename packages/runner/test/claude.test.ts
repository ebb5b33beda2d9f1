// The runner with the real claude binary, offline against the scripted model server.
import { chmodSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chownTree, claudeBinDir, ensureTestUser, startModelServer, testdir } from '@habitat/testkit';
import { describe, expect, test } from 'vitest';
import { startRun } from '../src/index.js';
import { agentWith } from './helpers.js';

const KEY = 'sk-ant-api03-habitatTestKey0123456789abcdefXYZ';

function claudeAgent(repo: string, serverUrl: string, credFile: string) {
  return agentWith({
    name: 'claude-agent',
    repo: { kind: 'path', path: repo },
    run: {
      kind: 'claude',
      prompt: 'prompts/task.md',
      model: 'sonnet',
      args: [],
      outputFormat: 'stream-json',
      skipPermissions: true,
    },
    isolation: { backend: 'local', image: 'x', network: 'none', user: ensureTestUser().name },
    env: {
      PATH: `${claudeBinDir()}:${process.env.PATH}`,
      ANTHROPIC_BASE_URL: serverUrl,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_MAX_RETRIES: '1',
      DISABLE_AUTOUPDATER: '1',
    },
    credentials: [
      {
        name: 'anthropic',
        source: { kind: 'file', path: credFile },
        as: 'env',
        envName: 'ANTHROPIC_API_KEY',
      },
    ],
  });
}

/** A state dir the agent's user can reach (its Claude home lives inside). */
function stateDirFor(): string {
  const dir = testdir();
  chmodSync(dir, 0o755);
  return dir;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe('claude agents on the local backend', () => {
  test('a scripted Bash/Read/Write session runs for real: tools and cost parsed, session log kept, the key never written', async () => {
    const repo = testdir({ 'prompts/task.md': 'Summarise notes.md', 'notes.md': 'the notes\n' });
    const credFile = testdir({ 'anthropic.env': `ANTHROPIC_API_KEY=${KEY}\n` });
    chownTree(repo, ensureTestUser());
    const server = await startModelServer([
      {
        toolUse: {
          name: 'Bash',
          input: {
            command: 'echo "key is $ANTHROPIC_API_KEY"; echo done > out.txt',
            description: 'leak and write',
          },
        },
      },
      { toolUse: { name: 'Read', input: { file_path: path.join(repo, 'notes.md') } } },
      {
        toolUse: { name: 'Write', input: { file_path: path.join(repo, 'summary.md'), content: 'summary\n' } },
      },
      { text: 'LEARNED: notes live in notes.md' },
    ]);
    const stateDir = stateDirFor();
    const handle = startRun(claudeAgent(repo, server.url, path.join(credFile, 'anthropic.env')), {
      stateDir,
    });
    const tools: string[] = [];
    handle.on((e) => {
      if (e.type === 'agent-event' && e.event.tool) tools.push(e.event.tool);
    });
    const result = await handle.result;
    await server.close();
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(result.exitCode).toBe(0);
    expect(tools).toEqual(['Bash', 'Read', 'Write']);
    expect(result.summary).toMatchObject({
      toolsUsed: { Bash: 1, Read: 1, Write: 1 },
      turns: 4,
      isError: false,
    });
    expect(result.summary.costUsd).toBeGreaterThan(0);
    expect(result.summary.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(readFileSync(path.join(repo, 'summary.md'), 'utf8')).toBe('summary\n');
    const sessions = filesUnder(path.join(stateDir, 'claude', 'claude-agent', 'projects')).filter((f) =>
      f.endsWith('.jsonl'),
    );
    expect(sessions.map((f) => path.basename(f, '.jsonl'))).toContain(result.summary.sessionId);
    const log = readFileSync(result.logPath, 'utf8');
    expect(log).toContain('"type":"system","subtype":"init"');
    expect(log).toContain('key is [REDACTED:anthropic]');
    for (const file of filesUnder(stateDir)) expect(readFileSync(file, 'utf8'), file).not.toContain(KEY);
  });

  test('a run that ends on 429 is rate-limited', async () => {
    const repo = testdir({ 'prompts/task.md': 'go' });
    const credFile = testdir({ 'anthropic.env': `ANTHROPIC_API_KEY=${KEY}\n` });
    chownTree(repo, ensureTestUser());
    const server = await startModelServer([{ error: { status: 429, retryAfter: 1 } }]);
    const result = await startRun(claudeAgent(repo, server.url, path.join(credFile, 'anthropic.env')), {
      stateDir: testdir(),
    }).result;
    await server.close();
    expect(result.status).toBe('rate-limited');
    expect(result.summary.apiErrorStatus).toBe(429);
  });

  test('the prelude (a knowledge brief) goes before the prompt on stdin', async () => {
    const repo = testdir({ 'prompts/task.md': 'THE TASK' });
    const credFile = testdir({ 'anthropic.env': `ANTHROPIC_API_KEY=${KEY}\n` });
    chownTree(repo, ensureTestUser());
    const server = await startModelServer([{ text: 'ok' }]);
    await startRun(claudeAgent(repo, server.url, path.join(credFile, 'anthropic.env')), {
      stateDir: testdir(),
      prelude: '## Learnings\n- BRIEF',
    }).result;
    await server.close();
    const body = JSON.stringify(server.requests.filter((r) => r.scripted)[0]!.body);
    expect(body.indexOf('BRIEF')).toBeGreaterThan(-1);
    expect(body.indexOf('BRIEF')).toBeLessThan(body.indexOf('THE TASK'));
  });
});
