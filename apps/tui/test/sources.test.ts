// sources.ts against real things: a real session index, a real knowledge index, real log files, and a
// socket that appears after the TUI started (the back-off retry finds it).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { addLearning, openKnowledge } from '@habitat/knowledge';
import { indexSessions } from '@habitat/sessions';
import { testdir, waitFor } from '@habitat/testkit';
import { afterEach, expect, test } from 'vitest';
import { type Sources, startSources } from '../src/sources.js';
import type { Action } from '../src/state/app.js';
import { LOG_CAPACITY } from '../src/state/runs.js';

const FIXTURE = path.resolve(__dirname, '../../../packages/testkit/fixtures/session.jsonl');
const open: { stop(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.stop();
});

function start(
  root: string,
  options: { retryMs?: number; maxRetryMs?: number } = {},
): { sources: Sources; actions: Action[] } {
  const actions: Action[] = [];
  const sources = startSources({
    root,
    stateDir: path.join(root, '.habitat'),
    knowledgeDir: path.join(root, 'knowledge'),
    dispatch: (a) => actions.push(a),
    retryMs: options.retryMs ?? 60_000,
    ...(options.maxRetryMs ? { maxRetryMs: options.maxRetryMs } : {}),
    refreshMs: 60_000,
  });
  open.push(sources);
  return { sources, actions };
}
const last = <T extends Action['type']>(actions: Action[], type: T) =>
  actions.filter((a) => a.type === type).at(-1) as Extract<Action, { type: T }> | undefined;

test('sessions: search the index, then read a transcript with its tool calls foldable', async () => {
  const root = testdir({ 'agents/.keep': '' });
  const stateDir = path.join(root, '.habitat');
  const project = path.join(stateDir, 'claude', 'digest', 'projects', '-tmp-notes');
  mkdirSync(project, { recursive: true });
  copyFileSync(FIXTURE, path.join(project, '1d9454fe-3822-4ea6-aa13-f052fe96ba69.jsonl'));
  indexSessions({ stateDir, sources: { defaults: false } });
  const { sources, actions } = start(root);
  await sources.run({ kind: 'search-sessions', query: 'notes' });
  const results = last(actions, 'sessions-results')!;
  expect(results.error).toBeUndefined();
  expect(results.hits.length).toBeGreaterThan(0);
  expect(results.hits[0]).toMatchObject({
    sessionId: '1d9454fe-3822-4ea6-aa13-f052fe96ba69',
    agent: 'digest',
  });
  await sources.run({ kind: 'open-session', sessionId: results.hits[0]!.sessionId });
  const transcript = last(actions, 'transcript')!;
  const bash = transcript.entries.find((e) => e.label === 'tool Bash');
  expect(bash).toMatchObject({ foldable: true });
  expect(transcript.entries.find((e) => e.label === 'user')).toMatchObject({
    foldable: false,
    body: 'summarise the notes',
  });
});

test('sessions: without an index, the view says how to make one', async () => {
  const { sources, actions } = start(testdir({ 'agents/.keep': '' }));
  await sources.run({ kind: 'search-sessions', query: 'x' });
  expect(last(actions, 'sessions-results')!.error).toMatch(/no session index .* run habitat sessions index/);
});

test('knowledge: a learning found by search says where it came from', async () => {
  const root = testdir({ 'agents/.keep': '', 'knowledge/.keep': '' });
  const stateDir = path.join(root, '.habitat');
  const { index } = await openKnowledge({ stateDir, knowledgeDir: path.join(root, 'knowledge') });
  await addLearning(index, path.join(root, 'knowledge'), {
    text: 'The staging database refuses connections before 06:00 UTC; schedule migrations after that.',
    title: 'Staging database maintenance window',
    provenance: { source: 'explicit', agent: 'digest', runId: '01JTESTRUN0000000000000000' },
  });
  index.close();
  const { sources, actions } = start(root);
  await sources.run({ kind: 'search-knowledge', query: 'staging database migrations' });
  const r = last(actions, 'knowledge-results')!;
  expect(r.error).toBeUndefined();
  expect(r.hits[0]).toMatchObject({ title: 'Staging database maintenance window' });
  expect(r.hits[0]!.provenance[0]).toMatch(
    /^explicit · agent digest · run 01JTESTRUN0000000000000000 · \d{4}-/,
  );
  expect(r.hits[0]!.stale).toBeUndefined();
});

test('knowledge: a contradicted learning is marked stale, as habitat knowledge search marks it', async () => {
  const root = testdir({ 'agents/.keep': '', 'knowledge/.keep': '' });
  const knowledgeDir = path.join(root, 'knowledge');
  const { index } = await openKnowledge({ stateDir: path.join(root, '.habitat'), knowledgeDir });
  const old = await addLearning(index, knowledgeDir, {
    text: 'The twitter API returns 429 when more than 300 requests are made in 15 minutes',
    provenance: { source: 'explicit' },
  });
  await addLearning(index, knowledgeDir, {
    text: 'The twitter API now allows 900 requests in 15 minutes, no longer 300',
    provenance: { source: 'explicit' },
  });
  index.close();
  const { sources, actions } = start(root);
  await sources.run({ kind: 'search-knowledge', query: 'twitter requests' });
  const hits = last(actions, 'knowledge-results')!.hits;
  const stale = hits.find((h) => h.id === old.learning.id)!;
  expect(stale.status).toBe('active');
  expect(stale.stale).toMatch(/^contradicted by k-/);
  expect(hits.filter((h) => h.stale)).toHaveLength(1);
});

test('a past run opens from its log file, found by run id', async () => {
  const root = testdir({ 'agents/.keep': '' });
  const dir = path.join(root, '.habitat', 'logs', 'digest');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, '20261124-100000-01JPASTRUN0000000000000000.log'), 'first\nsecond\nlast line');
  const { sources, actions } = start(root);
  await sources.run({
    kind: 'load-log',
    agent: 'digest',
    runId: '01JPASTRUN0000000000000000',
    logPath: null,
  });
  expect(last(actions, 'log-loaded')).toMatchObject({
    runId: '01JPASTRUN0000000000000000',
    text: 'first\nsecond\nlast line',
  });
});

test('no daemon: read-only with the reason; a daemon that appears later is found by the retry', async () => {
  const root = testdir({ 'agents/a.yaml': 'run: { command: ["true"] }\nschedule: manual\n' });
  const stateDir = path.join(root, '.habitat');
  mkdirSync(stateDir);
  // retries kept frequent: under load the back-off could outgrow the wait below
  const { actions } = start(root, { retryMs: 100, maxRetryMs: 200 });
  await waitFor(() => last(actions, 'connection')?.connection.mode === 'offline');
  expect(last(actions, 'snapshot')!.agents.map((a) => a.agent)).toEqual(['a']);
  // A minimal daemon: answers status and subscribe, then sends one event.
  const server = net.createServer((socket) => {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        const req = JSON.parse(line) as { id: number; method: string };
        const result =
          req.method === 'status'
            ? {
                daemon: { live: true, pid: 4242 },
                agents: [{ agent: 'a', state: 'idle', schedule: 'manual', backend: 'local', costToday: 0 }],
              }
            : { subscribed: true };
        socket.write(`${JSON.stringify({ id: req.id, result })}\n`);
        if (req.method === 'subscribe')
          socket.write(
            `${JSON.stringify({ event: 'run.started', time: new Date().toISOString(), agent: 'a', runId: 'R' })}\n`,
          );
      }
    });
  });
  await new Promise<void>((r) => server.listen(path.join(stateDir, 'habitat.sock'), r));
  open.push({ stop: () => server.close() });
  // retries come every <= 200 ms; the wait is long because CI once took 5 s here (2 cores, the tmux suites beside it)
  await waitFor(() => last(actions, 'connection')?.connection.mode === 'live', { timeout: 15_000 });
  expect(last(actions, 'connection')!.connection).toEqual({ mode: 'live', pid: 4242 });
  await waitFor(() => last(actions, 'events'));
  expect(last(actions, 'events')!.events[0]).toMatchObject({ event: 'run.started', agent: 'a', runId: 'R' });
});

/** A fake daemon on `stateDir`'s socket; `answer` says what each method returns (an Error: an error answer). */
async function fakeDaemon(stateDir: string, answer: (method: string) => unknown) {
  const live = new Set<net.Socket>();
  let subscriptions = 0;
  const server = net.createServer((socket) => {
    socket.setEncoding('utf8');
    socket.on('close', () => live.delete(socket));
    socket.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        const req = JSON.parse(line) as { id: number; method: string };
        const result = answer(req.method);
        socket.write(
          `${JSON.stringify(
            result instanceof Error
              ? { id: req.id, error: { code: 'failed', message: result.message } }
              : { id: req.id, result },
          )}\n`,
        );
        if (req.method === 'subscribe') {
          subscriptions++;
          live.add(socket);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(path.join(stateDir, 'habitat.sock'), r));
  open.push({ stop: () => server.close() });
  return {
    /** sockets subscribed and still open */
    live,
    subscriptions: () => subscriptions,
    send: (event: Record<string, unknown>) => {
      for (const s of live) s.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
    },
  };
}

const STATUS = {
  daemon: { live: true, pid: 4242 },
  agents: [{ agent: 'a', state: 'idle', schedule: 'manual', backend: 'local', costToday: 0 }],
};

test('an odd answer to `accounts` keeps the one live connection (it used to add a subscription per retry)', async () => {
  const root = testdir({ 'agents/a.yaml': 'run: { command: ["true"] }\nschedule: manual\n' });
  const stateDir = path.join(root, '.habitat');
  mkdirSync(stateDir);
  const daemon = await fakeDaemon(stateDir, (m) =>
    m === 'status' ? STATUS : m === 'accounts' ? { ok: true } : { subscribed: true },
  );
  const { actions } = start(root, { retryMs: 50, maxRetryMs: 50 });
  await waitFor(() => last(actions, 'connection')?.connection.mode === 'live', { timeout: 15_000 });
  // Retries would come every 50 ms: give a leak many chances to show.
  await new Promise((r) => setTimeout(r, 1000));
  expect(daemon.subscriptions()).toBe(1);
  expect(last(actions, 'connection')!.connection.mode).toBe('live');
  expect(actions.some((a) => a.type === 'accounts')).toBe(false);
  daemon.send({ event: 'run.output', agent: 'a', runId: 'R', stream: 'stdout', text: 'once\n' });
  await waitFor(() => last(actions, 'events'));
  const texts = actions.flatMap((a) => (a.type === 'events' ? a.events.map((e) => e.text) : []));
  expect(texts).toEqual(['once\n']);
});

test('a connection that fails after subscribing is closed before the retry: one subscription open at a time', async () => {
  const root = testdir({ 'agents/a.yaml': 'run: { command: ["true"] }\nschedule: manual\n' });
  const stateDir = path.join(root, '.habitat');
  mkdirSync(stateDir);
  let most = 0;
  const daemon = await fakeDaemon(stateDir, (m) => {
    most = Math.max(most, daemon.live.size);
    return m === 'status' ? new Error('status is broken') : { subscribed: true };
  });
  const { actions } = start(root, { retryMs: 50, maxRetryMs: 50 });
  await waitFor(() => daemon.subscriptions() >= 5, { timeout: 15_000 });
  await waitFor(() => daemon.live.size <= 1);
  // Events the daemon sends meanwhile reach the screen once at most, never once per past connection.
  daemon.send({ event: 'run.started', agent: 'a', runId: 'R' });
  await new Promise((r) => setTimeout(r, 300));
  expect(most).toBeLessThanOrEqual(1);
  const started = actions.flatMap((a) => (a.type === 'events' ? a.events : []));
  expect(started.length).toBeLessThanOrEqual(1);
  expect(last(actions, 'connection')!.connection.mode).toBe('offline');
});

test('output is one event per run and flush, cut to what a log keeps; a start or finish keeps its place', async () => {
  const root = testdir({ 'agents/a.yaml': 'run: { command: ["true"] }\nschedule: manual\n' });
  const stateDir = path.join(root, '.habitat');
  mkdirSync(stateDir);
  const daemon = await fakeDaemon(stateDir, (m) =>
    m === 'status' ? STATUS : m === 'accounts' ? [] : { subscribed: true },
  );
  const { actions } = start(root, { retryMs: 50 });
  await waitFor(() => last(actions, 'connection')?.connection.mode === 'live', { timeout: 15_000 });
  // 100,000 lines in 1,000 messages (~6 MB, more than the source holds between flushes), then the finish.
  daemon.send({ event: 'run.started', agent: 'a', runId: 'R' });
  for (let m = 0; m < 1000; m++) {
    let text = '';
    for (let i = 0; i < 100; i++) text += `line ${m * 100 + i} ${'x'.repeat(50)}\n`;
    daemon.send({ event: 'run.output', agent: 'a', runId: 'R', stream: 'stdout', text });
  }
  daemon.send({ event: 'run.output', agent: 'a', runId: 'R', stream: 'stdout', text: 'tail' });
  daemon.send({ event: 'run.finished', agent: 'a', runId: 'R', result: { status: 'succeeded' } });
  daemon.send({ event: 'run.output', agent: 'a', runId: 'R', stream: 'stdout', text: ' after\n' });
  await waitFor(
    () => actions.some((a) => a.type === 'events' && a.events.some((e) => e.text === ' after\n')),
    { timeout: 15_000 },
  );
  const events = actions.flatMap((a) => (a.type === 'events' ? a.events : []));
  expect(events.map((e) => e.event)).toEqual([
    'run.started',
    ...events.slice(1, -2).map(() => 'run.output'),
    'run.finished',
    'run.output',
  ]);
  const output = events.filter((e) => e.event === 'run.output').slice(0, -1);
  // far fewer events than messages, none holding more than LOG_CAPACITY complete lines
  expect(output.length).toBeLessThan(50);
  const lines = output.map((e) => String(e.text).split('\n').length - 1);
  for (const n of lines) expect(n).toBeLessThanOrEqual(LOG_CAPACITY);
  // every line is either delivered or counted, in order: the newest ones delivered as sent
  const skipped = output.reduce((n, e) => n + Number(e.skippedLines ?? 0), 0);
  expect(skipped).toBeGreaterThan(0);
  expect(skipped + lines.reduce((a, b) => a + b, 0)).toBe(100_000);
  const joined = output.map((e) => e.text).join('');
  expect(joined.endsWith(`line 99999 ${'x'.repeat(50)}\ntail`)).toBe(true);
});
