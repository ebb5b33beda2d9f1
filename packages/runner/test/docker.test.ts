// The Docker backend on a real engine, with the real claude in a locally built image.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildTestImage, requireDockerInCI, startModelServer, testdir } from '@habitat/testkit';
import { describe, expect, test } from 'vitest';
import { dockerBackend, findRunContainers, type RunSpec, startRun } from '../src/index.js';
import { agentWith, sh } from './helpers.js';

const docker = await requireDockerInCI();
const KEY = 'sk-ant-api03-dockerTestKey0123456789abcdefXYZ';
const iso = (image: string) => ({
  backend: 'docker' as const,
  image,
  network: 'host',
  user: '1000:1000',
  memoryBytes: 512 * 1024 ** 2,
  cpus: 1,
  pids: 256,
});
const containersOf = (runId: string) =>
  execFileSync('docker', ['ps', '-aq', '--filter', `label=habitat.run=${runId}`], {
    encoding: 'utf8',
  }).trim();

describe.skipIf(!docker)('docker backend', () => {
  test('claude in a container runs a scripted session: exit 0, session log persisted, stream parsed, key scrubbed', {
    timeout: 240_000,
  }, async () => {
    const image = await buildTestImage();
    const repo = testdir({ 'prompts/task.md': 'write a file', 'notes.md': 'n\n' });
    execFileSync('chown', ['-R', '1000:1000', repo]);
    const cred = path.join(testdir({ 'a.env': `ANTHROPIC_API_KEY=${KEY}\n` }), 'a.env');
    const server = await startModelServer([
      {
        toolUse: {
          name: 'Bash',
          input: { command: 'echo "k=$ANTHROPIC_API_KEY"; id -u > uid.txt', description: 'x' },
        },
      },
      { toolUse: { name: 'Read', input: { file_path: '/work/notes.md' } } },
      { toolUse: { name: 'Write', input: { file_path: '/work/out.md', content: 'out\n' } } },
      { text: 'done' },
    ]);
    const stateDir = testdir();
    const agent = agentWith({
      name: 'boxed',
      repo: { kind: 'path', path: repo },
      run: {
        kind: 'claude',
        prompt: 'prompts/task.md',
        model: 'sonnet',
        args: [],
        outputFormat: 'stream-json',
        skipPermissions: true,
      },
      isolation: iso(image),
      env: {
        ANTHROPIC_BASE_URL: server.url,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        CLAUDE_CODE_MAX_RETRIES: '1',
      },
      credentials: [
        { name: 'anthropic', source: { kind: 'file', path: cred }, as: 'env', envName: 'ANTHROPIC_API_KEY' },
      ],
      timeoutMs: 120_000,
    });
    const result = await startRun(agent, { stateDir }).result;
    await server.close();
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(result.summary.toolsUsed).toEqual({ Bash: 1, Read: 1, Write: 1 });
    expect(result.summary.costUsd).toBeGreaterThan(0);
    expect(readFileSync(path.join(repo, 'uid.txt'), 'utf8').trim()).toBe('1000');
    expect(readFileSync(path.join(repo, 'out.md'), 'utf8')).toBe('out\n');
    const projects = path.join(stateDir, 'claude', 'boxed', 'projects');
    const sessions = readdirSync(projects, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.jsonl'));
    expect(sessions.some((f) => f.includes(result.summary.sessionId!))).toBe(true);
    const log = readFileSync(result.logPath, 'utf8');
    expect(log).toContain('k=[REDACTED:anthropic]');
    expect(log).not.toContain(KEY);
    expect(containersOf(result.runId)).toBe('');
  });

  test('a timeout stops and removes the container', { timeout: 120_000 }, async () => {
    const image = await buildTestImage();
    const agent = agentWith({
      run: sh('echo up; sleep 60'),
      isolation: iso(image),
      timeoutMs: 1500,
      graceMs: 1000,
    });
    const result = await startRun(agent, { stateDir: testdir() }).result;
    expect(result.status).toBe('timed-out');
    expect(readFileSync(result.logPath, 'utf8')).toContain('up');
    expect(containersOf(result.runId)).toBe('');
  });

  test('a running container is found by its labels (what a restarted coordinator adopts)', {
    timeout: 120_000,
  }, async () => {
    const image = await buildTestImage();
    const stateDir = testdir();
    const handle = startRun(
      agentWith({ name: 'finder', run: sh('echo ready; sleep 30'), isolation: iso(image) }),
      { stateDir },
    );
    await new Promise<void>((resolve) =>
      handle.on((e) => e.type === 'output' && e.text.includes('ready') && resolve()),
    );
    const found = await findRunContainers({ stateDir });
    expect(found).toEqual([
      // The engine may still list it as `created` for a moment after its first output.
      expect.objectContaining({
        agent: 'finder',
        runId: handle.runId,
        state: expect.stringMatching(/^(running|created)$/),
      }),
    ]);
    handle.cancel();
    expect((await handle.result).status).toBe('cancelled');
  });

  // A coordinator killed after the container is removed but before the run is recorded must still learn
  // how it ended (the kill -9 chaos suite found a finished run recorded as lost).
  test('the exit status is marked in the run dir before the container is removed', {
    timeout: 120_000,
  }, async () => {
    const image = await buildTestImage();
    const stateDir = testdir();
    const runId = `01JMARK${Date.now()}`;
    const runDir = path.join(stateDir, 'runs', runId);
    mkdirSync(runDir, { recursive: true });
    const spec = {
      runId,
      stateDir,
      credentialFiles: [],
      graceMs: 1000,
      container: {
        image,
        cmd: ['sh', '-c', 'echo bye; exit 7'],
        workingDir: '/',
        env: {},
        binds: [],
        network: 'none',
        labels: { 'habitat.run': runId, 'habitat.stateDir': stateDir },
      },
    } as unknown as RunSpec;
    const before = dockerBackend.ended!({ runId, ref: 'x', stateDir });
    expect(before).toEqual({ started: true });
    const out: string[] = [];
    const run = await dockerBackend.start(spec, (_s, chunk) => out.push(chunk.toString()));
    const exit = await run.exit;
    expect(exit.exitCode).toBe(7);
    expect(out.join('')).toContain('bye');
    expect(containersOf(runId)).toBe('');
    expect(readFileSync(path.join(runDir, '.exit'), 'utf8')).toBe('7');
    expect(dockerBackend.ended!({ runId, ref: exit.ref ?? null, stateDir })).toEqual({
      started: true,
      exitCode: 7,
      // when the exit status was marked, a moment ago
      endedAt: expect.closeTo(Date.now(), -4),
    });
  });

  test('an adopted container marks its exit status before it is removed', { timeout: 120_000 }, async () => {
    const image = await buildTestImage();
    const stateDir = testdir();
    const runId = `01JADOPT${Date.now()}`;
    mkdirSync(path.join(stateDir, 'runs', runId), { recursive: true });
    const id = execFileSync(
      'docker',
      [
        'run',
        '-d',
        '--network',
        'none',
        '--label',
        `habitat.run=${runId}`,
        '--label',
        `habitat.stateDir=${stateDir}`,
        image,
        'sh',
        '-c',
        'sleep 1; exit 3',
      ],
      { encoding: 'utf8' },
    ).trim();
    const [live] = await dockerBackend.findLive({ stateDir });
    expect(live?.ref).toBe(id);
    const exit = await dockerBackend.follow(live!, () => {}, { stateDir });
    expect(exit.exitCode).toBe(3);
    expect(containersOf(runId)).toBe('');
    expect(dockerBackend.ended!({ runId, ref: id, stateDir })).toEqual({
      started: true,
      exitCode: 3,
      endedAt: expect.closeTo(Date.now(), -4),
    });
  });

  test('a missing image is a clear error that names it', async () => {
    const result = await startRun(agentWith({ run: sh('true'), isolation: iso('habitat-no-such-image:1') }), {
      stateDir: testdir(),
    }).result;
    expect(result.status).toBe('error-before-start');
    expect(result.error?.code).toBe('image-missing');
    expect(result.error?.message).toContain('"habitat-no-such-image:1"');
  });
});
