// habitat doctor and habitat completion, through the built CLI.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { testdir } from '@habitat/testkit';
import type { Command } from 'commander';
import { expect, test } from 'vitest';

const CLI = path.resolve(__dirname, '../dist/index.js');
const habitat = (cwd: string, ...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
type Check = { check: string; status: string; detail: string; fix: string | null };

test('doctor checks Node, the coordinator and the state dir, each problem with its fix', () => {
  const outside = habitat(testdir(), 'doctor', '--json');
  expect(outside.status).toBe(1);
  const checks = JSON.parse(outside.stdout) as Check[];
  expect(checks.find((c) => c.check === 'node')?.status).toBe('ok');
  expect(checks.find((c) => c.check === 'coordinator')).toMatchObject({
    status: 'fail',
    fix: expect.stringContaining('habitat init'),
  });

  const root = testdir({ 'habitat.yaml': '', 'agents/a.yaml': 'run: { command: [echo] }\n' });
  mkdirSync(path.join(root, '.habitat'), { mode: 0o755 });
  const inside = habitat(root, 'doctor', '--json');
  const byName = Object.fromEntries((JSON.parse(inside.stdout) as Check[]).map((c) => [c.check, c]));
  expect(byName.coordinator?.status).toBe('ok');
  expect(byName['state dir']).toMatchObject({ status: 'warn', fix: expect.stringContaining('chmod 711') });
  expect(byName.daemon?.status).toBe('ok');
  // nothing uses Docker or claude here: those checks cannot fail the run
  for (const c of ['docker', 'claude']) expect(byName[c]?.status).not.toBe('fail');
  expect(inside.status).toBe(0);
  expect(habitat(root, 'doctor').stdout).toMatch(/^check\s+status\s+detail\s+fix/);
  // What the daemon makes (0711: run users pass through to their own run dir) is not a problem.
  chmodSync(path.join(root, '.habitat'), 0o711);
  const after = JSON.parse(habitat(root, 'doctor', '--json').stdout) as Check[];
  expect(after.find((c) => c.check === 'state dir')?.status).toBe('ok');
});

test('completion: bash completes commands and flags; zsh and fish scripts name them too; others are usage errors', () => {
  const dir = testdir();
  const script = habitat(dir, 'completion', 'bash').stdout;
  const complete = (...words: string[]) =>
    spawnSync(
      'bash',
      [
        '-c',
        `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _habitat; echo "\${COMPREPLY[@]}"`,
      ],
      { encoding: 'utf8' },
    ).stdout.trim();
  expect(complete('habitat', 'hist')).toBe('history');
  expect(complete('habitat', 'history', '--l').split(' ')).toContain('--limit');
  expect(complete('habitat', 'sessions', 'sea')).toBe('search');
  for (const shell of ['zsh', 'fish']) {
    const out = habitat(dir, 'completion', shell);
    expect(out.status).toBe(0);
    expect(out.stdout).toContain('doctor');
    expect(out.stdout).toContain('history');
  }
  expect(habitat(dir, 'completion', 'tcsh').status).toBe(2);
});

test('every command and every flag has a description (the completion script carries them all)', () => {
  const fish = habitat(testdir(), 'completion', 'fish')
    .stdout.split('\n')
    .filter((l) => l.startsWith('complete -c habitat -n'));
  expect(fish.length).toBeGreaterThan(100);
  const undescribed = fish.filter((l) => !/ -d '[^']+'/.test(l) && !l.includes("-a '("));
  expect(undescribed).toEqual([]);
});

test('every command and subcommand has examples in its help', async () => {
  const { buildProgram } = await import('../src/cli.js');
  // no command named: every family is registered, as for `habitat --help`
  const program = await buildProgram(['node', 'habitat']);
  const missing: string[] = [];
  let seen = 0;
  const walk = (command: Command, path: string[]) => {
    for (const sub of command.commands) {
      const name = [...path, sub.name()];
      let out = '';
      sub.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
      sub.outputHelp();
      seen++;
      if (!/\nExamples:\n {2}\S/.test(out)) missing.push(name.join(' '));
      walk(sub, name);
    }
  };
  walk(program, []);
  expect(seen).toBeGreaterThan(40);
  expect(missing).toEqual([]);
  // and through the binary, as people see it
  const out = habitat(testdir(), 'sessions', 'search', '--help');
  expect(out.stdout).toMatch(/Examples:\n {2}habitat sessions search /);
});
