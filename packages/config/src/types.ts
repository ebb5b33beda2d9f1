/**
 * Resolved, typed agent definitions: what the rest of habitat consumes.
 *
 * Files on disk (`habitat.yaml`, `agents/*.yaml`) are parsed and validated by the zod schema in
 * `schema.ts`; `resolve.ts` turns them into these types: defaults from `habitat.yaml` merged in,
 * durations in milliseconds, sizes in bytes, paths absolute.
 */

import type { NOTIFY_EVENTS } from './notify-events.js';

/** Where the agent's habitat (its git repo) lives. */
export type RepoSource =
  | { kind: 'path' /** absolute path of the habitat repo */; path: string }
  | {
      kind: 'git';
      url: string;
      ref: string;
      /** absolute path of the local checkout, inside the state dir (`<stateDir>/repos/<agent>`) */
      path: string;
    };

/** What one run executes, relative to the habitat repo (its working directory). */
export type RunSpec =
  | {
      kind: 'claude';
      /** prompt file, relative to the repo; its text goes to `claude` on stdin */
      prompt: string;
      /** e.g. `sonnet`, `opus`, or a full model id */
      model?: string;
      /** extra flags appended to the claude command line */
      args: string[];
      /** `stream-json` (default, parsed live), `json` or `text` */
      outputFormat: 'stream-json' | 'json' | 'text';
      /** pass `--dangerously-skip-permissions` (default true: runs are unattended) */
      skipPermissions: boolean;
    }
  | { kind: 'script' /** script path relative to the repo */; script: string; args: string[] }
  | { kind: 'command' /** argv, no shell */; command: string[] };

export type Schedule =
  | {
      kind: 'cron';
      cron: string /** IANA zone; undefined = coordinator's local zone */;
      timezone?: string;
      jitterMs: number;
    }
  | { kind: 'every'; everyMs: number; jitterMs: number }
  | { kind: 'manual' };

/** Whether and how an agent may pace itself through wake requests. */
export interface WakePolicy {
  /** `agent`: honour the agent's wake requests; `ignore`: the schedule alone decides */
  mode: 'agent' | 'ignore';
  /** a request sooner than this is pushed out to it */
  minMs: number;
  /** a request later than this is pulled in to it */
  maxMs: number;
}

export interface Credential {
  /** credential name: `/run/secrets/<name>` when delivered as a file */
  name: string;
  /** where the value comes from on the host */
  source: { kind: 'file'; path: string } | { kind: 'env'; variable: string };
  /** `env`: the value in an environment variable (`envName`); `file`: a read-only file */
  as: 'env' | 'file';
  /**
   * For `as: env`: the variable the agent sees. Defaults to the source variable, or NAME in upper
   * snake case. A source file in `.env` format (`KEY=value` lines) delivers each of its keys.
   */
  envName: string;
}

export interface Isolation {
  backend: 'docker' | 'local' | 'swarm';
  /** Docker image (docker and swarm backends) */
  image: string;
  /** user the agent runs as (`uid:gid` or a name); never root for claude agents */
  user?: string;
  /** Docker network mode: `none`, `host`, `bridge` or a network name */
  network: string;
  /** memory limit in bytes */
  memoryBytes?: number;
  cpus?: number;
  pids?: number;
  /** capabilities a container gets back (every other one is dropped) */
  capAdd?: string[];
  /** Swarm placement constraints (`node.labels.x==y`, `node.role==worker`) */
  placement?: string[];
}

export interface OverlapPolicy {
  /** `skip` a fire while a run is going; `queue` at most one pending; `allow` up to `max` at once */
  mode: 'skip' | 'queue' | 'allow';
  max: number;
}

export interface RetryPolicy {
  /** retries after a failed run (0 = none) */
  max: number;
  backoffMs: number;
  maxBackoffMs: number;
}

export interface RateLimitPolicy {
  /** back-off when a rate-limited run gives no reset time; doubled each time up to `maxBackoffMs` */
  backoffMs: number;
  maxBackoffMs: number;
  /** a Claude run limited with a known reset continues its conversation (`--resume`) at reset + margin */
  resume?: boolean;
  /** how long after the reset the resumed run starts (plus the schedule's jitter) */
  marginMs?: number;
  /** the continuation prompt of a resumed run */
  prompt?: string;
  /** defer `priority: low` runs while their account reports utilization >= pace (0..1) or a warning */
  pace?: number;
}

export type Priority = 'low' | 'normal' | 'high';

export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** Where a notification goes: a webhook (JSON POST) or a command (JSON on stdin). */
export type NotifyTarget = ({ kind: 'webhook'; url: string } | { kind: 'command'; command: string[] }) & {
  /** the events it receives */
  on: NotifyEvent[];
  /** needs-attention fires at this many consecutive failures */
  after: number;
};

export interface MissedPolicy {
  /** after downtime: `skip` missed slots, or run `once` if the newest missed slot is within `deadlineMs` */
  policy: 'skip' | 'once';
  deadlineMs: number;
}

export interface KnowledgeOptions {
  /** hand a brief of relevant learnings to the agent at the start of each run */
  context: boolean;
  /** token budget of that brief */
  budgetTokens: number;
  /** extract learnings from the agent's sessions after each run */
  extract: boolean;
  project?: string;
  tags: string[];
}

export interface LogRetention {
  /** keep run logs this long (ms); undefined = forever */
  maxAgeMs?: number;
  /** keep at most this many run logs per agent; undefined = no limit */
  maxRuns?: number;
}

/** One agent, fully resolved. */
export interface AgentConfig {
  /** from the file name: `agents/twitter-feed.yaml` -> `twitter-feed` */
  name: string;
  /** absolute path of the agent file */
  file: string;
  description?: string;
  repo: RepoSource;
  run: RunSpec;
  schedule: Schedule;
  wake: WakePolicy;
  credentials: Credential[];
  isolation: Isolation;
  timeoutMs: number;
  /** SIGTERM -> SIGKILL grace period */
  graceMs: number;
  overlap: OverlapPolicy;
  retry: RetryPolicy;
  rateLimit: RateLimitPolicy;
  missed: MissedPolicy;
  env: Record<string, string>;
  knowledge: KnowledgeOptions;
  logs: LogRetention;
  /** commit what a run changed in the agent repo (git audit trail) */
  gitCommit: boolean;
  /** `low` agents are deferred first when their account nears its limit (default `normal`) */
  priority?: Priority;
  /** habitat.yaml's notifications, then the agent's own */
  notify?: NotifyTarget[];
}

/** Coordinator-wide settings from `habitat.yaml` (all optional in the file). */
export interface CoordinatorSettings {
  /** absolute path of the coordinator root */
  root: string;
  /** absolute path of the state dir (default `<root>/.habitat`) */
  stateDir: string;
  /** absolute path of the agents dir (default `<root>/agents`) */
  agentsDir: string;
  /** absolute path of the knowledge dir (default `<root>/knowledge`) */
  knowledgeDir: string;
  /** global cap on concurrent runs */
  maxConcurrentRuns: number;
  /** extra session sources for `@habitat/sessions` */
  sessions: {
    claude: string[];
    cursor: string[];
    codex: string[];
    /** include the default locations (`~/.claude`, `~/.codex`, Cursor's) */
    defaults: boolean;
  };
  /** notifications for every agent (each agent's `notify` adds its own) */
  notify?: NotifyTarget[];
  /** the HTTP API (`habitat up --http`) */
  http?: { listen: string; public: boolean };
  /** the knowledge base: an optional embeddings endpoint fused with BM25 */
  knowledge?: {
    embeddings?: { url: string; model: string; apiKeyEnv?: string; denseWeight?: number; minCosine?: number };
  };
}

export type DiagnosticCode =
  | 'yaml-syntax'
  | 'unknown-key'
  | 'invalid-type'
  | 'invalid-value'
  | 'missing-key'
  | 'duplicate-agent'
  | 'missing-file'
  | 'missing-credential'
  | 'invalid-timezone'
  | 'invalid-cron'
  | 'invalid-duration'
  | 'invalid-size'
  | 'file-too-large';

/** A problem in one file, precise enough to fix without reading the docs. */
export interface Diagnostic {
  code: DiagnosticCode;
  severity: 'error' | 'warning';
  /** absolute path */
  file: string;
  /** 1-based; 0 when the problem is the file as a whole */
  line: number;
  column: number;
  /** key path, e.g. `schedule.cron` ('' for the whole file) */
  path: string;
  /** what was wrong */
  message: string;
  /** what is allowed / how to fix it */
  hint?: string;
}

export interface Coordinator {
  settings: CoordinatorSettings;
  /** every valid agent, sorted by name */
  agents: AgentConfig[];
  /** one or more per invalid file; never stops the valid ones from loading */
  diagnostics: Diagnostic[];
}
