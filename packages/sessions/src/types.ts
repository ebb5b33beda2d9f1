/** Where a session came from. */
export type SessionSource = 'claude' | 'codex' | 'cursor' | 'habitat';

/** One indexed session: a Claude Code transcript file, a subagent transcript, a Codex rollout, a Cursor composer, a habitat run log. */
export interface Session {
  id: string;
  source: SessionSource;
  /** file (or `state.vscdb#composerId`) it was read from */
  path: string;
  /** the project: the working directory when known, else the Claude project folder name */
  project?: string;
  cwd?: string;
  branch?: string;
  title?: string;
  /** ISO times of the first and last event */
  firstAt?: string;
  lastAt?: string;
  models: string[];
  tokens: TokenCounts;
  /** USD, from a small price table (Claude models) or the run's own report; undefined when not derivable */
  costUsd?: number;
  /** habitat agent that ran it (from `<stateDir>/claude/<agent>/` or the run record) */
  agent?: string;
  runId?: string;
  /** for subagent transcripts: the session that started it, and the Task tool call */
  parentId?: string;
  parentToolUseId?: string;
  agentId?: string;
  events: number;
  toolCalls: number;
  toolErrors: number;
  /** lines that were not JSON, and records of a type this version does not know */
  malformed: number;
  unknown: number;
}

export interface TokenCounts {
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
}

export type EventRole = 'user' | 'assistant' | 'tool' | 'system' | 'meta';

/**
 * What one event is. `prompt`: text a person (or the runner) sent; `text`/`thinking`/`tool_use`: the model's;
 * `tool_result`: a tool's answer; `summary`/`compact`: summaries and compaction; the rest are bookkeeping records.
 */
export type EventKind =
  | 'prompt'
  | 'text'
  | 'thinking'
  | 'tool_use'
  | 'tool_result'
  | 'summary'
  | 'compact'
  | 'system'
  | 'attachment'
  | 'queue'
  | 'last-prompt'
  | 'snapshot'
  | 'progress'
  | 'result'
  | 'meta';

export type FileOp = 'read' | 'write' | 'edit';

export interface FileTouch {
  path: string;
  op: FileOp;
}

/** One step of a session, in order (`seq`). Text fields are redacted before they are stored. */
export interface SessionEvent {
  id: number;
  sessionId: string;
  seq: number;
  time?: string;
  role: EventRole;
  kind: EventKind;
  text?: string;
  thinking?: string;
  toolName?: string;
  toolUseId?: string;
  /** tool call input (tool_use events) */
  input?: unknown;
  isError?: boolean;
  model?: string;
  uuid?: string;
  parentUuid?: string;
  /** a subagent's step (Claude Code `isSidechain`) */
  sidechain: boolean;
  files: FileTouch[];
  commands: string[];
}

/** Where to look for sessions. Every list is optional; `defaults` adds the usual locations. */
export interface SessionSources {
  /** Claude Code config dirs (each holding `projects/`) */
  claude?: string[];
  /** Codex homes (each holding `sessions/`) */
  codex?: string[];
  /** Cursor user-data dirs (holding `User/globalStorage/state.vscdb`) or `state.vscdb` files */
  cursor?: string[];
  /** habitat state dir: its `claude/*` homes and `logs/` are indexed, agents linked */
  stateDir?: string;
  /** add `$CLAUDE_CONFIG_DIR` or `~/.claude`, `~/.codex`, and Cursor's default data dir (default true) */
  defaults?: boolean;
}
