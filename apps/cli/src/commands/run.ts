// habitat run <agent> (one run in the foreground) and habitat wake (an agent's wake request).
import { mkdir, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import {
  type AgentConfig,
  type Coordinator,
  formatDiagnostic,
  loadCoordinator,
  parseDuration,
} from '@habitat/config';
import { formatRendered, type RunResult, StreamRenderer, startRun } from '@habitat/runner';
import {
  connectDaemon,
  type DaemonClient,
  type DaemonEvent,
  type ForegroundRecorder,
  lockHeld,
} from '@habitat/scheduler';
import type { Command } from 'commander';
import { resolveCoordinator } from '../coordinator.js';
import { runFromResult } from '../json.js';
import {
  CliError,
  formatDuration,
  formatExit,
  printJson,
  RENDER_TIMES,
  useColor,
  utcTimes,
} from '../output.js';
import { wantsKnowledgeBrief } from './knowledge-brief.js';

/** Find one valid agent by name, or fail with its diagnostics. */
export async function requireAgent(
  root: string,
  name: string,
): Promise<{ coordinator: Coordinator; agent: AgentConfig }> {
  const coordinator = await loadCoordinator(root);
  const agent = coordinator.agents.find((a) => a.name === name);
  if (agent) return { coordinator, agent };
  const problems = coordinator.diagnostics.filter(
    (d) => path.basename(d.file).replace(/\.ya?ml$/, '') === name,
  );
  if (problems.length > 0) {
    const text = problems
      .map((d) => formatDiagnostic(d, { cwd: coordinator.settings.root, color: useColor(process.stderr) }))
      .join('\n');
    throw new CliError(`agent "${name}" is invalid:\n${text}`, 2, 'invalid-agent');
  }
  const known = coordinator.agents.map((a) => a.name).join(', ') || '(none)';
  throw new CliError(
    `no agent "${name}" in ${coordinator.settings.agentsDir} (agents: ${known})`,
    2,
    'unknown-agent',
  );
}

interface RunOutputOptions {
  json?: boolean;
  quiet?: boolean;
  raw?: boolean;
}

/**
 * Where a run's output goes: with --json, stdout is the result object only and the agent's output goes to
 * stderr; a Claude stream-json agent is rendered for people (one timed line per event) unless --raw.
 */
export function outputWriter(
  agent: AgentConfig,
  opts: RunOutputOptions,
): { write(stream: 'stdout' | 'stderr', text: string): void; end(): void } {
  const target = (stream: 'stdout' | 'stderr') =>
    opts.json || stream === 'stderr' ? process.stderr : process.stdout;
  if (opts.quiet) return { write() {}, end() {} };
  const render = !opts.raw && agent.run.kind === 'claude' && agent.run.outputFormat === 'stream-json';
  if (!render) return { write: (stream, text) => target(stream).write(text), end() {} };
  const renderer = new StreamRenderer(RENDER_TIMES);
  const print = (lines: ReturnType<StreamRenderer['end']>, stream: 'stdout' | 'stderr') => {
    const out = target(lines[0]?.kind === 'stderr' ? 'stderr' : stream);
    const color = useColor(out);
    for (const line of lines) out.write(`${formatRendered(line, { color, utc: utcTimes() })}\n`);
  };
  return {
    write: (stream, text) => print(renderer.push(text, stream), stream),
    end: () => print(renderer.end(), 'stdout'),
  };
}

/** Run an agent once in this process, streaming its (scrubbed) output; the seam the daemon route bypasses. */
export async function runInForeground(
  { coordinator, agent }: { coordinator: Coordinator; agent: AgentConfig },
  opts: RunOutputOptions,
): Promise<RunResult> {
  const out = outputWriter(agent, opts);
  const controller = new AbortController();
  const onSignal = () => controller.abort('interrupted');
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // loaded only for the agents that have a brief (knowledgePrelude asks the same): knowledge, sessions, YAML
    // and zod are not part of dist/fast/run.js
    const extra = wantsKnowledgeBrief(agent)
      ? await (await import('./layers.js')).knowledgePrelude(coordinator.settings, agent)
      : {};
    const handle = startRun(agent, {
      ...extra,
      stateDir: coordinator.settings.stateDir,
      trigger: 'manual',
      signal: controller.signal,
    });
    // No daemon is up: the run is recorded in the scheduler state so history, status and the next `up` see it.
    // The store is loaded and opened once the agent has started (this process waits idle for it then), so
    // only the write is left between the agent's exit and this command's.
    let recorder: Promise<ForegroundRecorder> | undefined;
    const openRecorder = () => (recorder ??= foregroundRecorder(coordinator.settings.stateDir));
    handle.on((event) => {
      if (event.type === 'output') out.write(event.stream, event.text);
      else if (event.type === 'started') void openRecorder();
    });
    const result = await handle.result;
    out.end();
    try {
      (await openRecorder()).record(agent, result);
    } catch (error) {
      result.warnings.push(`not recorded in the scheduler state: ${(error as Error).message}`);
    }
    if (result.learnings?.length)
      await import('./run-learnings.js')
        .then(({ storeRunLearnings }) => storeRunLearnings(coordinator.settings, agent, result))
        .catch((error: Error) => result.warnings.push(`its lessons were not stored: ${error.message}`));
    return result;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The scheduler store for a foreground run; loaded on demand (its SQLite addon is not needed to start one). */
async function foregroundRecorder(stateDir: string): Promise<ForegroundRecorder> {
  try {
    const { openForegroundRecorder } = await import('@habitat/scheduler');
    return openForegroundRecorder(stateDir);
  } catch (error) {
    return {
      record() {
        throw error;
      },
    };
  }
}

/** With a daemon up, `habitat run` goes through it (one writer of the state); its output streams back here. */
async function runThroughDaemon(
  client: DaemonClient,
  agent: AgentConfig,
  opts: RunOutputOptions,
): Promise<RunResult> {
  const name = agent.name;
  const out = outputWriter(agent, opts);
  let runId: string | undefined;
  const early: DaemonEvent[] = [];
  return new Promise<RunResult>((resolve, reject) => {
    const onEvent = (event: DaemonEvent) => {
      if (!runId) {
        early.push(event);
        return;
      }
      if (event.runId !== runId) return;
      if (event.event === 'run.output') {
        out.write(event.stream === 'stderr' ? 'stderr' : 'stdout', String(event.text));
      } else if (event.event === 'run.finished') {
        out.end();
        resolve(event.result as RunResult);
      }
    };
    client.onClose(() =>
      reject(new CliError('the daemon went away during the run; see habitat history', 1, 'daemon-down')),
    );
    client
      .subscribe(onEvent, { agent: name })
      .then(() => client.request<{ runId: string }>('trigger', { agent: name }))
      .then((answer) => {
        runId = answer.runId;
        for (const e of early.splice(0)) onEvent(e);
      })
      .catch((error: Error) => reject(new CliError(error.message, 1, 'trigger-failed')));
  });
}

/**
 * `habitat run`'s exit code: the agent's own; 128+N when signal N ended it (as a shell reports it); 1 when
 * it never ran (the summary line and --json say why). Documented in the README's exit-code table.
 */
export function exitCodeOfRun(result: Pick<RunResult, 'exitCode' | 'signal'>): number {
  if (result.exitCode !== null) return result.exitCode;
  const number = result.signal ? osConstants.signals[result.signal as NodeJS.Signals] : undefined;
  return number ? 128 + number : 1;
}

/**
 * `habitat run <agent>` in the coordinator at `root`: through the daemon when one is up, else here. `found` is
 * the agent when the caller has loaded it already (run-fast.ts).
 */
export async function runCommand(
  root: string,
  name: string,
  opts: RunOutputOptions,
  found?: { coordinator: Coordinator; agent: AgentConfig },
): Promise<void> {
  found ??= await requireAgent(root, name);
  const { coordinator, agent } = found;
  const stateDir = coordinator.settings.stateDir;
  const client = await connectDaemon(stateDir, { timeoutMs: 1000 }).catch(async (error: Error) => {
    // Only with no daemon at all does the run happen here: one that is up but not answering would
    // never hear of it, and the run would go unrecorded beside the fleet it belongs to.
    if (await lockHeld(stateDir)) {
      throw new CliError(
        `${error.message}; not running ${name} in the foreground while that daemon holds ${stateDir}`,
        1,
        'daemon-busy',
      );
    }
    return undefined;
  });
  let result: RunResult;
  if (client) {
    try {
      result = await runThroughDaemon(client, agent, opts);
    } finally {
      client.close();
    }
  } else result = await runInForeground(found, opts);
  if (opts.json) printJson(runFromResult(result));
  else {
    const wake = result.wakeAt
      ? `, wake at ${result.wakeAt}${result.wakeReason ? ` (${result.wakeReason})` : ''}`
      : '';
    process.stderr.write(
      `habitat: ${result.agent} ${result.status} in ${formatDuration(result.durationMs)} (exit ${formatExit(result.exitCode, result.signal)})${wake}\n  log: ${result.logPath}\n`,
    );
    for (const w of result.warnings) process.stderr.write(`  warning: ${w}\n`);
    if (result.error) process.stderr.write(`  error: ${result.error.message}\n`);
  }
  process.exitCode = exitCodeOfRun(result);
}

export function registerRunCommands(program: Command): void {
  program
    .command('run <agent>')
    .description("run an agent once in the foreground; exits with the agent's exit code")
    .option('--json', 'print the result object at the end (agent output goes to stderr)')
    .option('-q, --quiet', "don't stream the agent's output")
    .option('--raw', "print a Claude agent's stream-json exactly as it comes (default: rendered for people)")
    .action((name: string, opts: RunOutputOptions, cmd: Command) =>
      runCommand(resolveCoordinator((cmd.optsWithGlobals() as { dir?: string }).dir), name, opts),
    );

  program
    .command('wake')
    .description('inside a run: ask the coordinator to wake this agent at a time (writes $HABITAT_WAKE_FILE)')
    .option('--in <duration>', 'e.g. 46m, 6h')
    .option('--at <time>', 'an ISO time, e.g. 2026-11-24T14:46:00Z')
    .option('--reason <text>', 'why, for people reading the status')
    .action(async (opts: { in?: string; at?: string; reason?: string }) => {
      const file = process.env.HABITAT_WAKE_FILE;
      if (!file)
        throw new CliError(
          'habitat wake only works inside a habitat run ($HABITAT_WAKE_FILE is not set)',
          2,
          'not-in-run',
        );
      if ((opts.in === undefined) === (opts.at === undefined))
        throw new CliError('give exactly one of --in <duration> or --at <time>', 2, 'usage');
      let spec: string;
      if (opts.in !== undefined) {
        parseDuration(opts.in);
        spec = opts.in;
      } else {
        const t = Date.parse(opts.at!);
        if (Number.isNaN(t))
          throw new CliError(
            `"${opts.at}" is not a time: use ISO 8601, e.g. 2026-11-24T14:46:00Z`,
            2,
            'usage',
          );
        spec = new Date(t).toISOString();
      }
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, `${spec}\n${(opts.reason ?? '').replace(/\s+/g, ' ')}\n`);
    });
}
