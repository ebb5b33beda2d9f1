// docs/daemon.md's recipes are checked, not just written: the systemd unit's settings (and, where systemd is
// installed, `systemd-analyze verify` and its security rating), and the container recipe's stop handling.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { testdir } from '@habitat/testkit';
import { expect, test } from 'vitest';

const DOC = readFileSync(path.resolve(__dirname, '../../../docs/daemon.md'), 'utf8');
const CLI = path.resolve(__dirname, '../dist/index.js');
const block = (lang: string) => DOC.match(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``))?.[1] ?? '';
const unit = block('ini');
const setting = (key: string) =>
  unit
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));

test('the systemd unit honours --grace, keeps files private, is hardened and has an absolute ExecStart', () => {
  expect(setting('KillMode')).toEqual(['mixed']);
  expect(setting('UMask')).toEqual(['0077']);
  expect(setting('NoNewPrivileges')).toEqual(['yes']);
  expect(setting('ProtectSystem')).toEqual(['strict']);
  expect(setting('ReadWritePaths')).toEqual(['/srv/my-fleet']);
  expect(setting('PrivateTmp')).toEqual(['yes']);
  expect(unit).not.toContain('%i');
  const [exec] = setting('ExecStart');
  expect(exec).toMatch(/^\/\S+ up --grace (\d+)$/);
  const grace = Number(/--grace (\d+)/.exec(exec!)![1]);
  expect(Number(setting('TimeoutStopSec')[0])).toBeGreaterThan(grace);
});

test.skipIf(spawnSync('systemd-analyze', ['--version']).status !== 0)(
  'systemd-analyze verifies the unit and rates its exposure OK',
  () => {
    const dir = testdir();
    // The documented binary path need not exist here: verify checks it, so point it at the built CLI.
    const file = path.join(dir, 'habitat.service');
    writeFileSync(file, unit.replace(/^ExecStart=\S+/m, `ExecStart=${CLI}`));
    const verify = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(verify.status, verify.stderr).toBe(0);
    const security = spawnSync('systemd-analyze', ['security', '--offline=yes', file], { encoding: 'utf8' });
    const score = Number(/exposure level for habitat\.service: ([\d.]+)/.exec(security.stdout)?.[1]);
    expect(score).toBeLessThanOrEqual(2);
  },
);

test('the container recipe: a .dockerignore without secrets, --init, and a stop timeout above the grace', () => {
  const ignore = block('gitignore');
  for (const entry of ['.git', 'node_modules', '.habitat', '*.env', 'secrets/'])
    expect(ignore).toContain(entry);
  const run = DOC.slice(DOC.indexOf('docker run -d --name habitat'));
  expect(run).toContain('--init');
  const stop = Number(/--stop-timeout (\d+)/.exec(run)?.[1]);
  const grace = Number(/habitat-daemon --grace (\d+)/.exec(run)?.[1]);
  expect(stop).toBeGreaterThan(grace);
  expect(existsSync(CLI)).toBe(true);
});
