// Shared helpers for the scheduler benchmarks (run with `node bench/<file>.ts`: Node 24 strips the types).
// The daemon under test is the real one: `habitat up --no-layers` (apps/cli/dist) as a child process.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectDaemon, type DaemonClient } from '@habitat/scheduler';

/** `HABITAT_BENCH_CLI` points at another build's `index.js` (e.g. a copy of an older dist), to interleave the two. */
export const CLI = process.env.HABITAT_BENCH_CLI
  ? path.resolve(process.env.HABITAT_BENCH_CLI)
  : path.resolve(import.meta.dirname, '../../../apps/cli/dist/index.js');

/** A coordinator root with `count` agents; `agentYaml(i)` is agent i's file. */
export function fleet(count: number, agentYaml: (i: number) => string, settings = ''): string {
  const root = mkdtempSync(path.join(tmpdir(), 'habitat-bench-fleet-'));
  mkdirSync(path.join(root, 'agents'));
  if (settings) writeFileSync(path.join(root, 'habitat.yaml'), settings);
  for (let i = 0; i < count; i++)
    writeFileSync(path.join(root, 'agents', `${agentName(i)}.yaml`), agentYaml(i));
  return root;
}

export const agentName = (i: number): string => `agent-${String(i).padStart(4, '0')}`;

/**
 * `habitat up --no-layers` in `root`; its log (stderr) goes to a file. `HABITAT_BENCH_NODE_FLAGS` (e.g.
 * `--max-semi-space-size=2`) is passed to the daemon's node, to compare V8 heap settings.
 */
export function up(root: string): ChildProcess {
  const log = openSync(path.join(root, 'daemon.log'), 'a');
  const flags = (process.env.HABITAT_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  return spawn(process.execPath, [...flags, CLI, 'up', '--no-layers'], {
    cwd: root,
    stdio: ['ignore', 'ignore', log],
  });
}

/** Connect once the daemon's socket answers (it loads every agent first). */
export async function connectWhenUp(
  stateDir: string,
  child: ChildProcess,
  timeoutMs = 60_000,
): Promise<DaemonClient> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`the daemon exited with ${child.exitCode}`);
    try {
      return await connectDaemon(stateDir, { timeoutMs: 5000 });
    } catch {
      await sleep(20);
    }
  }
  throw new Error('the daemon did not come up');
}

/** SIGTERM and wait for the exit (SIGKILL after `graceMs`). */
export async function stop(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const CLK_TCK = 100; // getconf CLK_TCK on Linux

/** CPU time (user + system) a process has used so far, in ms. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/** Resident set size now and at its peak (VmHWM), in bytes. */
/** RSS, its peak, and its private part (RssAnon: not the node binary's pages, which processes share). */
export function memory(pid: number): { rss: number; hwm: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), anon: kb('RssAnon') };
}

/** The daemon's spawner process (runner spawner.ts), if it has one: a child named `habitat-spawner`. */
export function spawnerOf(pid: number): number | undefined {
  return childNamed(pid, 'habitat-spawner');
}

/** The daemon's WAL checkpoint process (scheduler checkpointer.ts), if it has one. */
export function checkpointerOf(pid: number): number | undefined {
  return childNamed(pid, 'habitat-wal');
}

function childNamed(pid: number, comm: string): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    return children.map(Number).find((c) => {
      try {
        return readFileSync(`/proc/${c}/comm`, 'utf8').trim() === comm;
      } catch {
        return false;
      }
    });
  } catch {
    return undefined;
  }
}

export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
export const ms = (v: number): string => `${v.toFixed(1)} ms`;

/** Stop a benchmark that runs past its budget; `cleanup` kills what it started. */
export function deadline(seconds: number, what: string, cleanup: () => void): void {
  setTimeout(() => {
    process.stderr.write(`${what}: gave up after ${seconds}s\n`);
    cleanup();
    process.exit(1);
  }, seconds * 1000).unref();
}
