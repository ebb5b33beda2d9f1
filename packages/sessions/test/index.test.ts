import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { generateCorpus } from '../bench/gen-corpus.js';
import { indexSessions, openSessionIndex } from '../src/index.js';
import { inputText } from '../src/input-text.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sessions-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const secret = ['hunter', '2', 'x9Q7zL'].join('');
let clock = Date.UTC(2026, 0, 5, 9);
const at = () => {
  clock += 1000;
  return new Date(clock).toISOString();
};
const user = (text: string) =>
  JSON.stringify({
    type: 'user',
    uuid: `u${clock}`,
    cwd: '/w/app',
    gitBranch: 'main',
    timestamp: at(),
    message: { role: 'user', content: text },
  });
const assistant = (
  id: string,
  blocks: unknown[],
  usage = { input_tokens: 3, output_tokens: 7, cache_read_input_tokens: 11, cache_creation_input_tokens: 13 },
) =>
  blocks.map((b) =>
    JSON.stringify({
      type: 'assistant',
      timestamp: at(),
      requestId: `req_${id}`,
      message: { id: `msg_${id}`, model: 'claude-sonnet-4-5', content: [b], usage },
    }),
  );
const result = (toolUseId: string, content: string, isError = false, extra: object = {}) =>
  JSON.stringify({
    type: 'user',
    timestamp: at(),
    message: {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: toolUseId, content, is_error: isError }],
    },
    ...extra,
  });

function claudeFile(name: string, lines: string[]): string {
  const path = join(dir, 'claude', 'projects', '-w-app', name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const index = () =>
  indexSessions({
    dbPath: join(dir, 'sessions.db'),
    sources: {
      claude: [join(dir, 'claude')],
      codex: [join(dir, 'codex')],
      cursor: [join(dir, 'cursor')],
      defaults: false,
    },
    stateDir: join(dir, 'state'),
  });

describe('indexSessions', () => {
  test('a transcript indexes tool calls, files, commands, errors; split messages count usage once', () => {
    claudeFile('s1.jsonl', [
      user('fix the failing build please'),
      ...assistant('1', [
        { type: 'thinking', thinking: 'look at the config first' },
        { type: 'tool_use', id: 't1', name: 'Read', input: { file_path: '/w/app/tsconfig.json' } },
        { type: 'tool_use', id: 't2', name: 'Bash', input: { command: 'pnpm build' } },
      ]),
      result('t1', '{ "strict": true }'),
      result('t2', 'error TS2307: cannot find module', true),
      ...assistant('2', [
        {
          type: 'tool_use',
          id: 't3',
          name: 'Edit',
          input: { file_path: '/w/app/src/a.ts', old_string: 'a', new_string: 'b' },
        },
      ]),
      result('t3', 'ok'),
      JSON.stringify({ type: 'summary', summary: 'Fixed the build', leafUuid: 'x' }),
      JSON.stringify({ type: 'brand-new-record', timestamp: at() }),
      '{"truncated": ',
    ]);
    const report = index();
    expect(report).toMatchObject({ added: 1, malformed: 1, unknown: 1, errors: [] });
    // named, with where it is: the line after the 9 before it
    expect(report.unknownTypes).toEqual([
      { path: expect.stringMatching(/s1\.jsonl$/), line: 10, type: 'brand-new-record' },
    ]);
    const ix = openSessionIndex(join(dir, 'sessions.db'));
    const s = ix.getSession('s1');
    expect(s).toMatchObject({
      source: 'claude',
      project: '/w/app',
      branch: 'main',
      toolCalls: 3,
      toolErrors: 1,
      models: ['claude-sonnet-4-5'],
    });
    // message 1 spans three lines with the same id + request id: its usage is counted once
    expect(s?.tokens).toEqual({ input: 6, output: 14, cacheRead: 22, cacheCreation: 26 });
    const events = ix.getEvents('s1');
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events.find((e) => e.toolUseId === 't2' && e.kind === 'tool_result')).toMatchObject({
      isError: true,
      toolName: 'Bash',
    });
    const detail = ix.getSessionDetail('s1');
    expect(detail?.files).toEqual([
      { path: '/w/app/tsconfig.json', ops: ['read'] },
      { path: '/w/app/src/a.ts', ops: ['edit'] },
    ]);
    expect(detail?.commands.map((c) => c.command)).toEqual(['pnpm build']);
    expect(ix.listSessions({ errors: true, tool: 'bash', file: 'tsconfig' }).map((x) => x.id)).toEqual([
      's1',
    ]);
    expect(ix.listSessions({ tool: 'Write' })).toEqual([]);
    ix.close();
  });

  test('a knowledge brief or an injected block before the prompt is never the title; the prompt after it is', () => {
    const brief =
      '## What earlier sessions learned (habitat knowledge)\n\nCheck these before you start.\n\n- **Use pnpm** — not npm\n';
    claudeFile('b1.jsonl', [user(`${brief}\n---\n\nrename the config loader`)]);
    claudeFile('b2.jsonl', [
      user('<command-name>/model</command-name>'),
      user('Caveat: The messages below were generated by the user while running local commands.'),
      user('add a --json flag to status'),
    ]);
    index();
    const ix = openSessionIndex(join(dir, 'sessions.db'));
    expect(ix.getSession('b1')?.title).toBe('rename the config loader');
    expect(ix.getSession('b2')?.title).toBe('add a --json flag to status');
    ix.close();
  });

  test('appends are read from the last offset, a half-written line waits, rewrites and deletions are handled', () => {
    const path = claudeFile('s2.jsonl', [user('first prompt')]);
    expect(index()).toMatchObject({ added: 1, events: 1 });
    expect(index()).toMatchObject({ unchanged: 1, events: 0 });
    const line = user('second prompt about kubernetes');
    appendFileSync(path, line.slice(0, 30));
    expect(index()).toMatchObject({ appended: 1, events: 0, malformed: 0 });
    appendFileSync(path, `${line.slice(30)}\n`);
    expect(index()).toMatchObject({ appended: 1, events: 1 });
    const ix = openSessionIndex(join(dir, 'sessions.db'));
    expect(ix.search('kubernetes').hits.map((h) => h.sessionId)).toEqual(['s2']);
    // rewritten in place (same size or smaller, different head): indexed again whole
    writeFileSync(path, `${user('completely different start')}\n`);
    expect(index()).toMatchObject({ reindexed: 1 });
    expect(ix.getEvents('s2').map((e) => e.text)).toEqual(['completely different start']);
    expect(ix.search('kubernetes').hits).toEqual([]);
    truncateSync(path, 0);
    rmSync(path);
    expect(index()).toMatchObject({ pruned: 1 });
    expect(ix.getSession('s2')).toBeUndefined();
    ix.close();
  });

  test('secrets printed into a transcript never reach the index file', () => {
    claudeFile('s3.jsonl', [
      user('show me the env'),
      ...assistant('3', [
        { type: 'tool_use', id: 't9', name: 'Bash', input: { command: `echo DB_PASSWORD=${secret}` } },
      ]),
      result(
        't9',
        `NODE_ENV=production\nDB_PASSWORD=${secret}\nGITHUB_TOKEN=ghp_${'aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6'}`,
      ),
      JSON.stringify({ type: 'summary', summary: `Rotated DB_PASSWORD=${secret}`, leafUuid: 'x' }),
      JSON.stringify({ type: 'custom-title', customTitle: `fix DB_PASSWORD=${secret}`, sessionId: 's3' }),
    ]);
    index();
    const ix = openSessionIndex(join(dir, 'sessions.db'));
    expect(ix.search(secret).hits).toEqual([]);
    expect(JSON.stringify(ix.getEvents('s3'))).not.toContain(secret);
    expect(JSON.stringify(ix.getEvents('s3'))).toContain('[REDACTED:');
    expect(ix.getSession('s3')?.title).toBe('fix DB_PASSWORD=[REDACTED:env]');
    ix.close();
    const files = ['sessions.db', 'sessions.db-wal'].map((f) => join(dir, f)).filter((f) => existsSync(f));
    const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
    expect(bytes.includes(secret)).toBe(false);
    expect(bytes.includes('ghp_aB3dE6')).toBe(false);
  });

  test('vendor keys an agent repeats in its own words are redacted in show, search, every export and the file', async () => {
    const { exportSession } = await import('../src/index.js');
    // assembled at run time: this file holds no literal key
    const k = (prefix: string, n: number, alphabet = 'aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF') =>
      prefix + Array.from({ length: n }, (_, i) => alphabet[(i * 7 + 3) % alphabet.length]).join('');
    const keys = [
      k('sk-ant-api03-', 90),
      k('sk-proj-', 60),
      `AKIA${'IOSFODNN7EXAMPLE'}`, // AWS's documented example key
      k('ASIA', 16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'),
      k('ghp_', 36),
      k('github_pat_', 60),
      k('xoxb-', 30, '0123456789-'),
      k('AIza', 35),
      k('hf_', 34, 'abcdefghijklmnopqrstuvwxyzABCDEFGH'),
      k('npm_', 36),
      `${k('eyJ', 30)}.${k('eyJ', 40)}.${k('', 30)}`,
    ];
    const pem = `-----BEGIN PRIVATE KEY-----\n${k('MII', 64)}\n${k('', 64)}\n-----END PRIVATE KEY-----`;
    const url = `postgres://app:${k('', 14)}@db.internal:5432/prod`;
    const keep = [
      'TOKENIZERS_PARALLELISM=true',
      'MAX_THINKING_TOKENS=8000',
      'session_id="3f6c2b1e-8d4a-4c1e-9b7f-2a5d8e9c0b1a"',
    ];
    claudeFile('s9.jsonl', [
      user('what keys did you find?'),
      ...assistant('9', [
        {
          type: 'text',
          text: `I found these: ${keys.join(' and ')}.\nAlso ${url} and\n${pem}\nConfig: ${keep.join(' ')}`,
        },
      ]),
    ]);
    index();
    const ix = openSessionIndex(join(dir, 'sessions.db'));
    const shown = JSON.stringify(ix.getEvents('s9'));
    const exports = (['md', 'html', 'json'] as const).map((f) => exportSession(ix, 's9', f));
    for (const secretValue of [
      ...keys,
      pem.split('\n')[1] as string,
      url.split(':')[2]?.split('@')[0] as string,
    ]) {
      expect(shown).not.toContain(secretValue);
      for (const e of exports) expect(e).not.toContain(secretValue);
      expect(ix.search(secretValue.slice(0, 24)).hits.filter((h) => h.snippet.includes(secretValue))).toEqual(
        [],
      );
    }
    for (const config of keep) expect(shown).toContain(config.replace(/"/g, '\\"'));
    ix.close();
    const bytes = Buffer.concat(
      ['sessions.db', 'sessions.db-wal']
        .map((f) => join(dir, f))
        .filter((f) => existsSync(f))
        .map((f) => readFileSync(f)),
    );
    for (const secretValue of keys) expect(bytes.includes(Buffer.from(secretValue))).toBe(false);
  });

  test('search matches words separately, ranks, falls back, and survives FTS syntax', () => {
    claudeFile('s4.jsonl', [
      user('the docker container keeps timing out'),
      user('docker is fine'),
      user('what a timeout'),
    ]);
    index();
    const ix = openSessionIndex(join(dir, 'sessions.db'));
    const strict = ix.search('timing docker');
    expect(strict.mode).toBe('all');
    expect(strict.hits.map((h) => h.snippet)).toEqual(['the «docker» container keeps «timing» out']);
    const relaxed = ix.search('docker kubernetes');
    expect(relaxed.mode).toBe('any');
    expect(relaxed.hits.length).toBe(2);
    // prefix fallback: timeout (not "timing"); the one word found as a prefix is every word found
    expect(ix.search('time').mode).toBe('all');
    for (const q of [
      '"unbalanced',
      'a AND (b OR',
      'NEAR(x y',
      '*',
      'col:value',
      '^start -minus +plus',
      "it's",
    ])
      expect(() => ix.search(q)).not.toThrow();
    ix.close();
  });

  test('a word ending in * is a prefix from the first pass (deploy* finds deployment, not only deploy)', () => {
    claudeFile('s6.jsonl', [
      user('deploy it now'),
      user('the deployment failed twice'),
      user('deployed by hand'),
      user('nothing to see'),
    ]);
    index();
    const ix = openSessionIndex(join(dir, 'sessions.db'));
    const starred = ix.search('deploy*');
    expect(starred.mode).toBe('all');
    expect(starred.hits.map((h) => h.snippet).sort()).toEqual(
      ['«deploy» it now', '«deployed» by hand', 'the «deployment» failed twice'].sort(),
    );
    expect(ix.search('deploy').hits.map((h) => h.snippet)).toEqual(['«deploy» it now']);
    const both = ix.search('failed deploy*');
    expect(both.mode).toBe('all');
    expect(both.hits.map((h) => h.snippet)).toEqual(['the «deployment» «failed» twice']);
    ix.close();
  });

  test('every word as a prefix comes before any single word: "rate limit" finds rate-limited, not sample_rate code', () => {
    claudeFile('s5.jsonl', [
      user('self.sample_rate = 44100; n = int(self.sample_rate * d); sd.play(x, self.sample_rate)'),
      user('we got rate-limited by the API again, waiting for the window'),
      user('the client raised RateLimitError after the burst'),
      user('read at most limit lines'),
    ]);
    index();
    const ix = openSessionIndex(join(dir, 'sessions.db'));
    const found = ix.search('rate limit');
    expect(found.mode).toBe('all');
    expect(found.hits.map((h) => h.snippet).sort()).toEqual([
      'the client raised «RateLimitError» after the burst',
      'we got «rate»-«limited» by the API again, waiting for the window',
    ]);
    // the strict search still wins when some event has both words as they are
    claudeFile('s6.jsonl', [user('the rate limit resets hourly')]);
    index();
    const exact = openSessionIndex(join(dir, 'sessions.db'));
    expect(exact.search('rate limit').hits.map((h) => h.snippet)).toEqual([
      'the «rate» «limit» resets hourly',
    ]);
    exact.close();
    ix.close();
  });

  test('subagent transcripts are linked to the Task call that started them', () => {
    claudeFile('p1.jsonl', [
      user('research this'),
      ...assistant('4', [
        {
          type: 'tool_use',
          id: 'task1',
          name: 'Task',
          input: { description: 'dig', prompt: 'find it', subagent_type: 'general-purpose' },
        },
      ]),
      result('task1', 'found it', false, { toolUseResult: { agentId: 'abc123', status: 'completed' } }),
    ]);
    const sub = join(dir, 'claude', 'projects', '-w-app', 'p1', 'subagents', 'agent-abc123.jsonl');
    mkdirSync(dirname(sub), { recursive: true });
    writeFileSync(
      sub,
      `${JSON.stringify({ type: 'user', isSidechain: true, agentId: 'abc123', timestamp: at(), message: { role: 'user', content: 'find it' } })}\n`,
    );
    writeFileSync(
      sub.replace('.jsonl', '.meta.json'),
      JSON.stringify({ agentType: 'general-purpose', description: 'dig' }),
    );
    index();
    const ix = openSessionIndex(join(dir, 'sessions.db'));
    expect(ix.getSession('p1/agent-abc123')).toMatchObject({
      parentId: 'p1',
      parentToolUseId: 'task1',
      agentId: 'abc123',
      title: 'dig',
    });
    expect(ix.getSessionDetail('p1')?.subagents.map((s) => s.id)).toEqual(['p1/agent-abc123']);
    expect(ix.getEvents('p1/agent-abc123')[0]).toMatchObject({ sidechain: true, text: 'find it' });
    ix.close();
  });

  test('Codex rollouts and Cursor databases are indexed; habitat runs link sessions to agents', () => {
    const rollout = join(
      dir,
      'codex',
      'sessions',
      '2026',
      '01',
      '05',
      'rollout-2026-01-05T10-00-00-r1.jsonl',
    );
    mkdirSync(dirname(rollout), { recursive: true });
    const ts = '2026-01-05T10:00:00.000Z';
    writeFileSync(
      rollout,
      [
        {
          timestamp: ts,
          type: 'session_meta',
          payload: { id: 'r1', cwd: '/w/codex', git: { branch: 'dev' } },
        },
        { timestamp: ts, type: 'turn_context', payload: { model: 'gpt-5-codex', cwd: '/w/codex' } },
        {
          timestamp: ts,
          type: 'response_item',
          payload: {
            type: 'message',
            role: 'user',
            content: [{ type: 'input_text', text: 'run the tests' }],
          },
        },
        {
          timestamp: ts,
          type: 'response_item',
          payload: {
            type: 'function_call',
            name: 'shell',
            arguments: JSON.stringify({ command: ['bash', '-lc', 'npm test'] }),
            call_id: 'c1',
          },
        },
        {
          timestamp: ts,
          type: 'response_item',
          payload: {
            type: 'function_call_output',
            call_id: 'c1',
            output: JSON.stringify({ output: '1 failing', metadata: { exit_code: 1 } }),
          },
        },
        {
          timestamp: ts,
          type: 'event_msg',
          payload: {
            type: 'token_count',
            info: {
              total_token_usage: { input_tokens: 100 },
              last_token_usage: { input_tokens: 100, cached_input_tokens: 40, output_tokens: 9 },
            },
          },
        },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n')
        .concat('\n'),
    );
    const vscdb = join(dir, 'cursor', 'User', 'globalStorage', 'state.vscdb');
    mkdirSync(dirname(vscdb), { recursive: true });
    const cdb = new Database(vscdb);
    cdb.exec(
      'CREATE TABLE cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB); CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)',
    );
    const put = cdb.prepare('INSERT INTO cursorDiskKV VALUES (?, ?)');
    put.run(
      'composerData:c1',
      JSON.stringify({
        composerId: 'c1',
        name: 'Cursor chat',
        createdAt: 1767600000000,
        lastUpdatedAt: 1767600005000,
        fullConversationHeadersOnly: [
          { bubbleId: 'b1', type: 1 },
          { bubbleId: 'b2', type: 2 },
        ],
      }),
    );
    put.run('bubbleId:c1:b1', JSON.stringify({ type: 1, text: 'rename the helper' }));
    put.run(
      'bubbleId:c1:b2',
      JSON.stringify({
        type: 2,
        text: 'done',
        toolFormerData: {
          name: 'edit_file',
          rawArgs: JSON.stringify({ target_file: 'src/helper.ts' }),
          result: 'ok',
          status: 'completed',
        },
      }),
    );
    cdb.close();
    // a habitat run whose Claude home is persisted under the state dir
    const home = join(dir, 'state', 'claude', 'feed', 'projects', '-w-feed');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'sess-feed.jsonl'), `${user('sync the feed')}\n`);
    const logs = join(dir, 'state', 'logs', 'feed');
    mkdirSync(logs, { recursive: true });
    writeFileSync(
      join(logs, '20260105-100000-01RUN.log'),
      `${JSON.stringify({ type: 'system', subtype: 'init', session_id: 'sess-feed' })}\n`,
    );
    writeFileSync(
      join(logs, '20260105-100000-01RUN.json'),
      JSON.stringify({
        runId: '01RUN',
        agent: 'feed',
        status: 'succeeded',
        startedAt: ts,
        summary: { sessionId: 'sess-feed' },
      }),
    );
    const report = index();
    expect(report.errors).toEqual([]);
    const ix = openSessionIndex(join(dir, 'sessions.db'));
    expect(ix.getSession('codex:2026-01-05T10-00-00-r1')).toMatchObject({
      source: 'codex',
      project: '/w/codex',
      branch: 'dev',
      toolCalls: 1,
      toolErrors: 1,
      tokens: { input: 60, output: 9, cacheRead: 40, cacheCreation: 0 },
    });
    expect(ix.getSessionDetail('codex:2026-01-05T10-00-00-r1')?.commands.map((c) => c.command)).toEqual([
      'npm test',
    ]);
    expect(ix.getSession('cursor:c1')).toMatchObject({
      source: 'cursor',
      title: 'Cursor chat',
      toolCalls: 1,
    });
    expect(ix.getSessionDetail('cursor:c1')?.files).toEqual([{ path: 'src/helper.ts', ops: ['edit'] }]);
    expect(ix.getSession('sess-feed')).toMatchObject({ agent: 'feed', runId: '01RUN' });
    expect(ix.listSessions({ agent: 'feed' }).map((s) => s.id)).toEqual(['sess-feed']);
    // the run log grows while the run goes on: still only the transcript counts
    appendFileSync(
      join(logs, '20260105-100000-01RUN.log'),
      `${JSON.stringify({ type: 'assistant', message: { id: 'm9', content: [{ type: 'text', text: 'more' }] } })}\n`,
    );
    expect(index().errors).toEqual([]);
    expect(ix.getSession('run:01RUN')).toBeUndefined();
    ix.close();
  });
});

test('per-day token totals equal ccusage daily on a generated corpus', () => {
  const corpus = join(dir, 'corpus');
  generateCorpus({ out: corpus, bytes: 3 * 1024 * 1024, files: 12, seed: 7, days: 10 });
  indexSessions({ dbPath: join(dir, 'c.db'), sources: { claude: [corpus], defaults: false } });
  const ix = openSessionIndex(join(dir, 'c.db'));
  const mine = ix.stats({ by: 'day' });
  ix.close();
  const bin = join(import.meta.dirname, '..', 'node_modules', '.bin', 'ccusage');
  const out = execFileSync(bin, ['daily', '--offline', '--json'], {
    env: { ...process.env, CLAUDE_CONFIG_DIR: corpus, HOME: join(dir, 'home') },
  });
  const theirs = (JSON.parse(out.toString()) as { daily: Array<Record<string, number | string>> }).daily;
  expect(theirs.length).toBeGreaterThan(3);
  expect(
    mine.map((d) => [d.key, d.inputTokens, d.outputTokens, d.cacheReadTokens, d.cacheCreationTokens]),
  ).toEqual(
    theirs.map((d) => [d.period, d.inputTokens, d.outputTokens, d.cacheReadTokens, d.cacheCreationTokens]),
  );
});

test('an interrupted cold build is thrown away and done again', () => {
  claudeFile('s9.jsonl', [user('first prompt about rebuilding')]);
  writeFileSync(join(dir, 'sessions.db'), 'half-written garbage, not a database');
  writeFileSync(join(dir, 'sessions.db.building'), '999999999\n'); // no such process
  expect(index()).toMatchObject({ added: 1, errors: [] });
  expect(existsSync(join(dir, 'sessions.db.building'))).toBe(false);
  const ix = openSessionIndex(join(dir, 'sessions.db'));
  expect(ix.search('rebuilding').hits.map((h) => h.sessionId)).toEqual(['s9']);
  expect(ix.db.pragma('journal_mode', { simple: true })).toBe('wal');
  ix.close();
});

test('a file that fails in a cold build is rolled back alone; the files around it are kept', () => {
  const paths = ['a1', 'a2', 'a3'].map((n) =>
    claudeFile(`${n}.jsonl`, [user(`prompt of ${n} about batching`)]),
  );
  const report = indexSessions({
    dbPath: join(dir, 'sessions.db'),
    sources: { claude: [join(dir, 'claude')], defaults: false },
    // once the first file is in, the other planned files disappear before they are read: their jobs throw
    // inside the open batch transaction
    onProgress: (p) => {
      if (p.files === 1) for (const f of paths) rmSync(f);
    },
  });
  expect(report.added).toBe(1);
  expect(report.errors).toHaveLength(2);
  const failed = new Set(report.errors.map((e) => basename(e.path, '.jsonl')));
  const ix = openSessionIndex(join(dir, 'sessions.db'));
  const hits = ix.search('batching').hits.map((h) => h.sessionId);
  expect(hits).toHaveLength(1);
  expect(failed.has(hits[0] as string)).toBe(false);
  expect(ix.search('a2').hits.length + ix.search('a3').hits.length + ix.search('a1').hits.length).toBe(1);
  ix.close();
});

test('a cold build holds usage keys in memory: a rolled-back file leaves none behind, the next pass finds them', () => {
  const usage = {
    input_tokens: 5,
    output_tokens: 40,
    cache_read_input_tokens: 100,
    cache_creation_input_tokens: 7,
  };
  // the same API message copied into two sessions (a resumed session carries its parent's history)
  const message = assistant('shared', [{ type: 'text', text: 'one answer' }], usage);
  claudeFile('b1.jsonl', [user('first copy'), ...message]);
  claudeFile('b2.jsonl', [user('second copy'), ...message]);
  let thrown = false;
  const report = indexSessions({
    dbPath: join(dir, 'sessions.db'),
    sources: { claude: [join(dir, 'claude')], defaults: false },
    // the first file fails after its usage was applied: its savepoint is rolled back, so must its keys be
    onProgress: () => {
      if (thrown) return;
      thrown = true;
      throw new Error('disk on fire');
    },
  });
  expect(report.errors).toHaveLength(1);
  const failed = basename(report.errors[0]?.path ?? '', '.jsonl');
  const kept = failed === 'b1' ? 'b2' : 'b1';
  const totals = () => {
    const ix = openSessionIndex(join(dir, 'sessions.db'));
    const t = ix.stats({ by: 'day' }).map((d) => [d.inputTokens, d.outputTokens, d.cacheReadTokens]);
    const keys = ix.db
      .prepare('SELECT count(*) FROM usage_keys k JOIN usage u ON u.uid = k.uid')
      .pluck()
      .get();
    const loose = ix.db
      .prepare('SELECT count(*) FROM usage_keys WHERE uid NOT IN (SELECT uid FROM usage)')
      .pluck()
      .get();
    ix.close();
    return { t, keys, loose };
  };
  // counted once, in the file that was kept; its two keys (message + request, message + session) are stored
  expect(totals()).toEqual({ t: [[5, 40, 100]], keys: 2, loose: 0 });
  const ix = openSessionIndex(join(dir, 'sessions.db'));
  expect(ix.getSession(kept)?.tokens.output).toBe(40);
  ix.close();
  // the next pass reads the failed file and finds the message through the stored keys: still counted once
  expect(index()).toMatchObject({ added: 1, errors: [] });
  expect(totals()).toEqual({ t: [[5, 40, 100]], keys: 3, loose: 0 });
});

test('the real claude fixtures of @habitat/testkit index with every tool call, file and command', () => {
  const fixtures = join(import.meta.dirname, '..', '..', 'testkit', 'fixtures');
  const transcript = join(dir, 'claude', 'projects', '-tmp-habitat-test', 'fixture-session.jsonl');
  mkdirSync(dirname(transcript), { recursive: true });
  writeFileSync(transcript, readFileSync(join(fixtures, 'session.jsonl')));
  // the same run's stream-json output as a habitat run log without a transcript of its own
  const logs = join(dir, 'state', 'logs', 'fixture');
  mkdirSync(logs, { recursive: true });
  writeFileSync(
    join(logs, '20260105-100000-01FIXTURE.log'),
    readFileSync(join(fixtures, 'stream-json.jsonl')),
  );
  writeFileSync(
    join(logs, '20260105-100000-01FIXTURE.json'),
    JSON.stringify({
      runId: '01FIXTURE',
      agent: 'fixture',
      trigger: 'manual',
      status: 'succeeded',
      startedAt: '2026-01-05T10:00:00.000Z',
      summary: {},
    }),
  );
  const report = index();
  expect(report).toMatchObject({ added: 2, malformed: 0, unknown: 0, errors: [] });
  const ix = openSessionIndex(join(dir, 'sessions.db'));
  for (const id of ['fixture-session', 'run:01FIXTURE']) {
    const detail = ix.getSessionDetail(id);
    expect(detail?.tools.map((t) => t.name).sort()).toEqual(['Bash', 'Read', 'Write']);
    expect(detail?.commands.map((c) => c.command)).toEqual(['echo hi > out.txt && whoami']);
    expect(detail?.files.map((f) => [f.path.replace(/.*\//, ''), f.ops])).toEqual([
      ['notes.md', ['read']],
      ['summary.md', ['write']],
    ]);
    const results = ix.getEvents(id).filter((e) => e.kind === 'tool_result');
    expect(results.map((r) => r.toolName)).toEqual(['Bash', 'Read', 'Write']);
  }
  expect(ix.getSession('run:01FIXTURE')).toMatchObject({
    source: 'habitat',
    agent: 'fixture',
    runId: '01FIXTURE',
    // a run log holds no prompt of its own: `sessions list` names the run; the stream's cwd is its project
    title: 'fixture (manual run)',
    project: '/tmp/habitat-test-u21pnZ',
  });
  expect(ix.getSession('fixture-session')?.tokens.output).toBeGreaterThan(0);
  ix.close();
});

test("a shell agent's run is titled by its agent and trigger, its project the coordinator it ran in", () => {
  const coordinator = join(dir, 'fleet');
  const state = join(coordinator, '.habitat');
  const logs = join(state, 'logs', 'backup');
  mkdirSync(logs, { recursive: true });
  writeFileSync(join(logs, '20260105-100000-01SHELL.log'), 'copied 3 files\n');
  const record = {
    runId: '01SHELL',
    agent: 'backup',
    trigger: 'schedule',
    startedAt: '2026-01-05T10:00:00.000Z',
  };
  writeFileSync(join(logs, '20260105-100000-01SHELL.json'), JSON.stringify(record));
  const dbPath = join(dir, 'sessions.db');
  const sources = { claude: [join(dir, 'claude')], defaults: false };
  expect(indexSessions({ dbPath, sources, stateDir: state })).toMatchObject({ added: 1, errors: [] });
  const ix = openSessionIndex(dbPath);
  expect(ix.listSessions({}).map((s) => [s.id, s.title, s.project])).toEqual([
    ['run:01SHELL', 'backup (schedule run)', coordinator],
  ]);
  ix.close();
});

test('a run that printed nothing is listed at the times of its record, not without a time', () => {
  const logs = join(dir, 'fleet', '.habitat', 'logs', 'noop');
  mkdirSync(logs, { recursive: true });
  const run = (id: string, text: string, startedAt: string, endedAt?: string) => {
    writeFileSync(join(logs, `20260105-100000-${id}.log`), text);
    writeFileSync(
      join(logs, `20260105-100000-${id}.json`),
      JSON.stringify({
        runId: id,
        agent: 'noop',
        trigger: 'manual',
        startedAt,
        ...(endedAt ? { endedAt } : {}),
      }),
    );
  };
  run('01EMPTY', '', '2026-01-05T10:00:00.000Z', '2026-01-05T10:00:02.500Z');
  run('01NOEND', '', '2026-01-05T11:00:00.000Z');
  run('01PRINTED', 'one line\n', '2026-01-05T09:00:00.000Z', '2026-01-05T09:30:00.000Z');
  const dbPath = join(dir, 'sessions.db');
  const sources = { claude: [join(dir, 'claude')], defaults: false };
  expect(indexSessions({ dbPath, sources, stateDir: join(dir, 'fleet', '.habitat') })).toMatchObject({
    added: 3,
    errors: [],
  });
  const ix = openSessionIndex(dbPath);
  expect(ix.listSessions({}).map((s) => [s.id, s.firstAt, s.lastAt])).toEqual([
    ['run:01NOEND', '2026-01-05T11:00:00.000Z', '2026-01-05T11:00:00.000Z'],
    ['run:01EMPTY', '2026-01-05T10:00:00.000Z', '2026-01-05T10:00:02.500Z'],
    // a log with lines keeps its lines' time (the run's start: its lines carry none)
    ['run:01PRINTED', '2026-01-05T09:00:00.000Z', '2026-01-05T09:00:00.000Z'],
  ]);
  ix.close();
});

test('a line longer than a read chunk is read whole; a second concurrent pass is refused', () => {
  const big = 'x'.repeat(3 * 1024 * 1024);
  claudeFile('s10.jsonl', [user('before'), result('t1', `start ${big} end-marker-word`), user('after')]);
  expect(index()).toMatchObject({ added: 1, events: 3, malformed: 0 });
  const ix = openSessionIndex(join(dir, 'sessions.db'));
  expect(ix.search('end-marker-word').hits.map((h) => h.seq)).toEqual([1]);
  // another live process holds the pass
  ix.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('indexer', ?)").run(process.ppid);
  expect(() => index()).toThrow(expect.objectContaining({ code: 'busy' }));
  // a holder that is gone does not block
  ix.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('indexer', ?)").run(999_999_999);
  expect(index()).toMatchObject({ unchanged: 1 });
  ix.close();
});

test('watchSessions indexes again when a transcript grows', async () => {
  const path = claudeFile('s11.jsonl', [user('watch me')]);
  const reports: Array<{ appended: number; added: number }> = [];
  const { watchSessions } = await import('../src/index.js');
  const handle = watchSessions(
    {
      dbPath: join(dir, 'sessions.db'),
      sources: { claude: [join(dir, 'claude')], defaults: false },
      debounceMs: 50,
    },
    (r) => reports.push(r),
  );
  try {
    expect(reports).toEqual([expect.objectContaining({ added: 1 })]);
    await new Promise((r) => setTimeout(r, 300)); // let the watcher settle
    appendFileSync(path, `${user('and this line about chokidar')}\n`);
    for (let i = 0; i < 100 && reports.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(reports[1]).toMatchObject({ appended: 1, events: 1 });
  } finally {
    await handle.close();
  }
  const ix = openSessionIndex(join(dir, 'sessions.db'));
  expect(ix.search('chokidar').hits.map((h) => h.sessionId)).toEqual(['s11']);
  ix.close();
});

describe('search snippets of a tool call', () => {
  test('show its input as text (real lines folded to spaces), not as escaped JSON', () => {
    claudeFile('s-input.jsonl', [
      user('deploy the site'),
      ...assistant('i1', [
        {
          type: 'tool_use',
          id: 'toolu_i1',
          name: 'Edit',
          input: {
            file_path: '/w/app/deploy.sh',
            old_string: 'cd site\nnpm run build',
            new_string: 'cd site\nnpm run walrusdeploy -- --tag "v2"',
          },
        },
      ]),
      // a tool's answer keeps what it says, a literal backslash-n included
      result('toolu_i1', 'walrusdeploy: no such script; try \\n in quotes'),
    ]);
    index();
    const db = openSessionIndex(join(dir, 'sessions.db'));
    try {
      const hits = db.search('walrusdeploy').hits;
      const call = hits.find((h) => h.kind === 'tool_use');
      expect(call?.snippet).toBe('…string: cd site npm run «walrusdeploy» -- --tag "v2…');
      const answer = hits.find((h) => h.kind === 'tool_result');
      expect(answer?.snippet).toBe('«walrusdeploy»: no such script; try \\n in quotes');
      // the line break was a word break: its next word is found, and marked, as its own word
      expect(db.search('build').hits.find((h) => h.kind === 'tool_use')?.snippet).toContain(
        'site npm run «build» new_string:',
      );
    } finally {
      db.close();
    }
  });
});

test('inputText: fields as `key: value` lines, strings as they are, other values as JSON', () => {
  expect(inputText('{"command":"a\\nb","timeout":5,"opts":{"x":[1]}}')).toBe(
    'command: a\nb\ntimeout: 5\nopts: {"x":[1]}',
  );
  expect(inputText('"just text"')).toBe('just text');
  expect(inputText('[1,2]')).toBe('[1,2]');
  expect(inputText('not json {')).toBe('not json {');
});
