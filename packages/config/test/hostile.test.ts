// Hostile and broken input never throws past the diagnostics, never stalls, and is located.
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadCoordinator, MAX_CONFIG_BYTES, readCredential, readRegularFile } from '../src/index.js';
import type { Credential } from '../src/types.js';
import { coordinator } from './helpers.js';

const laughs = (levels: number) => {
  let text = 'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i <= levels; i++)
    text += `l${i}: &l${i} [${Array.from({ length: 9 }, () => `*l${i - 1}`).join(',')}]\n`;
  return text;
};

describe('YAML aliases are limited and located like every other error', () => {
  test('an undefined alias names its line, and the other files still load', async () => {
    const root = coordinator({
      'agents/a.yaml': 'run:\n  command: [*sh]\n',
      'agents/b.yaml': 'run: { command: [echo] }\n',
    });
    const c = await loadCoordinator(root);
    expect(c.agents.map((a) => a.name)).toEqual(['b']);
    expect(c.diagnostics).toHaveLength(1);
    expect(c.diagnostics[0]).toMatchObject({ code: 'yaml-syntax', line: 2, column: 13 });
    expect(c.diagnostics[0]!.message).toMatch(/alias \*sh refers to no anchor/);
  });

  test('a billion-laughs document is refused quickly, at the first alias', async () => {
    const root = coordinator({ 'agents/a.yaml': `${laughs(9)}run: { command: [echo] }\n` });
    const t0 = performance.now();
    const c = await loadCoordinator(root);
    // quickly: a document that expanded its aliases would take minutes (10^9 nodes); 10 s is room for load
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(c.agents).toEqual([]);
    expect(c.diagnostics[0]).toMatchObject({ code: 'yaml-syntax', line: 2 });
    expect(c.diagnostics[0]!.message).toMatch(/billion laughs/);
  });

  test('a cyclic alias is a diagnostic, not a circular value', async () => {
    const root = coordinator({ 'agents/a.yaml': 'run: { command: [echo] }\nenv: &e { X: *e }\n' });
    const c = await loadCoordinator(root);
    expect(c.diagnostics[0]!.message).toMatch(/contains it/);
  });

  test('a few honest aliases still work', async () => {
    const root = coordinator({
      'agents/a.yaml': 'x-cmd: &cmd [echo, hi]\nrun: { command: *cmd }\n'.replace('x-cmd', 'description'),
    });
    const c = await loadCoordinator(root);
    // description must be a string: the alias resolves and the schema judges the value
    expect(c.diagnostics.every((d) => d.code !== 'yaml-syntax')).toBe(true);
  });

  test('an alias error in habitat.yaml is located in habitat.yaml', async () => {
    const root = coordinator({
      'habitat.yaml': 'defaults:\n  env: *nothing\n',
      'agents/a.yaml': 'run: { command: [echo] }\n',
    });
    const c = await loadCoordinator(root);
    expect(c.diagnostics[0]).toMatchObject({ file: path.join(root, 'habitat.yaml'), line: 2 });
  });
});

describe('large files', () => {
  test('duplicate keys are found in linear time (40k keys took 12 s before)', async () => {
    const { parseAgent, loadSettings } = await import('../src/index.js');
    const root = coordinator({ 'agents/a.yaml': 'run: { command: [echo] }\n' });
    const { settings } = await loadSettings(root);
    const file = path.join(root, 'agents/a.yaml');
    const text = (n: number) =>
      `run: { command: [echo] }\nenv:\n${Array.from({ length: n }, (_, i) => `  K${i}: v`).join('\n')}\n  K7: again\n`;
    // Linear, not quadratic: 4x the keys costs well under 16x the time (best of 3, interleaved, so a
    // loaded machine slows both sides alike).
    const time = (n: number) => {
      const t0 = performance.now();
      const r = parseAgent(text(n), file, { settings });
      expect(r.diagnostics[0]).toMatchObject({ code: 'yaml-syntax', line: n + 3 });
      expect(r.diagnostics[0]!.message).toBe('YAML syntax error: duplicate key "K7"');
      return performance.now() - t0;
    };
    const small: number[] = [];
    const big: number[] = [];
    // the first round warms up (measured: 5k keys 180-310 ms, then 80-100 ms); the ratio was 3.2-4.1 at load 4-5
    for (let round = 0; round < 3; round++) {
      small.push(time(5_000));
      big.push(time(20_000));
    }
    expect(Math.min(...big) / Math.min(...small)).toBeLessThan(9);
  });

  test('a file over the size limit gets a clear diagnostic without being parsed', async () => {
    const root = coordinator({
      'agents/big.yaml': `run: { command: [echo] }\ndescription: "${'x'.repeat(MAX_CONFIG_BYTES)}"\n`,
      'agents/ok.yaml': 'run: { command: [echo] }\n',
    });
    const c = await loadCoordinator(root);
    expect(c.agents.map((a) => a.name)).toEqual(['ok']);
    expect(c.diagnostics).toMatchObject([
      { code: 'file-too-large', file: path.join(root, 'agents/big.yaml') },
    ]);
  });
});

describe('agent files that are symlinks', () => {
  test('a symlink to a file is followed; a dangling one or one to a FIFO is diagnosed', async () => {
    const root = coordinator({ 'real/a.yaml': 'run: { command: [echo] }\n', 'agents/.keep': '' });
    symlinkSync(path.join(root, 'real/a.yaml'), path.join(root, 'agents/a.yaml'));
    symlinkSync(path.join(root, 'real/none.yaml'), path.join(root, 'agents/gone.yaml'));
    execFileSync('mkfifo', [path.join(root, 'real/fifo')]);
    symlinkSync(path.join(root, 'real/fifo'), path.join(root, 'agents/pipe.yaml'));
    const c = await loadCoordinator(root);
    expect(c.agents.map((a) => a.name)).toEqual(['a']);
    expect(c.diagnostics.map((d) => [path.basename(d.file), d.code])).toEqual([
      ['gone.yaml', 'missing-file'],
      ['pipe.yaml', 'missing-file'],
    ]);
    expect(c.diagnostics[1]!.message).toMatch(/FIFO/);
  });
});

describe('credential sources that are not regular files', () => {
  const cred = (from: string): Credential =>
    ({ name: 'c', source: { kind: 'file', path: from }, as: 'env', envName: 'C' }) as Credential;

  test('a FIFO is refused at once instead of blocking', async () => {
    const root = coordinator({ 'x/.keep': '' });
    const fifo = path.join(root, 'x/fifo');
    execFileSync('mkfifo', [fifo]);
    const t0 = performance.now();
    await expect(readCredential(cred(fifo))).rejects.toThrow(/FIFO \(named pipe\), not a file/);
    // at once: opening a FIFO for reading blocks until a writer comes (here: never)
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  test('a device and a directory are refused; a symlink to a regular file is read', async () => {
    await expect(readCredential(cred('/dev/zero'))).rejects.toThrow(/character device/);
    const root = coordinator({ 'x/secret.env': 'TOKEN=abcdef\n' });
    mkdirSync(path.join(root, 'd'));
    await expect(readCredential(cred(path.join(root, 'd')))).rejects.toThrow(/directory/);
    symlinkSync(path.join(root, 'x/secret.env'), path.join(root, 'link'));
    expect((await readCredential(cred(path.join(root, 'link')))).env).toEqual({ TOKEN: 'abcdef' });
  });

  test('readRegularFile bounds the size', async () => {
    const root = coordinator({ 'x/f': 'x'.repeat(100) });
    writeFileSync(path.join(root, 'x/g'), 'y');
    await expect(readRegularFile(path.join(root, 'x/f'), { maxBytes: 10 })).rejects.toThrow(/100 bytes/);
    expect(await readRegularFile(path.join(root, 'x/g'), { maxBytes: 10 })).toBe('y');
  });
});
