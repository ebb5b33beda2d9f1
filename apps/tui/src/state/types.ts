// View-model shapes the TUI reads from the daemon's protocol and the libraries' records. Structural and
// lenient on purpose: an event from an older or newer daemon must never crash the screen.

/** A line on the daemon's event stream: `{ event, time, ...fields }`. */
export interface DaemonEventLike {
  event: string;
  time: string;
  agent?: string;
  runId?: string;
  [key: string]: unknown;
}

/** The parts of the runner's `RunResult` the TUI shows. */
export interface RunResultLike {
  runId?: string;
  agent?: string;
  status?: string;
  exitCode?: number | null;
  durationMs?: number;
  endedAt?: string;
  startedAt?: string;
  wakeAt?: string;
  wakeReason?: string;
  logPath?: string;
  summary?: { costUsd?: number; turns?: number; toolsUsed?: Record<string, number>; model?: string };
  error?: { code: string; message: string };
}

/** A run in an agent's history (the scheduler's run record). */
export interface RunRecord {
  id: string;
  agent: string;
  trigger: string;
  status: string;
  started_at: number | null;
  ended_at: number | null;
  duration_ms: number | null;
  exit_code: number | null;
  cost_usd: number | null;
  log_path: string | null;
}

/** A parsed agent event as the daemon forwards it (`run.agent-event`). */
export interface AgentEventLike {
  type: string;
  subtype?: string;
  tool?: string;
  input?: unknown;
  text?: string;
}

/**
 * One wire message as an event. The daemon spreads a `run.agent-event`'s payload over the message, so its
 * `event` key holds the parsed agent event (an object) instead of the type name: recognised and renamed
 * here (`agentEvent`), so the rest of the TUI sees one shape either way.
 */
export function normalizeEvent(message: Record<string, unknown>): DaemonEventLike | undefined {
  const time = typeof message.time === 'string' ? message.time : new Date().toISOString();
  if (typeof message.event === 'string') return { ...message, event: message.event, time };
  if (message.event && typeof message.event === 'object' && typeof message.runId === 'string') {
    return { ...message, event: 'run.agent-event', agentEvent: message.event, time };
  }
  return undefined;
}
