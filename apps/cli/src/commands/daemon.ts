// habitat up | status | next | pause | resume | cancel | logs | history | stats
import { loadSettings } from '@habitat/config';
import {
  type AgentStats,
  connectDaemon,
  type DaemonClient,
  type DaemonEvent,
  nextRuns,
  openStateReadOnly,
  type RunRow,
  SchedulerError,
  type StatusReport,
} from '@habitat/scheduler';
import type { Command } from 'commander';
import { coordinatorRoot, withTableFormat } from '../cli.js';
import { durationFlag, intFlag } from '../flags.js';
import { nextJson, runFromResult, runFromRow, statsJson, statusJson } from '../json.js';
import { daemonLogger } from '../logger.js';
import { applyDaemonHeapSettings } from '../memory.js';
import {
  CliError,
  formatDuration,
  formatExit,
  formatTime,
  printJson,
  printLine,
  printTable,
} from '../output.js';
import { onStopSignal } from '../stop-signals.js';
import { knowledgePrelude, subscribeLayers } from './layers.js';
import { type LogsOptions, printLogs } from './logs.js';

const ago = (iso?: string) => (iso ? formatDuration(Date.now() - Date.parse(iso)) : '');
const dur = formatDuration;
const time = (value?: string | number | null) => formatTime(value);

/** The daemon if it answers, else undefined (read-only commands then read the state directly). */
async function maybeDaemon(stateDir: string): Promise<DaemonClient | undefined> {
  try {
    return await connectDaemon(stateDir, { timeoutMs: 1000 });
  } catch (error) {
    if (error instanceof SchedulerError && error.code === 'daemon-down') return undefined;
    throw error;
  }
}

async function requireDaemon(stateDir: string): Promise<DaemonClient> {
  const client = await maybeDaemon(stateDir);
  if (!client)
    throw new CliError(
      `no habitat daemon is running on ${stateDir}: start it with \`habitat up\``,
      1,
      'daemon-down',
    );
  return client;
}

/** Ask the daemon, or read the state read-only when it is down. */
async function query<T>(
  root: string,
  viaDaemon: (c: DaemonClient) => Promise<T>,
  direct: (r: ReturnType<typeof openStateReadOnly>) => T | Promise<T>,
): Promise<T> {
  const { settings } = await loadSettings(root);
  const client = await maybeDaemon(settings.stateDir);
  if (client) {
    try {
      return await viaDaemon(client);
    } finally {
      client.close();
    }
  }
  let reader: ReturnType<typeof openStateReadOnly>;
  try {
    reader = openStateReadOnly(settings.root, settings.stateDir, { emptyIfMissing: true });
  } catch (error) {
    throw new CliError((error as Error).message, 1, 'no-state');
  }
  try {
    return await direct(reader);
  } finally {
    reader.close();
  }
}

/** The status report: from the daemon when it is up, else read from the state. */
function fetchStatus(cmd: Command): Promise<StatusReport> {
  return query(
    coordinatorRoot(cmd),
    (c) => c.request<StatusReport>('status'),
    (r) => r.status(),
  );
}

function describeState(a: StatusReport['agents'][number]): string {
  switch (a.state) {
    case 'running':
      return `running for ${ago(a.running?.startedAt)}`;
    case 'sleeping':
      return `sleeping until ${time(a.nextAt)} (${a.sleepReason ?? a.nextReason})`;
    case 'failed':
      return `failed (${a.lastRun?.status}${a.lastRun?.exitCode !== null && a.lastRun?.exitCode !== undefined ? `, exit ${a.lastRun.exitCode}` : ''})`;
    default:
      return a.state;
  }
}

export function registerDaemonCommands(program: Command): void {
  program
    .command('up')
    .description('start the coordinator daemon in the foreground (cron + agent-paced schedules)')
    .option('--once', 'run what is due now (agents never run before, missed slots, wake-ups), wait, and exit')
    .option('--json', 'with --once: print the results as JSON')
    .option(
      '--grace <duration>',
      'on SIGTERM/SIGINT, let runs finish this long before stopping them (30, 30s, 2m)',
      durationFlag,
      30_000,
    )
    .option('--no-layers', 'do not index sessions after runs')
    .option(
      '--http <host:port>',
      'serve the HTTP API there (e.g. 127.0.0.1:7070; default: habitat.yaml http)',
    )
    .option('--http-public', 'allow --http on a non-loopback address (prints a warning)')
    .action(
      async (
        opts: {
          once?: boolean;
          json?: boolean;
          grace: number;
          layers: boolean;
          http?: string;
          httpPublic?: boolean;
        },
        cmd: Command,
      ) => {
        // Held since the entry point (stop-signals.ts): a SIGTERM at any moment of start-up ends in a
        // graceful stop, never in a daemon killed half-started.
        let signalled: string | undefined;
        let stopDaemon: ((signal: string) => void) | undefined;
        const stopped = new Promise<void>((resolve) =>
          onStopSignal((signal) => {
            signalled = signal;
            if (stopDaemon) stopDaemon(signal);
            resolve();
          }),
        );
        const root = coordinatorRoot(cmd);
        if (!opts.once) applyDaemonHeapSettings();
        // The daemon, its logger and the run backends load only for `up`: read-only commands start faster.
        const [logger, { Daemon }] = await Promise.all([
          daemonLogger(opts.once ? 'warn' : 'info'),
          import('@habitat/scheduler'),
        ]);
        const { settings } = await loadSettings(root);
        const daemon = new Daemon({
          root,
          logger,
          once: Boolean(opts.once),
          runOptions: (agent, run) => knowledgePrelude(settings, agent, run),
          graceMs: opts.grace,
          ...(opts.http || opts.httpPublic
            ? {
                http: {
                  listen: opts.http ?? settings.http?.listen ?? '127.0.0.1:7070',
                  public: Boolean(opts.httpPublic ?? settings.http?.public),
                },
              }
            : {}),
          warn: (message) => process.stderr.write(`${message}\n`),
        });
        let stopping: Promise<void> | undefined;
        stopDaemon = (signal) => {
          logger.info({ event: 'daemon.stopping', signal }, `${signal}: stopping, letting runs finish`);
          stopping ??= daemon.stop();
        };
        if (signalled) stopDaemon(signalled); // it came while the modules were loading
        await daemon.start().catch((error) => {
          if (error instanceof SchedulerError && error.code === 'locked')
            throw new CliError(error.message, 1, 'locked');
          if (error instanceof SchedulerError && error.code === 'bad-request')
            // The library names no flags; here the value came from --http (and the way out is --http-public).
            throw new CliError(
              `--http: ${error.message}${/loopback/.test(error.message) ? '; pass --http-public to allow it' : ''}`,
              2,
              'usage',
            );
          throw error;
        });
        if (stopping) {
          // Stopped during start-up: the daemon served nothing and fired nothing; what it adopted finished.
          await stopping;
          logger.info({ event: 'daemon.stopped' }, 'stopped');
          return;
        }
        if (opts.layers) subscribeLayers(daemon, root, logger);
        if (opts.once) {
          const results = await daemon.runOnce();
          await daemon.stop(0);
          if (opts.json) printJson(results.map((r) => runFromResult(r)));
          else {
            if (results.length === 0) printLine('nothing was due');
            printTable(
              ['agent', 'run', 'status', 'exit', 'duration', 'wake at'],
              results.map((r) => [
                r.agent,
                r.runId,
                r.status,
                formatExit(r.exitCode, r.signal),
                dur(r.durationMs),
                r.wakeAt ? `${time(r.wakeAt)} ${r.wakeReason ?? ''}` : '-',
              ]),
            );
          }
          if (results.some((r) => r.status !== 'succeeded')) process.exitCode = 1;
          return;
        }
        if (daemon.httpUrl)
          logger.info({ event: 'http.listening', url: daemon.httpUrl }, `HTTP API on ${daemon.httpUrl}`);
        process.on('SIGHUP', () => void daemon.reload());
        await stopped;
        await stopping;
      },
    );

  withTableFormat(program.command('status'))
    .description('every agent: running, sleeping (and why), paused, failed; next run; last result')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const status = await fetchStatus(cmd);
      if (opts.json) return printJson(statusJson(status));
      printLine(
        status.daemon.live
          ? `daemon: up (pid ${status.daemon.pid})${status.daemon.problem ? `\nproblem: ${status.daemon.problem}` : ''}`
          : 'daemon: down (read-only view of the state)',
      );
      printTable(
        ['agent', 'state', 'next', 'last', 'duration', 'cost today'],
        status.agents.map((a) => [
          a.agent,
          describeState(a),
          a.nextAt ? `${time(a.nextAt)} (${a.nextReason})` : '-',
          a.lastRun
            ? `${a.lastRun.status}${a.lastRun.exitCode !== null ? ` (${a.lastRun.exitCode})` : ''}`
            : '-',
          dur(a.lastRun?.durationMs),
          a.costToday ? `$${a.costToday.toFixed(2)}` : '-',
        ]),
      );
      if (status.diagnostics.length > 0)
        printLine(`${status.diagnostics.length} problem(s) in agent files: run habitat validate`);
      if (status.queued > 0 || status.skippedLastHour > 0)
        printLine(
          `more is due than maxConcurrentRuns runs at once: ${status.queued} run(s) queued, ${status.skippedLastHour} slot(s) skipped in the last hour (agents still queued or running skip their next slot)`,
        );
    });

  withTableFormat(program.command('next'))
    .description('when each agent runs next, and why')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const status = await fetchStatus(cmd);
      const rows = nextRuns(status);
      if (opts.json) return printJson(rows.map(nextJson));
      printTable(
        ['agent', 'next', 'reason', 'state'],
        rows.map((r) => [r.agent, time(r.nextAt), r.reason ?? '', r.state]),
      );
    });

  for (const [name, description] of [
    ['pause', 'stop scheduling an agent (its current run finishes)'],
    ['resume', 'schedule a paused agent again (slots missed while paused are recorded as skipped)'],
  ] as const) {
    program
      .command(`${name} <agent>`)
      .description(description)
      .option('--json', 'print the answer as JSON')
      .action(async (agent: string, opts: { json?: boolean }, cmd: Command) => {
        const { settings } = await loadSettings(coordinatorRoot(cmd));
        const client = await requireDaemon(settings.stateDir);
        try {
          const result = await client.request(name, { agent });
          if (opts.json) printJson(result);
          else printLine(`${agent} ${name === 'pause' ? 'paused' : 'resumed'}`);
        } finally {
          client.close();
        }
      });
  }

  program
    .command('cancel <run>')
    .description('cancel a running or queued run')
    .option('--json', 'print the answer as JSON')
    .action(async (runId: string, opts: { json?: boolean }, cmd: Command) => {
      const { settings } = await loadSettings(coordinatorRoot(cmd));
      const client = await requireDaemon(settings.stateDir);
      try {
        const result = await client.request('cancel', { runId });
        if (opts.json) printJson(result);
        else printLine(`cancelling ${runId}`);
      } finally {
        client.close();
      }
    });

  withTableFormat(program.command('history [agent]'))
    .description('run records, newest first')
    .option('-n, --limit <n>', 'how many runs', intFlag(1), 20)
    .option('--json', 'print as JSON')
    .action(async (agent: string | undefined, opts: { limit: number; json?: boolean }, cmd: Command) => {
      const limit = opts.limit;
      const rows = await query(
        coordinatorRoot(cmd),
        (c) => c.request<RunRow[]>('history', { ...(agent ? { agent } : {}), limit }),
        (r) => r.history(agent, limit),
      ).catch((error: unknown) => {
        // No scheduler state yet means no runs yet: an answer, not an error.
        if (
          error instanceof CliError &&
          error.code === 'no-state' &&
          /no scheduler state/.test(error.message)
        )
          return [] as RunRow[];
        throw error;
      });
      const runs = rows.map(runFromRow);
      if (opts.json) return printJson(runs);
      if (runs.length === 0) return printLine(`no runs${agent ? ` of ${agent}` : ''} yet`);
      printTable(
        ['run', 'agent', 'trigger', 'status', 'exit', 'started', 'duration', 'wake at'],
        runs.map((r) => [
          r.runId,
          r.agent,
          r.trigger,
          r.status,
          formatExit(r.exitCode, r.signal),
          time(r.startedAt ?? r.queuedAt),
          dur(r.durationMs),
          time(r.wakeAt),
        ]),
      );
    });

  withTableFormat(program.command('stats'))
    .description('per agent: runs, success rate, p50/p95 duration, rate-limit hits, time slept, cost')
    .option('--agent <name>', 'one agent')
    .option('--json', 'print as JSON')
    .action(async (opts: { agent?: string; json?: boolean }, cmd: Command) => {
      const rows = await query(
        coordinatorRoot(cmd),
        (c) => c.request<AgentStats[]>('stats', opts.agent ? { agent: opts.agent } : {}),
        (r) => r.stats(opts.agent),
      );
      if (opts.json) return printJson(rows.map(statsJson));
      printTable(
        ['agent', 'runs', 'success', 'p50', 'p95', 'rate limits', 'slept', 'cost'],
        rows.map((s) => [
          s.agent,
          s.runs,
          `${Math.round(s.successRate * 100)}%`,
          dur(s.p50DurationMs),
          dur(s.p95DurationMs),
          s.rateLimitHits,
          dur(s.sleptMs),
          `$${s.costUsd.toFixed(2)}`,
        ]),
      );
    });

  program
    .command('logs <agent>')
    .description(
      "print an agent's run log (the newest, or --run <id>); --follow keeps printing and waits for the next run",
    )
    .option('--run <id>', 'a run id')
    .option('-f, --follow', 'keep printing new output; between runs, wait for the next one (Ctrl-C to stop)')
    .option('--all', 'with --follow: keep following run after run')
    .option('--raw', 'print the log exactly as written (default: Claude stream-json rendered for people)')
    .action(async (agent: string, opts: LogsOptions, cmd: Command) => {
      const { settings } = await loadSettings(coordinatorRoot(cmd));
      await printLogs(settings.stateDir, agent, opts, settings.agentsDir);
    });
}

export type { DaemonEvent };
