// habitat up --http: the built CLI serves the HTTP API; a missing token is refused, a run starts with it;
// a non-loopback address without --http-public is a usage error (exit 2) before anything binds.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { testdir, waitFor } from '@habitat/testkit';
import { expect, test } from 'vitest';

const CLI = path.resolve(__dirname, '../dist/index.js');

test('up --http serves the API with a generated token; the trigger is recorded as http', async () => {
  const root = testdir({ 'agents/hello.yaml': 'run: { command: [echo, hi] }\n' });
  const env = { ...process.env, HABITAT_HTTP_TOKEN: '' };
  const child = spawn(process.execPath, [CLI, 'up', '--no-layers', '--http', '127.0.0.1:0'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (c) => (log += c));
  try {
    const url = await waitFor(() => /HTTP API on (http:\/\/127\.0\.0\.1:\d+)/.exec(log)?.[1], {
      timeout: 20_000,
      what: 'the HTTP API',
    });
    const token = readFileSync(path.join(root, '.habitat', 'http.token'), 'utf8').trim();
    expect((await fetch(`${url}/v1/agents/hello/runs`, { method: 'POST' })).status).toBe(401);
    const started = await fetch(`${url}/v1/agents/hello/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(started.status).toBe(202);
    const { runId } = (await started.json()) as { runId: string };
    const run = await waitFor(async () => {
      const runs = (await (
        await fetch(`${url}/v1/runs?agent=hello`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { runId: string; trigger: string; status: string }[];
      return runs.find((r) => r.runId === runId && r.status === 'succeeded');
    });
    expect(run.trigger).toBe('http');
    expect(log).not.toContain(token);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}, 40_000);

test('up --http on a non-loopback address needs --http-public', () => {
  const root = testdir({ 'agents/hello.yaml': 'run: { command: [echo, hi] }\n' });
  const out = spawnSync(process.execPath, [CLI, 'up', '--no-layers', '--http', '0.0.0.0:7070'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(out.status).toBe(2);
  expect(out.stderr).toContain('pass --http-public');
});
