import type { AgentConfig } from '@habitat/config';
import type { Logger } from 'pino';
import type { BackendName } from './backend.js';

/** Why a run started. */
export type RunTrigger = 'schedule' | 'manual' | 'wake' | 'retry' | 'missed' | 'adopted' | (string & {});

/** How a run ended. `lost`: the coordinator lost track of it (set by the scheduler on reconciliation). */
export type RunStatus =
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'timed-out'
  | 'cancelled'
  | 'rate-limited'
  | 'error-before-start'
  | 'lost';

/** What Claude Code's stream-json told us about a run. */
export interface AgentSummary {
  sessionId?: string;
  model?: string;
  turns?: number;
  /** tool name -> calls */
  toolsUsed: Record<string, number>;
  costUsd?: number;
  /** the `result` event's subtype, e.g. `success`, `error_max_turns` */
  resultSubtype?: string;
  /** the `result` event's is_error: a run can say `success` and still be an error */
  isError?: boolean;
  apiErrorStatus?: number;
  apiRetries?: number;
  /** the usage limit the run met or was warned about (see limits.ts for how the signals combine) */
  rateLimit?: RateLimitSummary;
  /** tokens of the run (the `result` event's usage) */
  tokens?: { input: number; output: number; cacheRead: number; cacheCreation: number };
  /** lines that were not JSON or had an unknown type: kept in the log, counted here */
  unknownEvents: number;
}

/** One usage window of an account, as Claude last reported it. */
export interface LimitWindow {
  /** `allowed`, `allowed_warning`, `rejected` */
  status?: string;
  /** 0..1 */
  utilization?: number;
  resetsAt?: string;
}

export interface RateLimitSummary {
  status?: string;
  resetsAt?: string;
  /** `five_hour`, `seven_day`, ... */
  type?: string;
  utilization?: number;
  overageStatus?: string;
  /** every window the signal described, by type */
  windows?: Record<string, LimitWindow>;
  /** the most trusted signal it came from */
  source: 'event' | 'result' | 'legacy-text' | 'text' | 'api-error';
}

export interface RunResult {
  /** ULID: time-sortable */
  runId: string;
  agent: string;
  trigger: RunTrigger;
  backend: BackendName;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  exitCode: number | null;
  signal: string | null;
  status: Exclude<RunStatus, 'running'>;
  /** when the agent asked to be woken (its wake file), or when its rate limit resets */
  wakeAt?: string;
  wakeReason?: string;
  /** non-fatal problems: a bad wake file, an unreadable credential for scrubbing, a failed git commit */
  warnings: string[];
  logPath: string;
  summary: AgentSummary;
  /** why it failed before or around the agent, scrubbed */
  error?: { code: string; message: string };
  /** set by the Docker backend */
  containerId?: string;
  /** the backend's id for the run (container id, swarm service id) */
  ref?: string;
  /** the commit the git audit trail made, if any */
  commit?: string;
  /** the Claude session this run continued (`claude --resume`) */
  resumedSession?: string;
  /** lessons the run submitted through its learn file (`habitat learn`), scrubbed; stored by the CLI */
  learnings?: { text: string; tags: string[] }[];
}

/** A parsed Claude Code stream-json event, reduced to what people and the scheduler care about. */
export interface AgentEvent {
  type: string;
  subtype?: string;
  /** e.g. a tool call: `{ tool: 'Bash', input: {...} }` */
  tool?: string;
  input?: unknown;
  text?: string;
  raw: unknown;
}

export type RunEvent =
  | {
      type: 'started';
      runId: string;
      agent: string;
      time: string;
      backend: BackendName;
      logPath: string;
      containerId?: string;
      pid?: number;
      /** the backend's id for the run (container id, swarm service id) */
      ref?: string;
    }
  | { type: 'output'; runId: string; agent: string; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'agent-event'; runId: string; agent: string; event: AgentEvent }
  | { type: 'exited'; runId: string; agent: string; result: RunResult };

export interface StartRunOptions {
  /** absolute state dir (`<root>/.habitat`) */
  stateDir: string;
  trigger?: RunTrigger;
  /** reuse an id the caller already recorded (the scheduler writes the record before launching) */
  runId?: string;
  signal?: AbortSignal;
  logger?: Logger;
  /** extra environment for the agent */
  env?: Record<string, string>;
  /** text put before a claude agent's prompt (e.g. the knowledge brief) */
  prelude?: string;
  /** override the agent's timeout */
  timeoutMs?: number;
  /** the clock, for tests */
  now?: () => Date;
  /** continue a Claude conversation (`claude --resume <sessionId>`) with this prompt instead of the agent's */
  resume?: { sessionId: string; prompt: string };
}

export interface RunHandle {
  runId: string;
  agent: AgentConfig;
  /** every event of the run, in order; each iteration starts from the first event */
  events: AsyncIterable<RunEvent>;
  /** listen to events as they happen; returns an unsubscribe function */
  on(listener: (event: RunEvent) => void): () => void;
  /** how the run ended; never rejects */
  result: Promise<RunResult>;
  /** cancel the run (same as aborting `signal`) */
  cancel(reason?: string): void;
}
