import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentConfig } from '@habitat/config';
import { testAgent } from '@habitat/testkit';

export function tempDir(prefix = 'habitat-runner-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** A fully resolved agent with test-friendly defaults. */
export function agentWith(overrides: Partial<AgentConfig> & Pick<AgentConfig, 'run'>): AgentConfig {
  return testAgent(overrides);
}

export const sh = (script: string): AgentConfig['run'] => ({
  kind: 'command',
  command: ['sh', '-c', script],
});
