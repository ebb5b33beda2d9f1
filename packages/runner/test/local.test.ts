import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { type RunEvent, startRun } from '../src/index.js';
import { agentWith, sh, tempDir } from './helpers.js';

/** Running (a zombie waiting for init to reap it counts as gone). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('local backend', () => {
  test('streams output as events, keeps it in the log, and returns the exit code', async () => {
    const stateDir = tempDir();
    const handle = startRun(agentWith({ run: sh('echo out; echo err >&2; exit 7') }), {
      stateDir,
      trigger: 'schedule',
    });
    const events: RunEvent[] = [];
    for await (const e of handle.events) events.push(e);
    const result = await handle.result;
    expect(events[0]!.type).toBe('started');
    expect(events.at(-1)!.type).toBe('exited');
    const text = events.flatMap((e) => (e.type === 'output' ? [`${e.stream}:${e.text}`] : [])).join('');
    expect(text).toContain('stdout:out\n');
    expect(text).toContain('stderr:err\n');
    expect(result).toMatchObject({ status: 'failed', exitCode: 7, trigger: 'schedule', backend: 'local' });
    expect(path.basename(result.logPath)).toMatch(/^\d{8}-\d{6}-[0-9A-Z]{26}\.log$/);
    expect(readFileSync(result.logPath, 'utf8')).toMatch(/out\n|err\n/);
    const record = JSON.parse(readFileSync(result.logPath.replace(/\.log$/, '.json'), 'utf8'));
    expect(record).toEqual(JSON.parse(JSON.stringify(result)));
  });

  test('the run gets its contract in the environment, and nothing else of the coordinator', async () => {
    process.env.HABITAT_TEST_COORDINATOR_SECRET = 'should-not-leak';
    const stateDir = tempDir();
    const agent = agentWith({ run: sh('env | sort'), env: { GREETING: 'hi' } });
    const result = await startRun(agent, { stateDir }).result;
    const log = readFileSync(result.logPath, 'utf8');
    expect(log).toContain(`HABITAT_AGENT=${agent.name}`);
    expect(log).toContain(`HABITAT_RUN_ID=${result.runId}`);
    expect(log).toContain(`HABITAT_WAKE_FILE=${path.join(stateDir, 'runs', result.runId, 'wake')}`);
    expect(log).toContain(`HABITAT_LEARN_FILE=${path.join(stateDir, 'runs', result.runId, 'learn')}`);
    expect(log).toContain(`CLAUDE_CONFIG_DIR=${path.join(stateDir, 'claude', agent.name)}`);
    expect(log).toContain('GREETING=hi');
    expect(log).not.toContain('should-not-leak');
    // not the state dir: its socket would let the agent steer the whole fleet
    expect(log).not.toContain('HABITAT_STATE_DIR');
    expect(log).not.toContain('habitat.sock');
  });

  test('a timeout kills the whole process group, grandchildren included, and keeps the log', async () => {
    const stateDir = tempDir();
    const pidFile = path.join(stateDir, 'grandchild.pid');
    const agent = agentWith({
      run: sh(`sh -c 'echo $$ > ${pidFile}; sleep 60' & echo started; sleep 60`),
      timeoutMs: 800,
      graceMs: 300,
    });
    const result = await startRun(agent, { stateDir }).result;
    expect(result.status).toBe('timed-out');
    // 0.8 s + 0.3 s grace; a group left alive holds the log pipe for its 60 s sleep (room for a loaded machine)
    expect(result.durationMs).toBeLessThan(20_000);
    expect(readFileSync(result.logPath, 'utf8')).toContain('started');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 200));
    expect(alive(grandchild)).toBe(false);
  });

  test('a process that ignores SIGTERM is killed after the grace period', async () => {
    const stateDir = tempDir();
    const agent = agentWith({
      run: sh("trap '' TERM; echo stubborn; while true; do sleep 0.1; done"),
      timeoutMs: 500,
      graceMs: 400,
    });
    const started = Date.now();
    const result = await startRun(agent, { stateDir }).result;
    expect(result.status).toBe('timed-out');
    expect(Date.now() - started).toBeGreaterThanOrEqual(850);
    expect(result.signal).toBe('SIGKILL');
  });

  test('cancelling through an AbortSignal ends the run as cancelled', async () => {
    const controller = new AbortController();
    const handle = startRun(agentWith({ run: sh('echo ready; sleep 30') }), {
      stateDir: tempDir(),
      signal: controller.signal,
    });
    handle.on((e) => {
      if (e.type === 'output' && e.text.includes('ready')) controller.abort();
    });
    const result = await handle.result;
    expect(result.status).toBe('cancelled');
  });

  test('a command that cannot start is an error-before-start, with a record and a log', async () => {
    const result = await startRun(agentWith({ run: { kind: 'command', command: ['/no/such/binary'] } }), {
      stateDir: tempDir(),
    }).result;
    expect(result.status).toBe('error-before-start');
    expect(result.error?.code).toBe('spawn-failed');
    expect(readFileSync(result.logPath, 'utf8')).toContain('/no/such/binary');
    expect(existsSync(result.logPath.replace(/\.log$/, '.json'))).toBe(true);
  });
});

describe('credentials', () => {
  test('a credential value and its base64 form never reach the log, the events or the result', async () => {
    const stateDir = tempDir();
    const secret = 'sk-test-0123456789abcdefSECRET';
    const credFile = path.join(tempDir(), 'api.env');
    writeFileSync(credFile, `API_TOKEN=${secret}\n`);
    const agent = agentWith({
      run: sh('echo "token=$API_TOKEN"; printf %s "$API_TOKEN" | base64; echo "$API_TOKEN" >&2; exit 1'),
      credentials: [{ name: 'api', source: { kind: 'file', path: credFile }, as: 'env', envName: 'API' }],
    });
    const handle = startRun(agent, { stateDir });
    const seen: string[] = [];
    handle.on((e) => seen.push(JSON.stringify(e)));
    const result = await handle.result;
    const b64 = Buffer.from(secret).toString('base64');
    const everything = [...seen, readFileSync(result.logPath, 'utf8'), JSON.stringify(result)].join('\n');
    expect(everything).toContain('token=[REDACTED:api]');
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(b64.slice(0, 30));
    for (const file of readdirSync(stateDir, { recursive: true, withFileTypes: true })) {
      if (file.isFile())
        expect(readFileSync(path.join(file.parentPath, file.name), 'utf8')).not.toContain(secret);
    }
  });

  test('a file credential is readable at $HABITAT_SECRETS_DIR/<name> during the run and gone after it', async () => {
    const stateDir = tempDir();
    const credFile = path.join(tempDir(), 'token');
    writeFileSync(credFile, 'file-secret-value-42');
    const agent = agentWith({
      run: sh(
        'test "$(cat $HABITAT_SECRETS_DIR/gh)" = file-secret-value-42 && echo matched; ls -l $HABITAT_SECRETS_DIR',
      ),
      credentials: [{ name: 'gh', source: { kind: 'file', path: credFile }, as: 'file', envName: 'GH' }],
    });
    const result = await startRun(agent, { stateDir }).result;
    expect(readFileSync(result.logPath, 'utf8')).toContain('matched');
    expect(readFileSync(result.logPath, 'utf8')).toMatch(/-r-{8}/);
    expect(existsSync(path.join(stateDir, 'runs', result.runId))).toBe(false);
  });
});

describe('distinct uids (isolation.user, the coordinator is root)', () => {
  test.skipIf(process.getuid?.() !== 0)(
    "each run reads its own credential file; another agent's run, as another uid, can neither read nor list them",
    { timeout: 30_000 },
    async () => {
      const stateDir = tempDir();
      const shared = tempDir();
      const repo = tempDir();
      for (const d of [shared, repo]) chmodSync(d, 0o777);
      chmodSync(stateDir, 0o711); // the state dir's parent must let the agents through; secureStateDir does the rest
      const cred = (name: string, value: string) => {
        const file = path.join(tempDir(), name);
        writeFileSync(file, value);
        return [
          { name: 'tok', source: { kind: 'file' as const, path: file }, as: 'file' as const, envName: 'TOK' },
        ];
      };
      const a = agentWith({
        name: 'alice',
        repo: { kind: 'path', path: repo },
        isolation: { backend: 'local', image: 'habitat-test:latest', user: '4321', network: 'none' },
        run: sh(
          `id -u; test "$(cat "$HABITAT_SECRETS_DIR/tok")" = alice-secret-1 && echo read-own; echo "$HABITAT_SECRETS_DIR" > ${shared}/alice; sleep 3`,
        ),
        credentials: cred('a', 'alice-secret-1'),
      });
      const b = agentWith({
        name: 'bob',
        repo: { kind: 'path', path: repo },
        isolation: { backend: 'local', image: 'habitat-test:latest', user: '4322', network: 'none' },
        run: sh(
          `id -u; test "$(cat "$HABITAT_SECRETS_DIR/tok")" = bob-secret-2 && echo read-own; while [ ! -s ${shared}/alice ]; do sleep 0.1; done; cat "$(cat ${shared}/alice)/tok" && echo READ-OTHER || echo denied-other; ls ${stateDir}/secrets && echo LISTED || echo not-listable; ls "$(cat ${shared}/alice)" && echo LISTED-OTHER || echo denied-other-dir`,
        ),
        credentials: cred('b', 'bob-secret-2'),
      });
      const ra = startRun(a, { stateDir });
      const rb = startRun(b, { stateDir });
      const [resultA, resultB] = await Promise.all([ra.result, rb.result]);
      const logA = readFileSync(resultA.logPath, 'utf8');
      const logB = readFileSync(resultB.logPath, 'utf8');
      expect(logA).toMatch(/^4321$/m);
      expect(logA).toContain('read-own');
      expect(logB).toMatch(/^4322$/m);
      expect(logB).toContain('read-own');
      expect(logB).toContain('denied-other');
      expect(logB).toContain('not-listable');
      expect(logB).toContain('denied-other-dir');
      expect(logB).not.toMatch(/READ-OTHER|LISTED|alice-secret-1/);
    },
  );
});

describe('agent-paced wake', () => {
  test('a duration in the wake file becomes wakeAt, with its reason', async () => {
    const result = await startRun(
      agentWith({ run: sh('printf "46m\\nx-rate-limit-remaining: 3\\n" > "$HABITAT_WAKE_FILE"') }),
      {
        stateDir: tempDir(),
      },
    ).result;
    expect(result.status).toBe('succeeded');
    expect(Date.parse(result.wakeAt!) - Date.parse(result.endedAt)).toBe(46 * 60_000);
    expect(result.wakeReason).toBe('x-rate-limit-remaining: 3');
  });

  test('bad wake content is a warning, not a crash', async () => {
    const result = await startRun(agentWith({ run: sh('echo "whenever you like" > "$HABITAT_WAKE_FILE"') }), {
      stateDir: tempDir(),
    }).result;
    expect(result.status).toBe('succeeded');
    expect(result.wakeAt).toBeUndefined();
    expect(result.warnings.join()).toMatch(/neither an ISO time nor a duration/);
  });

  test('the wake policy clamps requests', async () => {
    const result = await startRun(
      agentWith({
        run: sh('echo 30d > "$HABITAT_WAKE_FILE"'),
        wake: { mode: 'agent', minMs: 0, maxMs: 3_600_000 },
      }),
      { stateDir: tempDir() },
    ).result;
    expect(Date.parse(result.wakeAt!) - Date.parse(result.endedAt)).toBe(3_600_000);
    expect(result.warnings.join()).toMatch(/outside the agent's wake policy/);
  });
});

describe('plain-text rate limits', () => {
  test('"usage limit reached|<epoch>" ends the run rate-limited, waking at the reset', async () => {
    const reset = Math.floor(Date.now() / 1000) + 3600;
    const result = await startRun(
      agentWith({ run: sh(`echo "Claude AI usage limit reached|${reset}"; exit 1`) }),
      {
        stateDir: tempDir(),
      },
    ).result;
    expect(result.status).toBe('rate-limited');
    expect(result.wakeAt).toBe(new Date(reset * 1000).toISOString());
  });
});

test('the git audit trail commits what a run changed, never credential files', async () => {
  const repo = tempDir('habitat-audit-');
  execFileSync('git', ['init', '-q', repo]);
  const agent = agentWith({
    repo: { kind: 'path', path: repo },
    run: sh('echo note > memory.md; echo TOKEN=x > .env; mkdir -p secrets; echo k > secrets/key'),
    gitCommit: true,
  });
  const result = await startRun(agent, { stateDir: tempDir() }).result;
  expect(result.commit).toMatch(/^[0-9a-f]{40}$/);
  const message = execFileSync('git', ['-C', repo, 'log', '-1', '--format=%s'], { encoding: 'utf8' });
  expect(message.trim()).toBe(`habitat: ${agent.name} run ${result.runId} succeeded`);
  const files = execFileSync('git', ['-C', repo, 'show', '--name-only', '--format=', 'HEAD'], {
    encoding: 'utf8',
  });
  expect(files.trim().split('\n')).toEqual(['memory.md']);
});

test("the audit trail commits only what the run changed, never the user's uncommitted work", async () => {
  const repo = tempDir('habitat-audit-');
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
  git('init', '-q');
  writeFileSync(path.join(repo, 'README.md'), 'v1\n');
  writeFileSync(path.join(repo, 'shared.md'), 'v1\n');
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
  // The user's work in progress: an edit, a staged edit, an untracked draft.
  writeFileSync(path.join(repo, 'README.md'), 'my unfinished edit\n');
  writeFileSync(path.join(repo, 'draft.md'), 'my draft\n');
  writeFileSync(path.join(repo, 'shared.md'), 'staged by me\n');
  git('add', 'shared.md');
  const agent = agentWith({
    repo: { kind: 'path', path: repo },
    run: sh('echo learned > memory.md; mkdir -p notes; echo n > notes/today.md'),
    gitCommit: true,
  });
  const result = await startRun(agent, { stateDir: tempDir() }).result;
  expect(result.commit).toMatch(/^[0-9a-f]{40}$/);
  expect(git('show', '--name-only', '--format=', 'HEAD').trim().split('\n').sort()).toEqual([
    'memory.md',
    'notes/today.md',
  ]);
  // Everything of the user's is as it was: still uncommitted, still staged, still untracked.
  expect(readFileSync(path.join(repo, 'README.md'), 'utf8')).toBe('my unfinished edit\n');
  expect(git('status', '--porcelain').split('\n').filter(Boolean).sort()).toEqual([
    ' M README.md',
    '?? draft.md',
    'M  shared.md',
  ]);
  expect(result.warnings).toEqual([]);
});

describe('habitats and logs', () => {
  test('a git habitat is cloned into the state dir at its ref before the first run', async () => {
    const origin = tempDir('habitat-origin-');
    execFileSync('git', ['init', '-q', '-b', 'main', origin]);
    writeFileSync(path.join(origin, 'task.txt'), 'from git\n');
    execFileSync('git', ['-C', origin, 'add', '.']);
    execFileSync('git', ['-C', origin, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init']);
    const checkout = path.join(tempDir(), 'repos', 'cloned');
    const result = await startRun(
      agentWith({ repo: { kind: 'git', url: origin, ref: 'main', path: checkout }, run: sh('cat task.txt') }),
      {
        stateDir: tempDir(),
      },
    ).result;
    expect(result.status).toBe('succeeded');
    expect(readFileSync(result.logPath, 'utf8')).toBe('from git\n');
  });

  test('log retention keeps the newest maxRuns runs of an agent', async () => {
    const stateDir = tempDir();
    const agent = agentWith({ run: sh('echo run'), logs: { maxRuns: 2 } });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await startRun(agent, { stateDir }).result).runId);
    const kept = readdirSync(path.join(stateDir, 'logs', agent.name)).sort();
    expect(kept.filter((f) => f.endsWith('.log')).map((f) => f.slice(16, 42))).toEqual(ids.slice(2));
    expect(kept.filter((f) => f.endsWith('.json'))).toHaveLength(2);
  });
});

describe('the learn file (habitat learn)', () => {
  test("a run's lessons come back in its result, scrubbed and bounded; hostile lines are dropped with a warning", async () => {
    const secret = 'sk-learn-0123456789abcdefSECRET';
    const credFile = path.join(tempDir(), 'api.env');
    writeFileSync(credFile, `API_TOKEN=${secret}\n`);
    const lines = [
      JSON.stringify({ text: 'the flaky test needs TZ=UTC', tags: ['ci', 'tests', 'bad tag!'] }),
      'plain text   lesson\twith spaces',
      JSON.stringify({ text: 'token was $API_TOKEN' }).replace('$API_TOKEN', secret),
      JSON.stringify({ text: 42 }),
      JSON.stringify({ text: 'x'.repeat(5000) }),
      ...Array.from({ length: 30 }, (_, i) => `lesson ${i}`),
    ];
    const script = lines
      .map((l) => `printf '%s\\n' '${l.replace(/'/g, `'\\''`)}' >> "$HABITAT_LEARN_FILE"`)
      .join('; ');
    const agent = agentWith({
      run: sh(script),
      credentials: [{ name: 'api', source: { kind: 'file', path: credFile }, as: 'env', envName: 'API' }],
    });
    const stateDir = tempDir();
    const result = await startRun(agent, { stateDir }).result;
    expect(result.status).toBe('succeeded');
    const learnings = result.learnings!;
    expect(learnings).toHaveLength(20);
    expect(learnings[0]).toEqual({ text: 'the flaky test needs TZ=UTC', tags: ['ci', 'tests'] });
    expect(learnings[1]).toEqual({ text: 'plain text lesson with spaces', tags: [] });
    expect(learnings[2]!.text).toBe('token was [REDACTED:api]');
    expect(learnings[3]!.text.length).toBe(2000);
    expect(result.warnings.join()).toMatch(/learn file: 15 line\(s\) ignored/);
    expect(JSON.stringify(result)).not.toContain(secret);
    // The file goes with the run dir.
    expect(existsSync(path.join(stateDir, 'runs', result.runId))).toBe(false);
  });

  test('a learn file that is a symlink or a FIFO is not read (the agent owns its run dir)', async () => {
    const elsewhere = path.join(tempDir(), 'not-yours');
    writeFileSync(elsewhere, 'a lesson from a file the agent may not read\n');
    for (const make of [`ln -s ${elsewhere} "$HABITAT_LEARN_FILE"`, 'mkfifo "$HABITAT_LEARN_FILE"']) {
      const result = await startRun(agentWith({ run: sh(make) }), { stateDir: tempDir() }).result;
      expect(result.status).toBe('succeeded');
      expect(result.learnings).toBeUndefined();
      expect(result.warnings.join()).toMatch(/learn file: (cannot read it \(ELOOP\)|not a regular file)/);
    }
  });
});
