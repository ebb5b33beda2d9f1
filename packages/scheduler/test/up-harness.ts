// `habitat up` as a real child process on a throwaway coordinator, for the tests that drive the daemon whole
// (daemon.test.ts, swarm.test.ts). Importing this registers the afterEach that kills what a test left running.
import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { openStore } from '../src/index.js';

export const CLI = path.resolve(__dirname, '../../../apps/cli/dist/index.js');
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** A coordinator root with `agents/<name>.yaml` for each entry. */
export function fleet(agents: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'habitat-fleet-'));
  mkdirSync(path.join(root, 'agents'));
  for (const [name, yaml] of Object.entries(agents))
    writeFileSync(path.join(root, 'agents', `${name}.yaml`), yaml);
  return root;
}

/** `habitat up --no-layers` in `root`; `err()` is what it printed on stderr so far (when stderr is piped). */
export function up(
  root: string,
  args: string[] = [],
  stdio: StdioOptions = ['ignore', 'pipe', 'pipe'],
  env: NodeJS.ProcessEnv = process.env,
): ChildProcess & { err: () => string } {
  const child = spawn(process.execPath, [CLI, 'up', '--no-layers', ...args], { cwd: root, stdio, env });
  let err = '';
  child.stderr?.on('data', (c) => (err += c));
  children.push(child);
  return Object.assign(child, { err: () => err });
}

export async function waitFor<T>(
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out waiting');
}

/** The runs the daemon recorded (newest first), read-only; [] while it is still creating its tables. */
export function runs(root: string, agent?: string) {
  if (!existsSync(path.join(root, '.habitat', 'scheduler.db'))) return [];
  try {
    const store = openStore(path.join(root, '.habitat'), { readonly: true });
    try {
      return store.history(agent, 1000);
    } finally {
      store.close();
    }
  } catch {
    return [];
  }
}

export const socketUp = (root: string) => existsSync(path.join(root, '.habitat', 'habitat.sock'));
