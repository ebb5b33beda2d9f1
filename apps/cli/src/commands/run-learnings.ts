// Lessons a run submitted through its learn file (`habitat learn` inside a run): stored in the knowledge base
// when the run ends, as that run's, that agent's — the identity comes from the run's record, never from what the
// agent says (it could claim another agent's name in its environment). The run never gets the state dir.
import {
  type AgentConfig,
  type CoordinatorSettings,
  loadCoordinator,
  readCredentialValues,
} from '@habitat/config';
import { formsOf, type RunResult } from '@habitat/runner';
import type { Daemon } from '@habitat/scheduler';
import type { Logger } from 'pino';

/** Store `result.learnings` (if any) for `agent`; returns how many were added or merged. */
export async function storeRunLearnings(
  settings: CoordinatorSettings,
  agent: AgentConfig,
  result: Pick<RunResult, 'runId' | 'agent' | 'learnings'>,
): Promise<number> {
  const learnings = result.learnings ?? [];
  if (learnings.length === 0 || result.agent !== agent.name) return 0;
  const { openKnowledge, addLearning } = await import('@habitat/knowledge');
  const secrets = (await readCredentialValues(agent).catch(() => [])).flatMap((c) =>
    c.values.flatMap(formsOf),
  );
  const { index } = await openKnowledge({ stateDir: settings.stateDir, knowledgeDir: settings.knowledgeDir });
  try {
    for (const l of learnings) {
      await addLearning(index, settings.knowledgeDir, {
        text: l.text,
        tags: l.tags,
        secrets,
        scope: { kind: 'agent', name: agent.name },
        provenance: { source: 'explicit', agent: agent.name, runId: result.runId },
      });
    }
  } finally {
    index.close();
  }
  return learnings.length;
}

/** After every run the daemon records: store the lessons it submitted (one run at a time). */
export function subscribeRunLearnings(daemon: Daemon, root: string, logger: Logger): void {
  let pass: Promise<void> = Promise.resolve();
  daemon.onEvent((event) => {
    if (event.event !== 'run.finished') return;
    const result = event.result as RunResult | undefined;
    if (!result?.learnings?.length) return;
    pass = pass.then(async () => {
      try {
        const { agents, settings } = await loadCoordinator(root);
        const agent = agents.find((a) => a.name === result.agent);
        if (!agent) return;
        const stored = await storeRunLearnings(settings, agent, result);
        logger.info(
          { event: 'knowledge.learned', agent: result.agent, runId: result.runId, learnings: stored },
          `stored ${stored} lesson(s) of run ${result.runId}`,
        );
      } catch (error) {
        logger.warn(
          { event: 'knowledge.learn-failed', runId: result.runId, err: (error as Error).message },
          "a run's lessons could not be stored",
        );
      }
    });
  });
}
