// Whether an agent gets a knowledge brief before its run: one test for the daemon's layers and `habitat run`.
// Kept apart from layers.ts so the one-file run bundle (dist/fast/run.js) can ask it without loading knowledge,
// sessions, YAML and zod: only the agents that answer yes import layers.js.
import type { AgentConfig } from '@habitat/config';

/** An agent that runs `claude` (its run has a prompt). */
export type ClaudeAgent = AgentConfig & { run: Extract<AgentConfig['run'], { kind: 'claude' }> };

/** A claude agent with `knowledge.context`: its prompt can be briefed (other runners take no brief). */
export function wantsKnowledgeBrief(agent: AgentConfig): agent is ClaudeAgent {
  return agent.knowledge.context && agent.run.kind === 'claude';
}
