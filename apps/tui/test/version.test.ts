// habitat-tui -V / --version print the package version (before anything else loads), like habitat's.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';

const TUI = path.resolve(__dirname, '../dist/index.js');
const { version } = JSON.parse(readFileSync(path.resolve(__dirname, '../package.json'), 'utf8')) as {
  version: string;
};

test('-V and --version', () => {
  for (const args of [['-V'], ['--version'], ['--dir', '/tmp', '-V']]) {
    const out = spawnSync(process.execPath, [TUI, ...args], { encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(out.stdout.trim()).toBe(version);
  }
});
