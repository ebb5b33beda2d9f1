// habitat up | status | next | pause | resume | cancel | logs | history | stats
import { loadSettings } from '@habitat/config';
import { type AgentStats, type DaemonClient, type DaemonEvent, SchedulerError } from '@habitat/scheduler';
import type { Command } from 'commander';
import { coordinatorRoot, withTableFormat } from '../cli.js';
import { agentFileNames, hasAgentFile } from '../coordinator.js';
import { durationFlag, intFlag } from '../flags.js';
import { runFromResult, statsJson } from '../json.js';
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
import { maybeDaemon, printHistory, printNext, printStatus, query } from './daemon-read.js';
import { subscribeInvalidAgents } from './invalid-agents.js';
import { knowledgePrelude, subscribeLayers } from './layers.js';
import { type LogsOptions, printLogs } from './logs.js';
import { subscribeRunLearnings } from './run-learnings.js';

const dur = formatDuration;
const time = (value?: string | number | null) => formatTime(value);

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
        // Before start: reconciling records the runs that ended while no daemon was up (their lessons too).
        if (opts.layers) subscribeLayers(daemon, root, logger);
        subscribeRunLearnings(daemon, root, logger);
        subscribeInvalidAgents(daemon, logger);
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
        if (opts.once) {
          const results = await daemon.runOnce();
          await daemon.stop(0);
          if (opts.json) printJson(results.map((r) => runFromResult(r)));
          else {
            // nothing due is said once (an empty table would add "(none)" under it)
            if (results.length === 0) printLine('nothing was due');
            else
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
    .action((opts: { json?: boolean }, cmd: Command) => printStatus(coordinatorRoot(cmd), opts));

  withTableFormat(program.command('next'))
    .description('when each agent runs next, and why')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }, cmd: Command) => printNext(coordinatorRoot(cmd), opts));

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
        // a typo is named as one whether or not a daemon is up (it would only say "no daemon")
        if (!hasAgentFile(settings.agentsDir, agent))
          throw new CliError(
            `no agent "${agent}" in ${settings.agentsDir} (agents: ${agentFileNames(settings.agentsDir).join(', ') || 'none'})`,
            2,
            'unknown-agent',
          );
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
    .action((agent: string | undefined, opts: { limit: number; json?: boolean }, cmd: Command) =>
      printHistory(coordinatorRoot(cmd), agent, opts),
    );

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
      // a typo is not an agent without runs (as for history and logs)
      if (opts.agent && rows.length === 0) {
        const { settings } = await loadSettings(coordinatorRoot(cmd));
        if (!hasAgentFile(settings.agentsDir, opts.agent))
          throw new CliError(
            `no agent "${opts.agent}" in ${settings.agentsDir} and no runs of one (agents: ${agentFileNames(settings.agentsDir).join(', ') || 'none'})`,
            2,
            'unknown-agent',
          );
      }
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
