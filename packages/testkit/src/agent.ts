import type { AgentConfig } from '@habitat/config';
import { testdir } from './fixtures.js';

/** A fully resolved agent with test-friendly defaults (a local `true` command in a fresh temp repo). */
export function testAgent(overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    name: 'test-agent',
    file: '/dev/null',
    repo: { kind: 'path', path: testdir({}, 'habitat-repo-') },
    run: { kind: 'command', command: ['true'] },
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
