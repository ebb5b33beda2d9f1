// A run made in the foreground (`habitat run` with no daemon up) recorded like a daemon's run: history,
// status, stats and the TUI see it, and its wake request (or retry, or rate-limit back-off) plans the agent's
// next run, so the first `habitat up` after it honours it instead of running the agent at once.
import type { AgentConfig } from '@habitat/config';
import type { RunResult } from '@habitat/runner';
import { initialPlan, planAfterRun } from './plan.js';
import { openStore } from './store.js';

/** Record a finished foreground run in `stateDir`'s scheduler state (created if missing). */
export function recordForegroundRun(
  stateDir: string,
  agent: AgentConfig,
  result: RunResult,
  now: number = Date.now(),
): void {
  const store = openStore(stateDir);
  try {
    store.transaction(() => {
      if (!store.run(result.runId)) {
        store.insertRun({
          id: result.runId,
          agent: agent.name,
          trigger: result.trigger,
          status: 'running',
          queued_at: Date.parse(result.startedAt),
        });
      }
      store.markStarted(result.runId, Date.parse(result.startedAt), result.backend, result.logPath);
      store.finishRun(result.runId, result);
      const plan = store.plan(agent.name) ?? initialPlan(agent, now);
      const { plan: next, wake } = planAfterRun(agent, plan, result, now);
      store.upsertPlan(next);
      if (wake) store.setWake(agent.name, wake.at, wake.reason, wake.source, result.runId, now);
    });
  } finally {
    store.close();
  }
}
