// Issue 14 end to end on the real daemon and runner: a stand-in `claude` on PATH plays real limit streams;
// a loopback HTTP server receives the webhooks.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEFAULTS } from '@habitat/config';
import { standInClaude, testdir, waitFor } from '@habitat/testkit';
import { afterEach, describe, expect, test } from 'vitest';
import { type Daemon, isLoopback, type Notification, serveHttp, startDaemon } from '../src/index.js';

const CLI = path.resolve(__dirname, '../../../apps/cli/dist/index.js');
const SECRET = 'sk-ant-oat01-habitatPacingSecret0123456789';
const daemons: Daemon[] = [];
const servers: http.Server[] = [];

afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop(0);
  for (const s of servers.splice(0)) s.close();
});

/** A loopback server that records every JSON body POSTed to it (and can refuse the first few). */
async function hookServer(
  failFirst = 0,
): Promise<{ url: string; got: (Notification & { receivedAt: number })[] }> {
  const got: (Notification & { receivedAt: number })[] = [];
  let seen = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (seen++ < failFirst) {
        res.writeHead(503).end();
        return;
      }
      got.push({ ...(JSON.parse(body) as Notification), receivedAt: Date.now() });
      res.writeHead(200).end('ok');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T000/SECRETPATH`, got };
}

function coordinator(agents: Record<string, string>, settings = ''): string {
  const root = testdir({ 'prompts/task.md': 'THE TASK', 'habitat.yaml': settings });
  mkdirSync(path.join(root, 'agents'));
  for (const [name, yaml] of Object.entries(agents))
    writeFileSync(path.join(root, 'agents', `${name}.yaml`), yaml);
  return root;
}

const claudeAgent = (binDir: string, controlDir: string, extra = '') =>
  [
    'run: { claude: prompts/task.md }',
    'schedule: { every: 1h }',
    // IS_SANDBOX: these stand-ins run as root in CI, which a real claude accepts only in a sandbox.
    `env: { PATH: "${binDir}:${process.env.PATH}", HABITAT_STAND_IN: "${controlDir}", IS_SANDBOX: "1" }`,
    'credentials: [{ name: claude-login, env: HABITAT_TEST_OAUTH, envName: CLAUDE_CODE_OAUTH_TOKEN }]',
    extra,
  ].join('\n');

process.env.HABITAT_TEST_OAUTH = SECRET;

describe('resume after the limit', () => {
  test('a limited run is resumed with --resume exactly once after reset + margin; accounts and webhooks follow', async () => {
    const hooks = await hookServer(1); // the first delivery fails: it is retried
    const resetsAt = Math.ceil(Date.now() / 1000) + 2;
    const claude = standInClaude([
      { fixture: 'five-hour-rejected', resetsAt },
      { success: 'continued and finished', costUsd: 0.25 },
    ]);
    const root = coordinator({
      writer: claudeAgent(
        claude.binDir,
        claude.controlDir,
        `rateLimit: { resume: true, margin: 1s }\nnotify: [{ webhook: "${hooks.url}", on: [rate-limited, recovered] }]`,
      ),
    });
    const daemon = await startDaemon({ root, watch: false, notify: { backoffMs: 50 } });
    daemons.push(daemon);
    const finished = () => daemon.store.history('writer', 10).filter((r) => r.ended_at !== null);
    const [resumed, limited] = await waitFor(() => finished().length >= 2 && finished(), { timeout: 15_000 });
    expect(limited!.status).toBe('rate-limited');
    expect(resumed!.status).toBe('succeeded');
    expect(resumed!.trigger).toBe('resume');

    const calls = claude.calls();
    const sessionId = (
      JSON.parse(readFileSync(limited!.log_path!, 'utf8').split('\n')[0]!) as { session_id: string }
    ).session_id;
    expect(calls[0]!.argv).not.toContain('--resume');
    expect(calls[0]!.stdin).toBe('THE TASK');
    expect(calls[1]!.argv.slice(0, 4)).toEqual(['--resume', sessionId, '--print', '--output-format']);
    expect(calls[1]!.stdin).toBe(DEFAULTS.rateLimit.prompt);
    // Started at reset + margin (no jitter: none configured), not before, and promptly.
    const planned = resetsAt * 1000 + 1000;
    expect(resumed!.started_at!).toBeGreaterThanOrEqual(planned);
    // "promptly": the daemon's timer is set for the wake, so this is event-loop lag; a daemon that missed the
    // wake would start it only at a later timer (the minutes-long cap) or not at all. 3 s leaves room for a
    // loaded machine (CI runs this whole suite serially on 2 shared cores).
    expect(resumed!.started_at! - planned).toBeLessThan(3000);
    expect(calls[1]!.at).toBeGreaterThanOrEqual(planned);

    // Exactly once: nothing more runs, the next run is the schedule's.
    await new Promise((r) => setTimeout(r, 1500));
    expect(claude.calls()).toHaveLength(2);
    expect(daemon.status().agents[0]!.nextReason).toBe('schedule');

    const [account] = daemon.accounts();
    expect(account).toMatchObject({
      key: 'env:HABITAT_TEST_OAUTH',
      kind: 'oauth',
      agents: ['writer'],
      usage: { fiveHour: { runs: 2, costUsd: 0.25, tokens: { input: 1200, output: 300 } } },
    });
    expect(account!.windows.map((w) => [w.window, w.status, w.utilization, w.resetsAt])).toEqual([
      ['five_hour', 'rejected', 1, new Date(resetsAt * 1000).toISOString()],
      ['seven_day', 'allowed', 0.61, new Date((resetsAt + 3 * 86400) * 1000).toISOString()],
    ]);

    // The CLI reads the same through the daemon's socket (async: this process serves that socket).
    const cli = (...args: string[]) => promisify(execFile)(process.execPath, [CLI, '-C', root, ...args]);
    const json = await cli('accounts', '--json');
    expect(JSON.parse(json.stdout)[0].windows[0]).toMatchObject({ window: 'five_hour', status: 'rejected' });
    expect((await cli('accounts')).stdout).toContain('five_hour 100% rejected');

    const events = await waitFor(() => hooks.got.length >= 2 && hooks.got, { what: 'two webhooks' });
    expect(events.map((e) => e.event)).toEqual(['rate-limited', 'recovered']);
    expect(events[0]).toMatchObject({
      agent: 'writer',
      runId: limited!.id,
      status: 'rate-limited',
      wakeAt: new Date(planned).toISOString(),
    });
    expect(events[0]!.text).toMatch(/writer hit a rate limit \(five_hour\)/);
    expect(events[1]).toMatchObject({ runId: resumed!.id, status: 'succeeded', event: 'recovered' });
    const deliveries = daemon.store.db
      .prepare('SELECT event, target, status, attempts FROM notifications ORDER BY id')
      .all();
    expect(deliveries).toEqual([
      {
        event: 'rate-limited',
        target: expect.stringMatching(/^webhook http:\/\/127\.0\.0\.1:\d+$/),
        status: 'delivered',
        attempts: 2,
      },
      { event: 'recovered', target: expect.stringMatching(/^webhook /), status: 'delivered', attempts: 1 },
    ]);
    for (const e of events) expect(JSON.stringify(e)).not.toContain(SECRET);
  }, 30_000);

  test('a resumed run limited again backs off as today; resume: false sleeps until the reset', async () => {
    const resetsAt = Math.ceil(Date.now() / 1000) + 1;
    // The resumed run meets the weekly window, which resets in an hour.
    const again = standInClaude([
      { fixture: 'five-hour-rejected', resetsAt },
      { fixture: 'seven-day-rejected', resetsAt: resetsAt + 3600 },
    ]);
    const plain = standInClaude([{ fixture: 'five-hour-rejected', resetsAt: resetsAt + 3600 }]);
    const root = coordinator({
      again: claudeAgent(again.binDir, again.controlDir, 'rateLimit: { resume: true, margin: 500ms }'),
      plain: claudeAgent(plain.binDir, plain.controlDir).replace(
        'HABITAT_TEST_OAUTH',
        'HABITAT_TEST_OAUTH_2',
      ),
    });
    process.env.HABITAT_TEST_OAUTH_2 = 'another-login-token';
    const daemon = await startDaemon({ root, watch: false });
    daemons.push(daemon);
    const done = (agent: string, n: number) => {
      const rows = daemon.store.history(agent, 10).filter((r) => r.ended_at !== null);
      return rows.length >= n && rows;
    };
    const rows = await waitFor(() => done('again', 2), { timeout: 10_000 });
    expect(rows.map((r) => [r.trigger, r.status])).toEqual([
      ['resume', 'rate-limited'],
      ['schedule', 'rate-limited'],
    ]);
    await new Promise((r) => setTimeout(r, 800));
    expect(again.calls()).toHaveLength(2);
    const status = daemon.status().agents;
    // Limited again: not resumed a second time, it sleeps until the new reset as any limited run does.
    const againState = status.find((a) => a.agent === 'again')!;
    expect(againState.nextReason).toBe('rate-limit');
    expect(againState.nextAt).toBe(new Date((resetsAt + 3600) * 1000).toISOString());
    const plainState = status.find((a) => a.agent === 'plain')!;
    expect(plainState.nextAt).toBe(new Date((resetsAt + 3600) * 1000).toISOString());
    expect(plainState.nextReason).toBe('rate-limit');
    expect(plain.calls()).toHaveLength(1);
  }, 20_000);
});

describe('pacing', () => {
  test('at utilization >= pace, priority: low agents on the account are deferred (recorded), others run', async () => {
    const resetsAt = Math.ceil(Date.now() / 1000) + 3600;
    const claude = standInClaude([{ fixture: 'five-hour-warning', resetsAt, exitCode: 0 }]);
    const root = coordinator({ warner: claudeAgent(claude.binDir, claude.controlDir) });
    const daemon = await startDaemon({ root, watch: false });
    daemons.push(daemon);
    await waitFor(() => daemon.store.history('warner', 5).some((r) => r.ended_at !== null));
    expect(daemon.accounts()[0]!.windows[0]).toMatchObject({
      window: 'five_hour',
      status: 'allowed_warning',
      utilization: 0.92,
    });
    const low = claudeAgent(claude.binDir, claude.controlDir, 'priority: low\nrateLimit: { pace: 0.9 }');
    writeFileSync(path.join(root, 'agents', 'low.yaml'), low);
    writeFileSync(
      path.join(root, 'agents', 'normal.yaml'),
      claudeAgent(claude.binDir, claude.controlDir, 'rateLimit: { pace: 0.9 }'),
    );
    await daemon.reload();
    await waitFor(() => daemon.store.history('normal', 5).some((r) => r.ended_at !== null));
    expect(daemon.store.history('low', 5)).toEqual([]);
    const low_ = daemon.status().agents.find((a) => a.agent === 'low')!;
    expect(low_.nextAt).toBe(new Date(resetsAt * 1000).toISOString());
    const [deferral] = daemon.accounts()[0]!.deferrals;
    expect(deferral).toMatchObject({ agent: 'low', until: new Date(resetsAt * 1000).toISOString() });
    expect(deferral!.reason).toMatch(/five_hour at 92% >= pace 90%/);
  }, 20_000);
});

describe('notifications', () => {
  test('failed, needs-attention after N, command targets get JSON on stdin; a dead webhook never blocks', async () => {
    const out = path.join(testdir(), 'notes.jsonl');
    const root = coordinator(
      {
        broken: [
          'run: { command: ["sh", "-c", "echo boom; exit 3"] }',
          `notify: [{ command: ["sh", "-c", "cat >> ${out}"], on: [failed, needs-attention], after: 2 }]`,
        ].join('\n'),
      },
      'notify: [{ webhook: "http://127.0.0.1:9/never", on: [failed] }]\n',
    );
    const daemon = await startDaemon({
      root,
      watch: false,
      notify: { attempts: 3, backoffMs: 20, timeoutMs: 500 },
    });
    daemons.push(daemon);
    for (let i = 0; i < 2; i++) {
      daemon.trigger('broken');
      await waitFor(() => daemon.store.history('broken', 5).filter((r) => r.ended_at !== null).length > i);
    }
    const lines = await waitFor(() => {
      try {
        const l = readFileSync(out, 'utf8').split('\n').filter(Boolean);
        return l.length >= 3 && l.map((x) => JSON.parse(x) as Notification);
      } catch {
        return false;
      }
    });
    // Deliveries run side by side: their order on the file is not fixed.
    expect(lines.map((n) => [n.event, n.failures]).sort()).toEqual([
      ['failed', 1],
      ['failed', 2],
      ['needs-attention', 2],
    ]);
    expect(lines[0]).toMatchObject({ agent: 'broken', status: 'failed', exitCode: 3 });
    expect(lines[0]!.logPath).toMatch(/\.log$/);
    const dead = await waitFor(() => {
      const rows = daemon.store.db
        .prepare(
          "SELECT status, attempts, last_error, target FROM notifications WHERE target LIKE 'webhook%'",
        )
        .all() as { status: string; attempts: number; last_error: string; target: string }[];
      return rows.length === 2 && rows.every((r) => r.status === 'failed') && rows;
    });
    expect(dead[0]).toMatchObject({ attempts: 3, target: 'webhook http://127.0.0.1:9' });
    expect(dead[0]!.last_error).not.toContain('/never');
    expect(daemon.status().daemon.live).toBe(true);
  }, 20_000);
});

describe('HTTP API', () => {
  test('refuses a missing or wrong token, starts a run with it, serves status, runs and accounts; bad input is 4xx', async () => {
    delete process.env.HABITAT_HTTP_TOKEN;
    const root = coordinator(
      { hello: 'run: { command: ["echo", "hi"] }\n' },
      'http: { listen: "127.0.0.1:0" }\n',
    );
    const daemon = await startDaemon({ root, watch: false });
    daemons.push(daemon);
    const base = daemon.httpUrl!;
    const tokenFile = path.join(root, '.habitat', 'http.token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(40);
    const auth = { authorization: `Bearer ${token}` };

    expect((await fetch(`${base}/v1/agents/hello/runs`, { method: 'POST' })).status).toBe(401);
    const wrong = await fetch(`${base}/v1/status`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: 'unauthorized' } });
    expect(daemon.store.history('hello', 5)).toEqual([]);

    const started = await fetch(`${base}/v1/agents/hello/runs`, { method: 'POST', headers: auth });
    expect(started.status).toBe(202);
    const { runId } = (await started.json()) as { runId: string };
    await waitFor(() => daemon.store.run(runId)?.status === 'succeeded');
    expect(daemon.store.run(runId)!.trigger).toBe('http');

    const runs = (await (await fetch(`${base}/v1/runs?agent=hello`, { headers: auth })).json()) as {
      runId: string;
      startedAt: string;
    }[];
    // the contract's run object (as `history --json`), not the store's rows
    expect(runs.map((r) => r.runId)).toEqual([runId]);
    expect(runs[0]!.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const status = (await (await fetch(`${base}/v1/status`, { headers: auth })).json()) as {
      agents: unknown[];
    };
    expect(status.agents).toHaveLength(1);
    expect((await fetch(`${base}/v1/accounts`, { headers: auth })).status).toBe(200);

    const bad = async (url: string, init: RequestInit = {}) => {
      const r = await fetch(`${base}${url}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) } });
      return [r.status, ((await r.json()) as { error: { code: string } }).error.code];
    };
    expect(await bad('/v1/agents/nobody/runs', { method: 'POST' })).toEqual([404, 'unknown-agent']);
    expect(await bad('/v1/agents/hello/runs', { method: 'POST', body: '{not json' })).toEqual([
      400,
      'bad-request',
    ]);
    expect(await bad('/v1/agents/hello/runs')).toEqual([405, 'method-not-allowed']);
    expect(await bad('/v1/runs?limit=-4')).toEqual([400, 'bad-request']);
    expect(await bad('/v1/agents/%E0%A4%A/runs', { method: 'POST' })).toEqual([400, 'bad-request']);
    expect(await bad('/v1/nothing')).toEqual([404, 'not-found']);
    // Garbage on the wire: a 400, and the server goes on serving.
    const { port } = new URL(base);
    const raw = await new Promise<string>((resolve) => {
      const s = net.connect(Number(port), '127.0.0.1', () => s.write('NOT HTTP AT ALL\r\n\r\n'));
      let got = '';
      s.on('data', (c) => (got += c));
      s.on('close', () => resolve(got));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect((await fetch(`${base}/v1/status`, { headers: auth })).status).toBe(200);
  }, 20_000);

  test('HABITAT_HTTP_TOKEN is used when set; a non-loopback bind is refused without public', async () => {
    const root = coordinator({ hello: 'run: { command: ["true"] }\n' });
    process.env.HABITAT_HTTP_TOKEN = 'from-the-environment-token';
    try {
      const daemon = await startDaemon({ root, watch: false, http: { listen: '127.0.0.1:0' } });
      daemons.push(daemon);
      const ok = await fetch(`${daemon.httpUrl}/v1/status`, {
        headers: { authorization: 'Bearer from-the-environment-token' },
      });
      expect(ok.status).toBe(200);
      // Refused before anything binds (tests stay on loopback, so the public path is not bound here).
      await expect(serveHttp(daemon, { listen: '0.0.0.0:7070' })).rejects.toThrow(/not a loopback address/);
      await expect(serveHttp(daemon, { listen: '[::]:7070' })).rejects.toThrow(/not a loopback address/);
      expect(['127.0.0.1', '127.8.0.1', '::1', 'localhost'].every(isLoopback)).toBe(true);
      expect(['0.0.0.0', '192.168.1.2', '::', 'example.com'].some(isLoopback)).toBe(false);
    } finally {
      delete process.env.HABITAT_HTTP_TOKEN;
    }
  });
});
