import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentConfig } from '@habitat/config';

export function tempDir(prefix = 'habitat-runner-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** A fully resolved agent with test-friendly defaults. */
export function agentWith(overrides: Partial<AgentConfig> & Pick<AgentConfig, 'run'>): AgentConfig {
  return {
    name: 'test-agent',
    file: '/dev/null',
    repo: { kind: 'path', path: tempDir('habitat-repo-') },
    schedule: { kind: 'manual' },
    wake: { mode: 'agent', minMs: 0, maxMs: 7 * 86_400_000 },
    credentials: [],
    isolation: { backend: 'local', image: 'habitat-test:latest', network: 'none' },
    timeoutMs: 20_000,
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

export const sh = (script: string): AgentConfig['run'] => ({
  kind: 'command',
  command: ['sh', '-c', script],
});
