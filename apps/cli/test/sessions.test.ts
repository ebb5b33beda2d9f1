import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const run = promisify(execFile);
const cli = join(import.meta.dirname, '..', 'dist', 'index.js');
let root: string;
const secret = ['sk-ant-api03-', 'Zq9'.repeat(31), 'AA'].join('');

async function habitat(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        cli,
        '-C',
        root,
        'sessions',
        ...args,
        '--state-dir',
        join(root, 'state'),
        '--claude-dir',
        join(root, 'claude'),
      ],
      {
        env: { ...process.env, NO_COLOR: '1', HOME: root },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'cli-sessions-'));
  writeFileSync(join(root, 'habitat.yaml'), '# a coordinator: sessions needs one\n');
  const dir = join(root, 'claude', 'projects', '-srv-api');
  mkdirSync(dir, { recursive: true });
  const t = (s: number) => new Date(Date.UTC(2026, 2, 3, 12, 0, s)).toISOString();
  const lines = [
    {
      type: 'user',
      cwd: '/srv/api',
      timestamp: t(0),
      message: { role: 'user', content: 'deploy the api and check the logs' },
    },
    {
      type: 'assistant',
      timestamp: t(2),
      requestId: 'r1',
      message: {
        id: 'm1',
        model: 'claude-sonnet-4-5',
        content: [{ type: 'tool_use', id: 'b1', name: 'Bash', input: { command: 'kubectl logs api' } }],
        usage: {
          input_tokens: 5,
          output_tokens: 50,
          cache_read_input_tokens: 1000,
          cache_creation_input_tokens: 10,
        },
      },
    },
    {
      type: 'user',
      timestamp: t(3),
      message: {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 'b1',
            content: `ANTHROPIC_API_KEY=${secret}\nconnection refused`,
            is_error: true,
          },
        ],
      },
    },
    {
      type: 'assistant',
      timestamp: t(6),
      requestId: 'r2',
      message: {
        id: 'm2',
        model: 'claude-sonnet-4-5',
        content: [{ type: 'tool_use', id: 'b2', name: 'Read', input: { file_path: '/srv/api/deploy.yaml' } }],
        usage: {
          input_tokens: 5,
          output_tokens: 20,
          cache_read_input_tokens: 1000,
          cache_creation_input_tokens: 0,
        },
      },
    },
    {
      type: 'user',
      timestamp: t(7),
      message: {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 'b2', content: 'replicas: 3' }],
      },
    },
    {
      type: 'assistant',
      timestamp: t(9),
      requestId: 'r3',
      message: {
        id: 'm3',
        model: 'claude-sonnet-4-5',
        content: [{ type: 'text', text: 'The api pods cannot reach the database.' }],
        usage: {
          input_tokens: 5,
          output_tokens: 30,
          cache_read_input_tokens: 1000,
          cache_creation_input_tokens: 0,
        },
      },
    },
  ];
  writeFileSync(join(dir, 'sess-api-1.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('habitat sessions', () => {
  test('index reports what it read, then nothing on a second run', async () => {
    const first = await habitat('index', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ files: 1, added: 1, events: 6 });
    const second = await habitat('index', '--json');
    expect(JSON.parse(second.stdout)).toMatchObject({ unchanged: 1, events: 0 });
  });

  test('--claude-dir given the projects dir itself indexes its config dir and says so; a dir without projects/ is named', async () => {
    const args = [
      'sessions',
      'index',
      '--json',
      '--no-defaults',
      '--state-dir',
      join(root, 'state-projects'),
    ];
    const projects = await run(
      process.execPath,
      [cli, '-C', root, ...args, '--claude-dir', join(root, 'claude', 'projects')],
      {
        env: { ...process.env, NO_COLOR: '1', HOME: root },
      },
    );
    expect(JSON.parse(projects.stdout)).toMatchObject({ files: 1, added: 1 });
    expect(projects.stderr).toContain(
      `is a projects dir: indexing the Claude config dir ${join(root, 'claude')}`,
    );
    const empty = await run(
      process.execPath,
      [cli, '-C', root, ...args, '--claude-dir', join(root, 'state')],
      {
        env: { ...process.env, NO_COLOR: '1', HOME: root },
      },
    );
    expect(empty.stderr).toContain('has no projects/ (--claude-dir takes a Claude Code config dir');
    // --codex-dir and --cursor-dir pointing at nothing they read are said too (they indexed nothing, silently)
    const cursorData = join(root, 'cursor-data');
    const cursorEmpty = join(root, 'cursor-empty');
    mkdirSync(join(cursorData, 'User'), { recursive: true });
    mkdirSync(cursorEmpty, { recursive: true });
    const wrong = await run(
      process.execPath,
      [
        cli,
        '-C',
        root,
        ...args,
        '--codex-dir',
        join(root, 'state'),
        '--cursor-dir',
        join(root, 'nowhere'),
        '--cursor-dir',
        cursorEmpty,
        '--cursor-dir',
        cursorData,
      ],
      { env: { ...process.env, NO_COLOR: '1', HOME: root } },
    );
    expect(wrong.stderr).toContain(
      `${join(root, 'state')} has no sessions/ or archived_sessions/ (--codex-dir takes a Codex home`,
    );
    expect(wrong.stderr).toContain(
      `${join(root, 'nowhere')} does not exist (--cursor-dir takes a Cursor data dir`,
    );
    expect(wrong.stderr).toContain(`${cursorEmpty} has no User/, globalStorage/`);
    expect(wrong.stderr).not.toContain(`${cursorData} has no`);
  });

  test('indexing shows progress on a terminal and stays silent when piped', async () => {
    const state = join(root, 'state-progress');
    const args = [
      cli,
      '-C',
      root,
      'sessions',
      'index',
      '--state-dir',
      state,
      '--claude-dir',
      join(root, 'claude'),
    ];
    // piped: the report only
    const piped = await run(process.execPath, args, { env: { ...process.env, NO_COLOR: '1', HOME: root } });
    expect(piped.stderr).toBe('');
    expect(piped.stdout).not.toContain('indexing');
    // a terminal (a pty from script(1)): the progress line, then the report
    rmSync(state, { recursive: true, force: true });
    const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const tty = await run('script', ['-qec', `${process.execPath} ${quoted}`, '/dev/null'], {
      env: { ...process.env, NO_COLOR: '1', HOME: root },
    });
    expect(tty.stdout).toMatch(/indexing 1\/1 files, [\d.]+\/[\d.]+ MB, [\d.]+ MB\/s/);
    expect(tty.stdout).toContain('1 file: 1 new'); // (it said "1 files")
  });

  test('stats and search --json answer on the lean path exactly as the full CLI does', async () => {
    await habitat('index', '--json');
    const full = async (...args: string[]) => {
      const { stdout } = await run(
        process.execPath,
        [cli, '-C', root, 'sessions', ...args, '--state-dir', join(root, 'state')],
        { env: { ...process.env, NO_COLOR: '1', HOME: root, HABITAT_SESSIONS_FAST: '0' } },
      );
      return stdout;
    };
    for (const args of [
      ['stats', '--by', 'day', '--json', '--timezone', 'UTC'],
      ['stats', '--by', 'model', '--json', '--source', 'claude'],
      ['search', 'docker', 'timeout', '--json', '--limit', '5'],
      ['search', 'docker', '--json', '--sort', 'recent'],
    ]) {
      const lean = await habitat(...args);
      expect(lean.code).toBe(0);
      expect(lean.stdout).toBe(await full(...args));
    }
    // what the lean path does not know goes to the full CLI, with its messages and exit codes
    expect((await habitat('stats', '--by', 'week', '--json')).code).toBe(2);
  });

  test('list, search and stats answer in JSON with filters', async () => {
    const list = JSON.parse((await habitat('list', '--json', '--errors', '--tool', 'bash')).stdout);
    expect(list.map((s: { id: string }) => s.id)).toEqual(['sess-api-1']);
    expect(JSON.parse((await habitat('list', '--json', '--project', 'nowhere')).stdout)).toEqual([]);
    const search = JSON.parse((await habitat('search', 'database pods', '--json')).stdout);
    expect(search.mode).toBe('all');
    expect(search.hits[0]).toMatchObject({ sessionId: 'sess-api-1', kind: 'text' });
    expect((await habitat('search', 'AND (', '"', '--json')).code).toBe(0);
    // --sort recent: the same matches, newest first
    const recent = JSON.parse((await habitat('search', 'api', '--json', '--sort', 'recent')).stdout);
    const ranked = JSON.parse((await habitat('search', 'api', '--json')).stdout);
    expect(recent.hits.length).toBeGreaterThan(1);
    expect(new Set(recent.hits.map((h: { eventId: number }) => h.eventId))).toEqual(
      new Set(ranked.hits.map((h: { eventId: number }) => h.eventId)),
    );
    const order = recent.hits.map((h: { eventId: number }) => h.eventId);
    expect(order).toEqual([...order].sort((a: number, b: number) => b - a));
    expect((await habitat('search', 'api', '--sort', 'oldest')).code).toBe(2);
    const stats = JSON.parse((await habitat('stats', '--by', 'day', '--json')).stdout);
    expect(stats).toEqual([
      expect.objectContaining({
        key: '2026-03-03',
        inputTokens: 15,
        outputTokens: 100,
        cacheReadTokens: 3000,
        cacheCreationTokens: 10,
        toolCalls: 2,
        toolErrors: 1,
      }),
    ]);
  });

  test('show prints the transcript, files read and commands run, with secrets redacted', async () => {
    const show = await habitat('show', 'sess-api');
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('kubectl logs api');
    expect(show.stdout).toContain('result ERROR Bash');
    expect(show.stdout).toMatch(/read\s+\/srv\/api\/deploy\.yaml/);
    expect(show.stdout).toContain('[REDACTED:');
    expect(show.stdout).not.toContain(secret);
  });

  test('export writes md, html and json without secrets, readable only by the user (like the index)', async () => {
    // one of them is there already, world-readable: it is narrowed too
    writeFileSync(join(root, 'export.html'), 'old', { mode: 0o644 });
    for (const format of ['md', 'html', 'json']) {
      const out = join(root, `export.${format}`);
      expect((await habitat('export', 'sess-api-1', '--format', format, '-o', out)).code).toBe(0);
      expect((statSync(out).mode & 0o777).toString(8)).toBe('600');
      const text = readFileSync(out, 'utf8');
      expect(text).toContain('kubectl logs api');
      expect(text).not.toContain(secret);
    }
    expect(JSON.parse(readFileSync(join(root, 'export.json'), 'utf8')).events).toHaveLength(6);
  });

  test('replay steps through events in order with their offsets', async () => {
    const replay = await habitat('replay', 'sess-api-1', '--speed', '100');
    expect(replay.code).toBe(0);
    const offsets = [...replay.stdout.matchAll(/#(\d+) \+([\d.]+)s/g)].map((m) => Number(m[2]));
    expect(offsets).toEqual([0, 2, 3, 6, 7, 9]);
    expect((await habitat('replay', 'sess-api-1', '--step')).code).toBe(2);
  });

  test.skipIf(!existsSync('/usr/bin/script'))(
    'replay --step shows one event per key press on a terminal, q quits',
    async () => {
      // util-linux `script` gives the CLI a real pseudo-terminal; key presses go to it through stdin
      const cmd = [
        process.execPath,
        cli,
        '-C',
        root,
        'sessions',
        'replay',
        'sess-api-1',
        '--step',
        '--state-dir',
        join(root, 'state'),
        '--claude-dir',
        join(root, 'claude'),
      ]
        .map((a) => `'${a}'`)
        .join(' ');
      const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env: { ...process.env, NO_COLOR: '1' } });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      const waitFor = async (n: number) => {
        for (let i = 0; i < 100 && (out.match(/#\d+ \+/g) ?? []).length < n; i++)
          await new Promise((r) => setTimeout(r, 50));
      };
      await new Promise((r) => setTimeout(r, 500));
      child.stdin.write(' ');
      await waitFor(1);
      child.stdin.write(' ');
      await waitFor(2);
      child.stdin.write('q');
      const code = await new Promise((r) => child.on('close', r));
      expect(code).toBe(0);
      expect([...out.matchAll(/#(\d+) \+/g)].map((m) => Number(m[1]))).toEqual([0, 1]);
    },
  );

  test("configured credential values (every agent's) are redacted at index time", async () => {
    const value = ['zz', 'very', 'secret', '99'].join('-');
    mkdirSync(join(root, 'agents'), { recursive: true });
    writeFileSync(join(root, 'db.env'), `DB_PASS=${value}\n`, { mode: 0o600 });
    writeFileSync(
      join(root, 'agents', 'feed.yaml'),
      'repo: .\nrun:\n  command: [echo, hi]\nschedule: manual\nisolation: { backend: local }\ncredentials:\n  - { name: db, from: ../db.env, as: env }\n',
    );
    const line = {
      type: 'user',
      cwd: '/srv/api',
      timestamp: new Date(Date.UTC(2026, 2, 4)).toISOString(),
      message: {
        role: 'user',
        content: `the password is ${value} ok; hex ${Buffer.from(value).toString('hex')}`,
      },
    };
    writeFileSync(
      join(root, 'claude', 'projects', '-srv-api', 'sess-cred.jsonl'),
      `${JSON.stringify(line)}\n`,
    );
    expect(JSON.parse((await habitat('index', '--json')).stdout)).toMatchObject({ added: 1 });
    const show = await habitat('show', 'sess-cred');
    expect(show.stdout).toContain('the password is [REDACTED:credential] ok');
    expect(show.stdout).not.toContain(value);
    // its other forms too (the same forms run logs scrub)
    expect(show.stdout).not.toContain(Buffer.from(value).toString('hex'));
  });

  test('a counting-up value behind a vendor prefix or a secret name is redacted in show, search and export', async () => {
    // QA s3 item 3: these stayed readable as "placeholders" although a name or prefix marks them
    const walk = ['AbCdEfGh', 'IjKlMnOp', 'QrStUvWx'].join('');
    const line = {
      type: 'user',
      cwd: '/srv/api',
      timestamp: new Date(Date.UTC(2026, 2, 5)).toISOString(),
      message: {
        role: 'user',
        content: `set STRIPE_SECRET_KEY=sk_live_51HxYz${walk}\nslack xoxb-123456789012-${walk}\ndb password=${walk}`,
      },
    };
    writeFileSync(
      join(root, 'claude', 'projects', '-srv-api', 'sess-walk.jsonl'),
      `${JSON.stringify(line)}\n`,
    );
    expect(JSON.parse((await habitat('index', '--json')).stdout)).toMatchObject({ added: 1 });
    const show = await habitat('show', 'sess-walk');
    expect(show.stdout).toContain('db password=[REDACTED:');
    expect(show.stdout).not.toContain(walk);
    const search = JSON.parse((await habitat('search', 'slack', '--json')).stdout);
    expect(search.hits.some((h: { sessionId: string }) => h.sessionId === 'sess-walk')).toBe(true);
    expect(JSON.stringify(search)).not.toContain(walk);
    expect(JSON.parse((await habitat('search', walk, '--json')).stdout).hits).toEqual([]);
    for (const format of ['md', 'html', 'json']) {
      const out = join(root, `walk.${format}`);
      expect((await habitat('export', 'sess-walk', '--format', format, '-o', out)).code).toBe(0);
      expect(readFileSync(out, 'utf8')).not.toContain(walk);
    }
  });

  test('an unknown session id is a clear failure', async () => {
    const r = await habitat('show', 'nope');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no session "nope"');
  });
  test('index names the first record of unknown type of a file: its type, or that it has no "type" name', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cli-sessions-unknown-'));
    writeFileSync(join(home, 'habitat.yaml'), '{}\n');
    const dir = join(home, 'claude', 'projects', '-tmp-u');
    mkdirSync(dir, { recursive: true });
    const user = (id: string) =>
      JSON.stringify({
        type: 'user',
        cwd: '/tmp/u',
        sessionId: id,
        timestamp: '2026-03-04T10:00:00Z',
        message: { role: 'user', content: 'hi' },
      });
    writeFileSync(join(dir, 'a.jsonl'), `${user('a')}\n{"silly": "this"}\n`);
    writeFileSync(join(dir, 'b.jsonl'), `${user('b')}\n${user('b')}\n{"type": "brand-new-kind"}\n`);
    const args = ['--state-dir', join(home, 'state'), '--no-defaults', '--claude-dir', join(home, 'claude')];
    const { stdout } = await run(process.execPath, [cli, '-C', home, 'sessions', 'index', ...args], {
      env: { ...process.env, NO_COLOR: '1', HOME: home },
    });
    expect(stdout).toContain('2 records of unknown type skipped');
    expect(stdout).toContain(`  a record without a "type" name first at ${join(dir, 'a.jsonl')}:2\n`);
    expect(stdout).toContain(`  unknown type "brand-new-kind" first at ${join(dir, 'b.jsonl')}:3\n`);
    rmSync(home, { recursive: true, force: true });
  });

  test('list marks a cut project or title with …, keeping the end of a path and the start of a title', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cli-sessions-cut-'));
    writeFileSync(join(home, 'habitat.yaml'), '{}\n');
    const dir = join(home, 'claude', 'projects', '-mnt-d-1-yuyu-proj-cursor-history');
    mkdirSync(dir, { recursive: true });
    const cwd = '/mnt/d/1_yuyu_proj/cursor-history';
    const prompt = 'Read foo.txt and then summarise every function in it, one line each, in order please';
    writeFileSync(
      join(dir, 's-cut.jsonl'),
      `${JSON.stringify({ type: 'user', cwd, sessionId: 's-cut', timestamp: '2026-03-04T10:00:00Z', message: { role: 'user', content: prompt } })}\n`,
    );
    const args = ['--state-dir', join(home, 'state'), '--no-defaults', '--claude-dir', join(home, 'claude')];
    const { stdout } = await run(process.execPath, [cli, '-C', home, 'sessions', 'list', ...args], {
      env: { ...process.env, NO_COLOR: '1', HOME: home },
    });
    const row = stdout.split('\n').find((l) => l.startsWith('s-cut'))!;
    expect(row).toContain(` …${cwd.slice(-29)} `);
    expect(row).toContain(` ${prompt.slice(0, 49)}… `);
    // a listing cut by -n says so on stderr (one session here: -n 1 is all of it, -n 1 of two is not)
    const env = { env: { ...process.env, NO_COLOR: '1', HOME: home } };
    const all = await run(process.execPath, [cli, '-C', home, 'sessions', 'list', '-n', '1', ...args], env);
    expect(all.stderr).toBe('');
    writeFileSync(
      join(dir, 's-two.jsonl'),
      `${JSON.stringify({ type: 'user', cwd, sessionId: 's-two', timestamp: '2026-03-05T10:00:00Z', message: { role: 'user', content: 'another' } })}\n`,
    );
    const cut = await run(
      process.execPath,
      [cli, '-C', home, 'sessions', 'list', '--refresh', '-n', '1', ...args],
      env,
    );
    expect(cut.stdout.split('\n').filter((l) => l.startsWith('s-'))).toHaveLength(1);
    expect(cut.stderr).toBe('the newest 1 session; more match (-n <n> shows more)\n');
    const json = await run(
      process.execPath,
      [cli, '-C', home, 'sessions', 'list', '-n', '1', '--json', ...args],
      env,
    );
    expect(JSON.parse(json.stdout)).toHaveLength(1);
    expect(json.stderr).toBe('');
    rmSync(home, { recursive: true, force: true });
  });
});

test('list on an empty index says where sessions come from; a filter that matches nothing says so', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'cli-sessions-empty-'));
  writeFileSync(join(empty, 'habitat.yaml'), '{}\n');
  const { stdout } = await run(process.execPath, [cli, '-C', empty, 'sessions', 'list'], {
    env: { ...process.env, NO_COLOR: '1', HOME: empty },
  });
  expect(stdout).toMatch(
    /^no sessions indexed yet: none were found where habitat looks .*--claude-dir, --codex-dir or --cursor-dir\n$/,
  );
  expect((await habitat('list', '--project', 'no-such-project')).stdout).toBe('no sessions match\n');
});
