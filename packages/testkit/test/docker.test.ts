import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildTestImage, requireDockerInCI, startModelServer, testdir } from '../src/index.js';

const docker = await requireDockerInCI();

describe.skipIf(!docker)('the Docker test image (built without a registry)', () => {
  test('is the habitat-agent recipe: node, claude, the habitat CLI, bash, git, a non-root user', {
    timeout: 600_000,
  }, async () => {
    const image = await buildTestImage();
    const out = await dockerRun(
      [
        'run',
        '--rm',
        '--network',
        'none',
        image,
        'sh',
        '-c',
        'id -u; node --version; claude --version; habitat --version; bash -c "echo bash"; git --version; HABITAT_WAKE_FILE=/tmp/w habitat wake --in 5m && cat /tmp/w',
      ],
      '',
    );
    expect(out.split('\n').slice(0, 7)).toEqual([
      '1000',
      process.version,
      expect.stringContaining('(Claude Code)'),
      expect.stringMatching(/^\d+\.\d+\.\d+$/),
      'bash',
      expect.stringMatching(/^git version /),
      '5m',
    ]);
  });

  test('runs the real claude as uid 1000, talking to a loopback model server over host networking', {
    timeout: 180_000,
  }, async () => {
    const image = await buildTestImage();
    const server = await startModelServer([
      { toolUse: { name: 'Bash', input: { command: 'id -u > uid.txt' } } },
      { text: 'ok' },
    ]);
    const work = testdir();
    execFileSync('chown', ['1000:1000', work]);
    // Async: the model server lives in this process, so a sync spawn would deadlock it.
    const out = await dockerRun(
      [
        'run',
        '--rm',
        '--network',
        'host',
        '-v',
        `${work}:/work`,
        '-e',
        `ANTHROPIC_BASE_URL=${server.url}`,
        '-e',
        'ANTHROPIC_API_KEY=sk-ant-test',
        '-e',
        'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1',
        '-e',
        'CLAUDE_CONFIG_DIR=/tmp/claude',
        '-i',
        image,
        'claude',
        '--print',
        '--output-format',
        'stream-json',
        '--verbose',
        '--dangerously-skip-permissions',
        '--model',
        'sonnet',
      ],
      'go',
    );
    await server.close();
    expect(out).toContain('"subtype":"success"');
    expect(execFileSync('cat', [path.join(work, 'uid.txt')], { encoding: 'utf8' }).trim()).toBe('1000');
  });
});

function dockerRun(args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`docker run exited ${code}: ${out.slice(0, 500)}`)),
    );
    child.stdin.end(input);
  });
}
