// A run made in the foreground (`habitat run` with no daemon up) recorded like a daemon's run: history,
// status, stats and the TUI see it, and its wake request (or retry, or rate-limit back-off) plans the agent's
// next run, so the first `habitat up` after it honours it instead of running the agent at once.
import path from 'node:path';
import type { AgentConfig } from '@habitat/config';
import type { RunResult } from '@habitat/runner';
import { initialPlan, planAfterRun } from './plan.js';
import { DB_FILE, openStore, type Store, stateError } from './store.js';

/** Where a foreground run is recorded: the store is opened ahead (while the run goes), written at its end. */
export interface ForegroundRecorder {
  /** record the finished run and close the store; throws what opening or writing met */
  record(agent: AgentConfig, result: RunResult, now?: number): void;
}

/**
 * Open `stateDir`'s scheduler state (created if missing) for a foreground run. Never throws: a failure to open
 * is thrown by `record`, where the caller reports it with the run.
 */
export function openForegroundRecorder(stateDir: string): ForegroundRecorder {
  let store: Store | undefined;
  let failure: unknown;
  try {
    store = openStore(stateDir, { lean: true });
  } catch (error) {
    failure = error;
  }
  return {
    record(agent, result, now = Date.now()) {
      if (!store) throw failure;
      try {
        writeRun(store, agent, result, now);
      } catch (error) {
        throw stateError(path.join(stateDir, DB_FILE), error);
      } finally {
        store.close();
      }
    },
  };
}

/** Record a finished foreground run in `stateDir`'s scheduler state (created if missing). */
export function recordForegroundRun(
  stateDir: string,
  agent: AgentConfig,
  result: RunResult,
  now: number = Date.now(),
): void {
  openForegroundRecorder(stateDir).record(agent, result, now);
}

function writeRun(store: Store, agent: AgentConfig, result: RunResult, now: number): void {
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
}
