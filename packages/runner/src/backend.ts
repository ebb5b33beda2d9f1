// The one interface every isolation kind implements. `startRun` and the scheduler's adoption code talk
// to a Backend and never ask which one it is; a new kind (Kubernetes Jobs) is one more implementation
// registered in backends.ts (README: "Adding a backend").
import type { AgentConfig, Isolation } from '@habitat/config';

export type BackendName = Isolation['backend'];

export type OutputSink = ((stream: 'stdout' | 'stderr', chunk: Buffer) => void) & {
  /**
   * The run log this sink writes (an `a`-mode fd), when it writes one: what a local run's wrapper drained is
   * then handed on to it exactly once, even across a kill -9 (drain-handoff.ts).
   */
  readonly logFd?: number;
};

/** How a run ended, as the backend saw it. */
export interface BackendExit {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  pid?: number;
  containerId?: string;
  /** the backend's id for the run: pid, container id, service id */
  ref?: string;
  /** what the backend noticed that the result should carry (e.g. a repeated swarm task) */
  warnings?: string[];
}

/** What identifies a started run on its backend (recorded so a restarted coordinator can find it). */
export interface BackendStarted {
  pid?: number;
  containerId?: string;
  /** container id, service id...: what `findLive`/`follow` know the run by */
  ref?: string;
}

/** A credential file the agent reads (mounted read-only, mode 0400, owned by the agent's user). */
export interface CredentialFile {
  name: string;
  content: string;
  /** where `startRun` wrote it for backends that bind-mount host files */
  hostPath: string;
  /** where the agent sees it inside a container (`/run/secrets/<name>`) */
  containerPath: string;
}

/** Everything a backend needs to start one run; built once by `startRun` (prepare). */
export interface RunSpec {
  runId: string;
  agent: AgentConfig;
  /** the coordinator's state dir: runs are labelled with it so a restart finds its own */
  stateDir: string;
  /** the agent as a host process (local backend: host paths) */
  process: {
    command: string;
    args: string[];
    cwd: string;
    env: Record<string, string>;
    stdin?: string;
    uid?: number;
    gid?: number;
  };
  /** the agent in a container (container paths; host directories to mount) */
  container: {
    image: string;
    cmd: string[];
    workingDir: string;
    /** the agent's environment, `as: env` credential values included (see `secretEnv`) */
    env: Record<string, string>;
    /** host:container[:mode] bind mounts (repo, run dir, Claude home); credential files are in `credentialFiles` */
    binds: string[];
    user?: string;
    network: string;
    memoryBytes?: number;
    cpus?: number;
    pids?: number;
    /** capabilities given back; a container drops all others */
    capAdd?: string[];
    placement?: string[];
    labels: Record<string, string>;
    stdin?: string;
  };
  /** `as: env` credential values by variable: a backend whose spec is visible (swarm) delivers these apart */
  secretEnv: Record<string, string>;
  credentialFiles: CredentialFile[];
  timeoutMs: number;
  graceMs: number;
}

/** A started run. */
export interface BackendRun {
  started: BackendStarted;
  /** resolves when the run has ended and all its output went to the sink; rejects only on a backend failure */
  exit: Promise<BackendExit>;
  /** stop it (graceful, then forced after the grace period); `startRun` calls this on timeout and cancel */
  stop(why: 'timeout' | 'cancel'): void;
}

/** A run a (previous) coordinator started that the backend still has. */
export interface LiveRun {
  backend: BackendName;
  runId: string;
  agent: string;
  /** container id, service id... */
  ref: string;
  state: string;
  createdAt: string;
}

/** What a coordinator knows about an in-flight run it cannot follow (from its record). */
export interface AbandonedRun {
  runId: string;
  pid?: number | null;
  ref?: string | null;
}

export interface Backend {
  readonly name: BackendName;
  /** does the agent see container paths (`/work`, `/habitat/run`) rather than host paths */
  readonly inContainer: boolean;
  /** start a run; rejects with a RunError when it cannot start (nothing is left behind then) */
  start(spec: RunSpec, onOutput: OutputSink): Promise<BackendRun>;
  /** this coordinator's runs the backend still has (running or finished but not yet collected) */
  findLive(scope: { stateDir: string }): Promise<LiveRun[]>;
  /** follow a live run to its end (its output from the start), then remove what is left of it */
  follow(run: LiveRun, onOutput: OutputSink, scope?: { stateDir: string }): Promise<BackendExit>;
  /** stop whatever is left of a run that cannot be followed; says what happened, for the record */
  abandon(run: AbandonedRun): Promise<string>;
  /**
   * What is known of a run that is no longer live (its coordinator was killed): whether the agent ever
   * started, and its exit code if the backend kept one. A run that never started is safe to start again;
   * one that did is never run twice. Without this method a run counts as started, exit code unknown.
   */
  ended?(run: AbandonedRun & { stateDir: string }): {
    started: boolean;
    exitCode?: number;
    /** when it ended (epoch ms), where the backend kept that with the exit code */
    endedAt?: number;
  };
  /**
   * Remove what no open run needs any more (a repeated run's leftovers, unused secrets). Returns a line
   * per thing removed, for the log.
   */
  cleanup(scope: { stateDir: string; openRunIds: ReadonlySet<string> }): Promise<string[]>;
  /** wait for clean-up a backend does in the background after results are given (a stopping coordinator) */
  settle?(): Promise<void>;
}
