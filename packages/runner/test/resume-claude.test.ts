// The real claude binary, offline: a subscription run hits its 5-hour limit (a 429 with the unified
// rate-limit headers), and a second run continues the same conversation with `claude --resume`.
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { chownTree, claudeBinDir, ensureTestUser, startModelServer, testdir } from '@habitat/testkit';
import { expect, test } from 'vitest';
import { startRun } from '../src/index.js';
import { agentWith } from './helpers.js';

test('a limited run reports session, window and reset; resuming it continues the same conversation', async () => {
  const repo = testdir({ 'prompts/task.md': 'THE ORIGINAL TASK' });
  const cred = path.join(
    testdir({ 'oauth.env': 'CLAUDE_CODE_OAUTH_TOKEN=sk-ant-oat01-habitatTestToken0123\n' }),
    'oauth.env',
  );
  chownTree(repo, ensureTestUser());
  const stateDir = testdir();
  chmodSync(stateDir, 0o755);
  const reset = Math.floor(Date.now() / 1000) + 3600;
  const server = await startModelServer([
    {
      error: {
        status: 429,
        message: 'rate limited',
        headers: {
          'anthropic-ratelimit-unified-status': 'rejected',
          'anthropic-ratelimit-unified-reset': String(reset),
          'anthropic-ratelimit-unified-representative-claim': 'five_hour',
          'anthropic-ratelimit-unified-5h-utilization': '1.0',
          'anthropic-ratelimit-unified-5h-reset': String(reset),
          'anthropic-ratelimit-unified-5h-status': 'rejected',
        },
      },
    },
    { text: 'picked up where I left off' },
  ]);
  const agent = agentWith({
    name: 'resumer',
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
      ANTHROPIC_BASE_URL: server.url,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_MAX_RETRIES: '0',
      DISABLE_AUTOUPDATER: '1',
    },
    credentials: [
      {
        name: 'claude-login',
        source: { kind: 'file', path: cred },
        as: 'env',
        envName: 'CLAUDE_CODE_OAUTH_TOKEN',
      },
    ],
  });
  try {
    const first = await startRun(agent, { stateDir }).result;
    expect(first.status).toBe('rate-limited');
    expect(first.summary.rateLimit).toMatchObject({
      status: 'rejected',
      type: 'five_hour',
      resetsAt: new Date(reset * 1000).toISOString(),
      source: 'event',
    });
    expect(first.wakeAt).toBe(new Date(reset * 1000).toISOString());
    const sessionId = first.summary.sessionId!;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);

    const second = await startRun(agent, {
      stateDir,
      resume: { sessionId, prompt: 'THE LIMIT HAS RESET: CONTINUE' },
    }).result;
    expect(second.status, JSON.stringify(second.error)).toBe('succeeded');
    expect(second.resumedSession).toBe(sessionId);
    const scripted = server.requests.filter((r) => r.scripted);
    expect(scripted).toHaveLength(2);
    // The resumed request carries the original conversation and then the continuation prompt.
    const body = JSON.stringify(scripted[1]!.body);
    expect(body).toContain('THE ORIGINAL TASK');
    expect(body.indexOf('THE LIMIT HAS RESET: CONTINUE')).toBeGreaterThan(body.indexOf('THE ORIGINAL TASK'));
  } finally {
    await server.close();
  }
}, 60_000);
