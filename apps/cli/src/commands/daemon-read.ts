// What `habitat status`, `next` and `history` print, and how they get it: from the daemon when it is up, else
// read from the state. Free of commander so that daemon-fast.ts can answer these commands without the rest of
// the CLI; daemon.ts registers the same functions as commander actions.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadSettings } from '@habitat/config';
import {
  type DaemonClient,
  nextRuns,
  openStateReadOnly,
  type RunRow,
  SchedulerError,
  SOCKET_FILE,
  type StatusReport,
} from '@habitat/scheduler';
import { agentFileNames, hasAgentFile } from '../coordinator.js';
import { nextJson, runFromRow, statusJson } from '../json.js';
import {
  CliError,
  formatDuration,
  formatExit,
  formatTime,
  printJson,
  printLine,
  printTable,
} from '../output.js';

const ago = (iso?: string) => (iso ? formatDuration(Date.now() - Date.parse(iso)) : '');
const dur = formatDuration;
const time = (value?: string | number | null) => formatTime(value);

/**
 * The daemon if it answers, else undefined (read-only commands then read the state directly). With no socket
 * file there is no daemon to ask: the client (node:net and the lock module) is not even loaded.
 */
export async function maybeDaemon(stateDir: string): Promise<DaemonClient | undefined> {
  if (!existsSync(path.join(stateDir, SOCKET_FILE))) return undefined;
  const { connectDaemon } = await import('@habitat/scheduler');
  try {
    return await connectDaemon(stateDir, { timeoutMs: 1000 });
  } catch (error) {
    if (error instanceof SchedulerError && error.code === 'daemon-down') return undefined;
    throw error;
  }
}

/** Ask the daemon, or read the state read-only when it is down. */
export async function query<T>(
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
export function fetchStatus(root: string): Promise<StatusReport> {
  return query(
    root,
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

/** `habitat status [--json]` */
export async function printStatus(root: string, opts: { json?: boolean }): Promise<void> {
  const status = await fetchStatus(root);
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
      a.lastRun ? `${a.lastRun.status}${a.lastRun.exitCode !== null ? ` (${a.lastRun.exitCode})` : ''}` : '-',
      dur(a.lastRun?.durationMs),
      // as `stats` prints it: an agent that reports no cost (a shell command) has cost nothing
      `$${a.costToday.toFixed(2)}`,
    ]),
  );
  if (status.diagnostics.length > 0)
    printLine(`${status.diagnostics.length} problem(s) in agent files: run habitat validate`);
  if (status.queued > 0 || status.skippedLastHour > 0)
    printLine(
      `more is due than maxConcurrentRuns runs at once: ${status.queued} run(s) queued, ${status.skippedLastHour} slot(s) skipped in the last hour (agents still queued or running skip their next slot)`,
    );
}

/** `habitat next [--json]` */
export async function printNext(root: string, opts: { json?: boolean }): Promise<void> {
  const rows = nextRuns(await fetchStatus(root));
  if (opts.json) return printJson(rows.map(nextJson));
  printTable(
    ['agent', 'next', 'reason', 'state'],
    rows.map((r) => [r.agent, time(r.nextAt), r.reason ?? '', r.state]),
  );
}

/** `habitat history [agent] [-n N] [--json]` */
export async function printHistory(
  root: string,
  agent: string | undefined,
  opts: { limit: number; json?: boolean },
): Promise<void> {
  const limit = opts.limit;
  const rows = await query(
    root,
    (c) => c.request<RunRow[]>('history', { ...(agent ? { agent } : {}), limit }),
    (r) => r.history(agent, limit),
  ).catch((error: unknown) => {
    // No scheduler state yet means no runs yet: an answer, not an error.
    if (error instanceof CliError && error.code === 'no-state' && /no scheduler state/.test(error.message))
      return [] as RunRow[];
    throw error;
  });
  // A typo in the name is not an agent without runs (as for `logs`); a removed agent's runs stay listed.
  if (rows.length === 0 && agent !== undefined) {
    const { settings } = await loadSettings(root);
    if (!hasAgentFile(settings.agentsDir, agent))
      throw new CliError(
        `no agent "${agent}" in ${settings.agentsDir} and no runs of one (agents: ${agentFileNames(settings.agentsDir).join(', ') || 'none'})`,
        2,
        'unknown-agent',
      );
  }
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
}
