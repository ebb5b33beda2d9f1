// One run of one agent: credentials read, command built, backend started, output scrubbed and kept,
// Claude's stream parsed, wake request read, result recorded. Never throws: failures are results.

import { closeSync, openSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type AgentConfig, readCredentialValues, runUserOf } from '@habitat/config';
import { ulid } from 'ulid';
import type { Backend, BackendExit, CredentialFile, OutputSink, RunSpec } from './backend.js';
import { backendFor, driveRun } from './backends.js';
import { LABEL_AGENT, LABEL_RUN, LABEL_STATE } from './docker.js';
import { RunError } from './errors.js';
import { EventBus } from './event-bus.js';
import { commitRunChanges, type RepoSnapshot, snapshotRepo } from './git-audit.js';
import { readLearnFile } from './learn-file.js';
import { resumeArgv } from './limits.js';
import { pruneLogs, type RunPaths, runPaths, writeResultRecord } from './log-file.js';
import { ensureRepo } from './repo.js';
import { claimRunFiles, removeRunFiles, removeRunSecrets, secretsDirOf } from './run-files.js';
import { RunOutput } from './run-output.js';
import { type Secret, scrubTree } from './scrub.js';
import type { RunEvent, RunHandle, RunResult, RunTrigger, StartRunOptions } from './types.js';
import { readWakeRequest } from './wake.js';

/** Where things live inside a habitat container. */
const IN_CONTAINER = {
  work: '/work',
  run: '/habitat/run',
  claude: '/habitat/claude',
  secrets: '/run/secrets',
};

/** Environment a local agent inherits from the coordinator; nothing else leaks in (credentials are scoped). */
const INHERITED =
  /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LC_[A-Z]+|TZ|TMPDIR|TERM|SSL_CERT_FILE|SSL_CERT_DIR|NODE_EXTRA_CA_CERTS|HTTPS?_PROXY|NO_PROXY)$/i;

/**
 * Run `agent` once. Subscribe to `handle.events` / `handle.on` right away to see every event; await
 * `handle.result` for how it ended (it never rejects).
 */
export function startRun(agent: AgentConfig, options: StartRunOptions): RunHandle {
  const runId = options.runId ?? ulid();
  const bus = new EventBus<RunEvent>();
  const controller = new AbortController();
  if (options.signal) {
    if (options.signal.aborted) controller.abort(options.signal.reason);
    else
      options.signal.addEventListener('abort', () => controller.abort(options.signal?.reason), {
        once: true,
      });
  }
  const result = new Promise<RunResult>((resolve) => {
    // A tick first, so whoever called startRun can subscribe before the first event.
    // execute() turns every failure of the agent into a result; what is left (a full disk before the log
    // could be opened, say) becomes one too, so the promise keeps its word and never rejects.
    setImmediate(() =>
      execute(agent, runId, options, bus, controller.signal).then(resolve, (error: Error) => {
        resolve(unrecordedFailure(agent, runId, options, error));
        bus.close();
      }),
    );
  });
  return {
    runId,
    agent,
    events: bus,
    on: (listener) => bus.on(listener),
    result,
    cancel: (reason) => controller.abort(reason ?? 'cancelled'),
  };
}

async function execute(
  agent: AgentConfig,
  runId: string,
  options: StartRunOptions,
  bus: EventBus<RunEvent>,
  signal: AbortSignal,
): Promise<RunResult> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const paths = runPaths(options.stateDir, agent.name, runId, startedAt);
  const backendName = agent.isolation.backend;
  const warnings: string[] = [];
  const log = options.logger?.child({ agent: agent.name, runId });
  // Owner-only whatever the umask: logs and run dirs hold agent output and credential files. The dirs an
  // agent running as another uid must pass through to reach its own run dir and home are 0711
  // (traversable, not listable); the per-run and per-agent dirs below them are 0700.
  await mkdir(path.dirname(paths.logPath), { recursive: true, mode: 0o700 });
  await mkdir(path.dirname(paths.runDir), { recursive: true, mode: 0o711 });
  await mkdir(paths.runDir, { recursive: true, mode: 0o700 });
  const fd = openSync(paths.logPath, 'a', 0o600);
  const streamJson = agent.run.kind === 'claude' && agent.run.outputFormat === 'stream-json';
  const timesFd = streamJson ? openSync(paths.timesPath, 'a', 0o600) : undefined;
  const outputOf = (secrets: Secret[]) =>
    new RunOutput({
      logFd: fd,
      ...(timesFd !== undefined ? { timesFd } : {}),
      secrets,
      streamJson,
      now,
      onText: (stream, text) => bus.emit({ type: 'output', runId, agent: agent.name, stream, text }),
      onEvent: (event) => bus.emit({ type: 'agent-event', runId, agent: agent.name, event }),
    });
  let output = outputOf([]);
  const onOutput: OutputSink = Object.assign(
    (stream: 'stdout' | 'stderr', chunk: Buffer) => output.push(stream, chunk),
    { logFd: fd },
  );

  let exit: BackendExit | undefined;
  let error: { code: string; message: string } | undefined;
  /** the repo's uncommitted files before the run (git audit trail: only the run's changes are committed) */
  let before: RepoSnapshot | undefined;
  try {
    const backend = backendFor(backendName);
    const timeoutMs = options.timeoutMs ?? agent.timeoutMs;
    const prepared = await prepare(agent, runId, options, paths, backend, timeoutMs);
    if (agent.gitCommit && agent.repo.kind === 'path')
      before = await snapshotRepo(agent.repo.path).catch(() => undefined);
    output = outputOf(prepared.secrets);
    log?.info({ event: 'run.starting', backend: backendName }, 'run starting');
    exit = await driveRun(backend, prepared.spec, signal, onOutput, (extra) => {
      bus.emit({
        type: 'started',
        runId,
        agent: agent.name,
        time: startedAt.toISOString(),
        backend: backendName,
        logPath: paths.logPath,
        ...extra,
      });
      // The agent's pid as agentPid: `pid` in a log line is the logging process's own.
      const { pid: agentPid, ...rest } = extra as { pid?: number };
      log?.info(
        { event: 'run.started', ...rest, ...(agentPid !== undefined ? { agentPid } : {}) },
        'run started',
      );
    });
    const scrub = output.scrubber;
    if (exit.warnings) warnings.push(...exit.warnings.map((w) => scrub.scrubText(w)));
  } catch (e) {
    const err = e instanceof RunError ? e : new RunError('spawn-failed', (e as Error).message);
    error = { code: err.code, message: output.scrubber.scrubText(err.message) };
    output.note(error.message);
    log?.error({ event: 'run.error', code: error.code }, error.message);
  }
  output.end();
  closeSync(fd);
  if (timesFd !== undefined) closeSync(timesFd);
  if (output.logProblem) warnings.push(output.logProblem);
  // The credential files go the moment the run has ended (a crash before this: sweepRunFiles).
  await removeRunSecrets(options.stateDir, runId).catch(() => {});
  const scrubber = output.scrubber;

  const endedAt = now();
  const summary = output.summary;
  const status = statusOf(exit, error, summary);
  const wake = await readWakeRequest(paths.wakeFile, endedAt, agent.wake);
  if (wake.warning) warnings.push(wake.warning);
  const learned = await readLearnFile(paths.learnFile, (t) => scrubber.scrubText(t));
  if (learned.warning) warnings.push(learned.warning);
  let wakeAt = wake.wakeAt?.toISOString();
  let wakeReason = wake.reason ?? (wakeAt ? 'requested by the agent' : undefined);
  if (!wakeAt && status === 'rate-limited' && summary.rateLimit?.resetsAt) {
    wakeAt = summary.rateLimit.resetsAt;
    wakeReason = `rate limit${summary.rateLimit.type ? ` (${summary.rateLimit.type})` : ''} resets`;
  }
  const result: RunResult = {
    runId,
    agent: agent.name,
    trigger: options.trigger ?? 'manual',
    backend: backendName,
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    durationMs: endedAt.getTime() - startedAt.getTime(),
    exitCode: exit?.exitCode ?? null,
    signal: exit?.signal ?? null,
    status,
    ...(wakeAt ? { wakeAt } : {}),
    ...(wakeReason && wakeAt ? { wakeReason: scrubber.scrubText(wakeReason) } : {}),
    warnings,
    logPath: paths.logPath,
    summary,
    ...(error ? { error } : {}),
    ...(exit?.containerId ? { containerId: exit.containerId } : {}),
    ...(exit?.ref ? { ref: exit.ref } : {}),
    ...(options.resume && agent.run.kind === 'claude' ? { resumedSession: options.resume.sessionId } : {}),
    ...(learned.learnings.length > 0 ? { learnings: learned.learnings } : {}),
  };
  if (agent.gitCommit && agent.repo.kind === 'path' && status !== 'error-before-start') {
    try {
      const made = await commitRunChanges(agent.repo.path, { agent: agent.name, runId, status }, before);
      if (made) result.commit = made.commit;
      if (made?.touched.length)
        warnings.push(
          `git audit trail: ${made.touched.join(', ')} had uncommitted changes before the run and the run changed them too: committed whole`,
        );
    } catch (e) {
      warnings.push(
        `git audit trail: ${scrubber.scrubText((e as Error).message.split('\n')[0] ?? 'commit failed')}`,
      );
    }
  }
  // Claude Code writes its own session logs into the agent's home: scrub what this run added there too.
  if (scrubber.active) {
    const scrubbed = await scrubTree(paths.claudeHome, scrubber, startedAt.getTime() - 1000).catch(() => 0);
    if (scrubbed > 0)
      warnings.push(`scrubbed credential values from ${scrubbed} session file(s) the agent wrote`);
  }
  await writeResultRecord(paths.recordPath, result).catch((e: NodeJS.ErrnoException) =>
    warnings.push(`result record: cannot write ${paths.recordPath} (${e.code ?? 'error'})`),
  );
  const pruned = await pruneLogs(path.dirname(paths.logPath), agent.logs, endedAt).catch(() => 0);
  if (pruned > 0) log?.info({ event: 'logs.pruned', runs: pruned }, 'old run logs pruned');
  await removeRunFiles(options.stateDir, runId).catch(() => {});
  log?.info(
    {
      event: 'run.finished',
      status,
      exitCode: result.exitCode,
      signal: result.signal,
      durationMs: result.durationMs,
    },
    'run finished',
  );
  bus.emit({ type: 'exited', runId, agent: agent.name, result });
  bus.close();
  return result;
}

/**
 * The result of a run that ended before its agent started and before anything could be recorded (no space for
 * its log, a launch that threw): `error-before-start`, no log, the given error. The daemon uses it too.
 */
export function resultBeforeStart(
  agent: AgentConfig,
  run: { runId: string; trigger: RunTrigger; at: string },
  error: { code: string; message: string },
): RunResult {
  return {
    runId: run.runId,
    agent: agent.name,
    trigger: run.trigger,
    backend: agent.isolation.backend,
    startedAt: run.at,
    endedAt: run.at,
    durationMs: 0,
    exitCode: null,
    signal: null,
    status: 'error-before-start',
    warnings: [],
    logPath: '',
    summary: { toolsUsed: {}, unknownEvents: 0 },
    error,
  };
}

function unrecordedFailure(
  agent: AgentConfig,
  runId: string,
  options: StartRunOptions,
  error: Error,
): RunResult {
  const at = (options.now?.() ?? new Date()).toISOString();
  const code = (error as NodeJS.ErrnoException).code;
  return resultBeforeStart(
    agent,
    { runId, trigger: options.trigger ?? 'manual', at },
    { code: code === 'ENOSPC' ? 'disk-full' : 'spawn-failed', message: error.message },
  );
}

function statusOf(
  exit: BackendExit | undefined,
  error: { code: string } | undefined,
  summary: RunResult['summary'],
): RunResult['status'] {
  if (!exit) return 'error-before-start';
  if (exit.cancelled) return 'cancelled';
  if (exit.timedOut) return 'timed-out';
  const limit = summary.rateLimit;
  const limited =
    (limit && limit.status !== 'allowed' && limit.status !== 'allowed_warning') ||
    (summary.apiErrorStatus === 429 && (summary.isError === true || exit.exitCode !== 0));
  if (limited && (exit.exitCode !== 0 || summary.isError !== false)) return 'rate-limited';
  if (error) return 'failed';
  return exit.exitCode === 0 && summary.isError !== true ? 'succeeded' : 'failed';
}

interface Prepared {
  secrets: Secret[];
  spec: RunSpec;
}

/** Everything a backend needs, built once: argv, environment, credentials, mounts. */
async function prepare(
  agent: AgentConfig,
  runId: string,
  options: StartRunOptions,
  paths: RunPaths,
  backend: Backend,
  timeoutMs: number,
): Promise<Prepared> {
  const repo = agent.repo.path;
  await ensureRepo(agent.repo);
  const isDir = await stat(repo).then(
    (st) => st.isDirectory(),
    () => false,
  );
  if (!isDir)
    throw new RunError('repo-missing', `the habitat repo ${repo} does not exist (agent ${agent.name})`);
  let credentials: Awaited<ReturnType<typeof readCredentialValues>>;
  try {
    credentials = await readCredentialValues(agent);
  } catch (e) {
    throw new RunError('credential-unreadable', (e as Error).message);
  }
  const secrets: Secret[] = credentials.flatMap((c) => c.values.map((value) => ({ name: c.name, value })));
  const docker = backend.inContainer;
  const ids = !docker ? await localUser(agent.isolation.user) : undefined;

  if (docker && repoHoldsCoordinator(agent, options.stateDir))
    throw new RunError(
      'spawn-failed',
      `agent ${agent.name} runs in a container but its repo (${repo}) holds the coordinator (its agent files or state dir ${options.stateDir}); a container never gets those: give the agent its own habitat repo (repo: ../habitats/${agent.name}, see habitat new agent)`,
    );
  await mkdir(path.dirname(paths.claudeHome), { recursive: true, mode: 0o711 });
  await mkdir(paths.claudeHome, { recursive: true, mode: 0o700 });
  await claimRunFiles(options.stateDir, runId);
  const secretsDir = secretsDirOf(options.stateDir, runId);
  const fileCredentials = agent.credentials.filter((c) => c.as === 'file');
  if (fileCredentials.length > 0) await mkdir(secretsDir, { recursive: true, mode: 0o700 });
  for (const c of credentials) {
    if (agent.credentials.find((x) => x.name === c.name)?.as !== 'file') continue;
    const file = path.join(secretsDir, c.name);
    await writeFile(file, c.content, { mode: 0o400 });
  }
  // In a container the agent is the repo's owner unless isolation.user says otherwise (config: runUserOf).
  const containerUser = docker ? runUserOf(agent).user : undefined;
  const owner = docker ? numericOwner(containerUser) : ids;
  if (owner) {
    for (const p of [paths.runDir, paths.claudeHome, ...(fileCredentials.length ? [secretsDir] : [])]) {
      await chown(p, owner.uid, owner.gid).catch(() => {});
    }
    for (const c of fileCredentials)
      await chown(path.join(secretsDir, c.name), owner.uid, owner.gid).catch(() => {});
  } else if (docker) {
    // An image user we cannot map to a uid still needs to write its wake file.
    await chmod(paths.runDir, 0o777);
    await chmod(paths.claudeHome, 0o777);
  }

  const credentialEnv = Object.assign({}, ...credentials.map((c) => c.env)) as Record<string, string>;
  const habitatEnv = (inContainer: boolean): Record<string, string> => ({
    HABITAT_AGENT: agent.name,
    HABITAT_RUN_ID: runId,
    HABITAT_WAKE_FILE: inContainer ? `${IN_CONTAINER.run}/wake` : paths.wakeFile,
    // Its lessons (`habitat learn`): read when it ends and stored as this run's, this agent's.
    HABITAT_LEARN_FILE: inContainer ? `${IN_CONTAINER.run}/learn` : paths.learnFile,
    CLAUDE_CONFIG_DIR: inContainer ? IN_CONTAINER.claude : paths.claudeHome,
    ...(fileCredentials.length > 0
      ? { HABITAT_SECRETS_DIR: inContainer ? IN_CONTAINER.secrets : secretsDir }
      : {}),
    // No HABITAT_STATE_DIR: it names the daemon's socket and databases, and an agent that can reach the
    // socket can steer the fleet. Its channels are its own run dir (the wake file) and its output
    // (LEARNED: lines) and its learn file; an agent file that really wants the state dir says so in `env:`.
  });

  const { argv, stdin } =
    options.resume && agent.run.kind === 'claude'
      ? { argv: resumeArgv(agent.run, options.resume), stdin: options.resume.prompt }
      : await commandOf(agent, options.prelude, docker ? IN_CONTAINER.work : repo);
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => INHERITED.test(e[0]) && e[1] !== undefined,
    ),
  );
  if (ids) inherited.HOME = paths.claudeHome;
  const env = { ...agent.env, ...(options.env ?? {}), ...credentialEnv };
  const credentialFiles: CredentialFile[] = credentials
    .filter((c) => agent.credentials.find((x) => x.name === c.name)?.as === 'file')
    .map((c) => ({
      name: c.name,
      content: c.content,
      hostPath: path.join(secretsDir, c.name),
      containerPath: `${IN_CONTAINER.secrets}/${c.name}`,
    }));
  const iso = agent.isolation;
  return {
    secrets,
    spec: {
      runId,
      agent,
      stateDir: options.stateDir,
      process: {
        command: argv[0]!,
        args: argv.slice(1),
        cwd: repo,
        env: { ...inherited, ...env, ...habitatEnv(false) },
        ...(stdin !== undefined ? { stdin } : {}),
        ...(ids ?? {}),
      },
      container: {
        image: iso.image,
        cmd: argv,
        workingDir: IN_CONTAINER.work,
        env: { HOME: '/tmp', ...env, ...habitatEnv(true) },
        binds: [
          `${repo}:${IN_CONTAINER.work}:rw`,
          `${paths.runDir}:${IN_CONTAINER.run}:rw`,
          `${paths.claudeHome}:${IN_CONTAINER.claude}:rw`,
        ],
        ...(containerUser ? { user: containerUser } : {}),
        network: iso.network,
        ...(iso.capAdd ? { capAdd: iso.capAdd } : {}),
        ...(iso.memoryBytes ? { memoryBytes: iso.memoryBytes } : {}),
        ...(iso.cpus ? { cpus: iso.cpus } : {}),
        ...(iso.pids ? { pids: iso.pids } : {}),
        ...(iso.placement ? { placement: iso.placement } : {}),
        labels: { [LABEL_AGENT]: agent.name, [LABEL_RUN]: runId, [LABEL_STATE]: options.stateDir },
        ...(stdin !== undefined ? { stdin } : {}),
      },
      secretEnv: credentialEnv,
      credentialFiles,
      timeoutMs,
      graceMs: agent.graceMs,
    },
  };
}

/** The argv of a run and what goes on its stdin (a claude agent's prompt: Claude Code has no --prompt flag). */
async function commandOf(
  agent: AgentConfig,
  prelude: string | undefined,
  repoInRun: string,
): Promise<{ argv: string[]; stdin?: string }> {
  const run = agent.run;
  if (run.kind === 'command') return { argv: run.command };
  if (run.kind === 'script') return { argv: [path.posix.join(repoInRun, run.script), ...run.args] };
  let prompt: string;
  try {
    prompt = await readFile(path.join(agent.repo.path, run.prompt), 'utf8');
  } catch {
    throw new RunError('prompt-missing', `prompt file ${run.prompt} is missing from ${agent.repo.path}`);
  }
  const argv = ['claude', '--print', '--output-format', run.outputFormat];
  if (run.outputFormat === 'stream-json') argv.push('--verbose');
  if (run.skipPermissions) argv.push('--dangerously-skip-permissions');
  if (run.model) argv.push('--model', run.model);
  argv.push(...run.args);
  return { argv, stdin: prelude ? `${prelude.trim()}\n\n---\n\n${prompt}` : prompt };
}

/** Would mounting the agent's repo give the container the coordinator (its agent files or its state)? */
function repoHoldsCoordinator(agent: AgentConfig, stateDir: string): boolean {
  const repo = path.resolve(agent.repo.path);
  const inside = (p: string) => {
    const rel = path.relative(repo, path.resolve(p));
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  };
  return inside(stateDir) || (agent.file !== '/dev/null' && inside(agent.file));
}

function numericOwner(user: string | undefined): { uid: number; gid: number } | undefined {
  const m = user ? /^(\d+)(?::(\d+))?$/.exec(user) : null;
  return m ? { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) } : undefined;
}

/** uid/gid for `isolation.user` on the local backend (only meaningful when the coordinator is root). */
async function localUser(user: string | undefined): Promise<{ uid: number; gid: number } | undefined> {
  if (!user || process.getuid?.() !== 0) return undefined;
  const numeric = numericOwner(user);
  if (numeric) return numeric;
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const line = passwd.split('\n').find((l) => l.startsWith(`${user}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined)
    throw new RunError('spawn-failed', `no such user "${user}" (isolation.user)`);
  return { uid: Number(uid), gid: Number(gid) };
}
