// Resume after the limit: a Claude run that ends rate-limited with a known reset and a session id is
// continued (`claude --resume <id>`) at reset + margin + the agent's jitter, exactly once. A resumed run
// that is limited again is planned as any limited run (sleep until the reset, or back off).
import { type AgentConfig, DEFAULTS, jitterFor } from '@habitat/config';
import type { RunResult } from '@habitat/runner';
import type Database from 'better-sqlite3';
import type { Wake } from './plan.js';
import type { PlanRow } from './store.js';

export const RESUME_TRIGGER = 'resume';

export interface ResumeRow {
  agent: string;
  session_id: string;
  /** the limited run whose conversation is continued */
  limited_run_id: string;
  reset_at: number;
  due_at: number;
  created_at: number;
}

/** The resume table lives beside the scheduler's own (one database, one writer: the daemon). */
export class Resumes {
  private readonly stmts;

  constructor(db: Database.Database) {
    if (!db.readonly)
      db.exec(`CREATE TABLE IF NOT EXISTS resumes (
        agent TEXT PRIMARY KEY,
        session_id TEXT NOT NULL,
        limited_run_id TEXT NOT NULL,
        reset_at INTEGER NOT NULL,
        due_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      )`);
    this.stmts = db.readonly
      ? undefined
      : {
          get: db.prepare('SELECT * FROM resumes WHERE agent = ?'),
          put: db.prepare(
            `INSERT INTO resumes (agent, session_id, limited_run_id, reset_at, due_at, created_at)
             VALUES (@agent, @session_id, @limited_run_id, @reset_at, @due_at, @created_at)
             ON CONFLICT(agent) DO UPDATE SET session_id = excluded.session_id,
               limited_run_id = excluded.limited_run_id, reset_at = excluded.reset_at,
               due_at = excluded.due_at, created_at = excluded.created_at`,
          ),
          drop: db.prepare('DELETE FROM resumes WHERE agent = ?'),
        };
  }

  get(agent: string): ResumeRow | undefined {
    return this.stmts?.get.get(agent) as ResumeRow | undefined;
  }

  /** What a resumed run of `agent` is told: the session and the continuation prompt. */
  spec(agent: AgentConfig): { sessionId: string; prompt: string } | undefined {
    const row = this.get(agent.name);
    return row
      ? { sessionId: row.session_id, prompt: agent.rateLimit.prompt ?? DEFAULTS.rateLimit.prompt }
      : undefined;
  }

  /**
   * After a run: when it qualifies, plan the resumption (replacing the plan and wake `planAfterRun` made)
   * and remember the session; a finished resumed run uses its resumption up. Call inside the finish
   * transaction.
   */
  afterRun(
    agent: AgentConfig,
    result: RunResult,
    planned: { plan: PlanRow; wake?: Wake },
    now: number,
  ): { plan: PlanRow; wake?: Wake } {
    if (!this.stmts) return planned;
    // A resumed run that ended uses the resumption up; a lost one keeps it, to be planned again.
    if (result.trigger === RESUME_TRIGGER && result.status !== 'lost') this.stmts.drop.run(agent.name);
    const due = resumeAt(agent, result);
    if (due === undefined || result.trigger === RESUME_TRIGGER) return planned;
    this.stmts.put.run({
      agent: agent.name,
      session_id: result.summary.sessionId!,
      limited_run_id: result.runId,
      reset_at: Date.parse(result.summary.rateLimit!.resetsAt!),
      due_at: due,
      created_at: now,
    });
    return {
      plan: { ...planned.plan, next_at: due, next_reason: 'resume', slot_at: null },
      wake: {
        at: due,
        reason: `resume session ${result.summary.sessionId} after the ${result.summary.rateLimit?.type ?? 'usage'} limit resets`,
        source: 'rate-limit',
      },
    };
  }
}

/** When a limited run should be resumed, or undefined when it should not (or cannot) be. */
export function resumeAt(
  agent: AgentConfig,
  result: Pick<RunResult, 'status' | 'summary'>,
): number | undefined {
  if (!agent.rateLimit.resume || agent.run.kind !== 'claude' || result.status !== 'rate-limited')
    return undefined;
  const resetsAt = result.summary.rateLimit?.resetsAt;
  if (!resetsAt || !result.summary.sessionId) return undefined;
  const reset = Date.parse(resetsAt);
  if (Number.isNaN(reset)) return undefined;
  const jitterMs = agent.schedule.kind === 'manual' ? 0 : agent.schedule.jitterMs;
  return (
    reset +
    (agent.rateLimit.marginMs ?? DEFAULTS.rateLimit.marginMs) +
    jitterFor(agent.name, new Date(reset), jitterMs)
  );
}
