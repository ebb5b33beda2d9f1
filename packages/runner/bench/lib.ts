// Shared helpers for the runner benchmarks (run with `node bench/<file>.ts`: Node 24 strips the types).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentConfig } from '@habitat/config';

export function tempDir(prefix = 'habitat-bench-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** A fully resolved agent (the same defaults the runner tests use). */
export function agentWith(overrides: Partial<AgentConfig> & Pick<AgentConfig, 'run'>): AgentConfig {
  return {
    name: 'bench-agent',
    file: '/dev/null',
    repo: { kind: 'path', path: tempDir('habitat-bench-repo-') },
    schedule: { kind: 'manual' },
    wake: { mode: 'agent', minMs: 0, maxMs: 7 * 86_400_000 },
    credentials: [],
    isolation: { backend: 'local', image: 'habitat-test:latest', network: 'none' },
    timeoutMs: 120_000,
    graceMs: 500,
    overlap: { mode: 'skip', max: 1 },
    retry: { max: 0, backoffMs: 1000, maxBackoffMs: 1000 },
    rateLimit: { backoffMs: 1000, maxBackoffMs: 1000 },
    missed: { policy: 'skip', deadlineMs: 1000 },
    env: {},
    knowledge: { context: false, budgetTokens: 1500, extract: false, tags: [] },
    logs: {},
    gitCommit: false,
    ...overrides,
  };
}

export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export const median = (values: number[]): number => quantile(values, 0.5);

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** A markdown table row. */
export function row(cells: (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

export const ms = (v: number): string => `${v.toFixed(1)} ms`;

/** Stop a benchmark that runs past its budget (a hung engine must not hang the bench). */
export function deadline(seconds: number, what: string): void {
  setTimeout(() => {
    process.stderr.write(`${what}: gave up after ${seconds}s\n`);
    process.exit(1);
  }, seconds * 1000).unref();
}
