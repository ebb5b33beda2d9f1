// What a container gets by default, on a real engine: the repo owner's uid:gid, no capabilities, no privilege
// gain, a process limit, a read-only root with a writable /tmp, repo and home, no network, its credential
// files readable by it and exposed once, and nothing of the coordinator.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildTestImage, requireDockerInCI, testdir } from '@habitat/testkit';
import { describe, expect, test } from 'vitest';
import { startRun, sweepRunFiles } from '../src/index.js';
import { agentWith, sh } from './helpers.js';

const docker = await requireDockerInCI();
const SECRET = 'tok-hardening-0123456789abcdef';

describe.skipIf(!docker)('docker defaults', () => {
  test('runs as the repo owner, hardened, with its file credential readable once', {
    timeout: 120_000,
  }, async () => {
    const image = await buildTestImage();
    const repo = testdir({ 'notes.md': 'n\n' });
    execFileSync('chown', ['-R', '4321:4321', repo]);
    const cred = path.join(
      testdir({ 'tok.json': JSON.stringify({ token: SECRET, user: 'someone' }) }),
      'tok.json',
    );
    const stateDir = testdir();
    const script = [
      'echo "uid=$(id -u):$(id -g)"',
      'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status',
      'touch /etc/x 2>/dev/null && echo root-writable || echo root-read-only',
      'touch /tmp/x && echo tmp-writable',
      'touch /work/written && echo repo-writable',
      'ls /sys/class/net | tr "\\n" " "; echo',
      'cat /run/secrets/tok; echo',
      'ls /habitat/run',
      'echo "pids=$(cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max)"',
      // its channel for lessons is its own run dir, as the non-root user
      `printf '%s\\n' '{"text":"containers learn too","tags":["docker"]}' >> "$HABITAT_LEARN_FILE"`,
    ].join('; ');
    const agent = agentWith({
      name: 'hardened',
      repo: { kind: 'path', path: repo },
      run: sh(script),
      credentials: [{ name: 'tok', source: { kind: 'file', path: cred }, as: 'file', envName: 'TOK' }],
      isolation: { backend: 'docker', image, network: 'none' },
    });
    const result = await startRun(agent, { stateDir }).result;
    const log = readFileSync(result.logPath, 'utf8');
    expect(result.status, log).toBe('succeeded');
    expect(log).toContain('uid=4321:4321');
    expect(log).toMatch(/CapEff:\s+0000000000000000/);
    expect(log).toMatch(/NoNewPrivs:\s+1/);
    expect(log).toContain('root-read-only');
    expect(log).toContain('tmp-writable');
    expect(log).toContain('repo-writable');
    expect(log).toMatch(/^lo $/m);
    expect(log).toContain('pids=512');
    expect(result.learnings).toEqual([{ text: 'containers learn too', tags: ['docker'] }]);
    // The JSON credential, and the one field of it the agent printed, are both scrubbed.
    expect(log).not.toContain(SECRET);
    expect(log).toContain('[REDACTED:tok]');
    // /habitat/run holds no second copy of the secrets.
    expect(log).not.toMatch(/^secrets$/m);
    expect(statSync(path.join(repo, 'written')).uid).toBe(4321);
    // Nothing of the credential is left on the host once the run is over.
    expect(existsSync(path.join(stateDir, 'secrets', result.runId))).toBe(false);
    expect(existsSync(path.join(stateDir, 'runs', result.runId))).toBe(false);
  });

  test('a container never gets the coordinator: a repo holding the state dir is refused', async () => {
    const root = testdir({ 'agents/x.yaml': 'run: { command: [true] }\n' });
    const agent = agentWith({
      name: 'x',
      file: path.join(root, 'agents/x.yaml'),
      repo: { kind: 'path', path: root },
      run: sh('true'),
      isolation: { backend: 'docker', image: 'habitat-test:latest', network: 'none' },
    });
    const result = await startRun(agent, { stateDir: path.join(root, '.habitat') }).result;
    expect(result.status).toBe('error-before-start');
    expect(result.error?.message).toContain('a container never gets those');
  });
});

test('a crash leaves no credential file behind: the sweep removes what no live run owns', async () => {
  const stateDir = testdir();
  for (const id of ['DEAD', 'OPEN']) {
    mkdirSync(path.join(stateDir, 'secrets', id), { recursive: true });
    writeFileSync(path.join(stateDir, 'secrets', id, 'tok'), SECRET);
    mkdirSync(path.join(stateDir, 'runs', id), { recursive: true });
    // pid 2^22+1 cannot exist (pid_max is at most 2^22)
    writeFileSync(path.join(stateDir, 'secrets', `${id}.owner`), `${2 ** 22 + 1} 1\n`);
  }
  mkdirSync(path.join(stateDir, 'secrets', 'MINE'), { recursive: true });
  const { claimRunFiles } = await import('../src/index.js');
  await claimRunFiles(stateDir, 'MINE');
  const swept = await sweepRunFiles(stateDir, new Set(['OPEN']));
  expect(swept).toHaveLength(1);
  expect(readdirSync(path.join(stateDir, 'secrets')).sort()).toEqual([
    'MINE',
    'MINE.owner',
    'OPEN',
    'OPEN.owner',
  ]);
  expect(readdirSync(path.join(stateDir, 'runs'))).toEqual(['OPEN']);
});
