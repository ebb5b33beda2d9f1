// The real daemon driving the real claude binary against the testkit's model server: a subscription run meets
// a 429 carrying the unified rate-limit headers (a five_hour reset two seconds out), and the daemon resumes
// the same conversation with `claude --resume` once the reset + margin has passed.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  chownTree,
  claudeBinDir,
  ensureTestUser,
  startModelServer,
  testdir,
  waitFor,
} from '@habitat/testkit';
import { expect, test } from 'vitest';
import { startDaemon } from '../src/index.js';

test('real claude: limited by a 429 with a reset, resumed by the daemon once, continuing the conversation', async () => {
  const user = ensureTestUser();
  const repo = testdir({ 'prompts/task.md': 'THE ORIGINAL TASK' });
  chownTree(repo, user);
  const cred = path.join(
    testdir({ 'login.env': 'CLAUDE_CODE_OAUTH_TOKEN=sk-ant-oat01-pacingRealClaude0123\n' }),
    'login.env',
  );
  const reset = Math.ceil(Date.now() / 1000) + 3;
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
    { text: 'continued after the reset' },
  ]);
  const root = testdir();
  chmodSync(root, 0o755);
  mkdirSync(path.join(root, 'agents'));
  writeFileSync(
    path.join(root, 'agents', 'writer.yaml'),
    [
      `repo: ${repo}`,
      'run: { claude: { prompt: prompts/task.md, model: sonnet } }',
      'schedule: { every: 1h }',
      'rateLimit: { resume: true, margin: 500ms, prompt: "THE LIMIT RESET: GO ON" }',
      `isolation: { backend: local, user: ${user.name} }`,
      `credentials: [{ name: claude-login, from: ${cred}, as: env }]`,
      'env:',
      `  PATH: "${claudeBinDir()}:${process.env.PATH}"`,
      `  ANTHROPIC_BASE_URL: "${server.url}"`,
      '  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1"',
      '  CLAUDE_CODE_MAX_RETRIES: "0"',
      '  DISABLE_AUTOUPDATER: "1"',
    ].join('\n'),
  );
  const daemon = await startDaemon({ root, watch: false, socket: false });
  try {
    const done = () => daemon.store.history('writer', 10).filter((r) => r.ended_at !== null);
    const [resumed, limited] = await waitFor(() => done().length >= 2 && done(), { timeout: 40_000 });
    expect([limited!.status, resumed!.status, resumed!.trigger]).toEqual([
      'rate-limited',
      'succeeded',
      'resume',
    ]);
    expect(resumed!.started_at!).toBeGreaterThanOrEqual(reset * 1000 + 500);
    const scripted = server.requests.filter((r) => r.scripted);
    expect(scripted).toHaveLength(2);
    const body = JSON.stringify(scripted[1]!.body);
    expect(body.indexOf('THE LIMIT RESET: GO ON')).toBeGreaterThan(body.indexOf('THE ORIGINAL TASK'));
    const [account] = daemon.accounts();
    expect(account).toMatchObject({ kind: 'oauth', agents: ['writer'] });
    // The window and its reset, recorded from the limited run (Claude leaves utilization out of some events).
    expect(account!.windows[0]).toMatchObject({
      window: 'five_hour',
      resetsAt: new Date(reset * 1000).toISOString(),
    });
    expect(daemon.store.run(limited!.id)!.status).toBe('rate-limited');
    // The resumed run's first answer came with Claude's "allowed" event: the window, past its reset, is open again.
    expect(daemon.accounts()[0]!.windows[0]!.status).toBe('allowed');
    await new Promise((r) => setTimeout(r, 500));
    expect(daemon.store.history('writer', 10)).toHaveLength(2);
  } finally {
    await daemon.stop(0);
    await server.close();
  }
}, 60_000);
