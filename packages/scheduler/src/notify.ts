// Notifications: after each run, decide which events it is (failed after retries, rate-limited,
// recovered, lost, timed-out, needs-attention) and deliver them to the agent's targets — webhooks (JSON
// POST, Slack-compatible `text`) and commands (the JSON on stdin). Delivery is fire-and-forget for the
// daemon: retried with back-off, bounded in time, recorded, and it never throws into the caller.
// The daemon's own condition (its disk is full, then space is back) goes to every target of the fleet
// that asks for it, once per episode; its record is best-effort, as the disk may be the problem.
// Every text field is scrubbed of the agent's credential values; a webhook's URL (a Slack URL is itself
// a secret) is recorded by origin only.
import { spawn } from 'node:child_process';
import { type AgentConfig, type NotifyEvent, type NotifyTarget, readCredentialValues } from '@habitat/config';
import { type RunResult, Scrubber } from '@habitat/runner';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';

export interface Notification {
  event: NotifyEvent;
  agent: string;
  runId: string;
  status: string;
  exitCode: number | null;
  wakeAt: string | null;
  reason: string | null;
  logPath: string | null;
  /** consecutive failures so far */
  failures: number;
  /** one line for people */
  summary: string;
  /** Slack's field: the same line */
  text: string;
  time: string;
}

/** A condition of the whole daemon, not of one run: sent once to each distinct target that asks for it. */
export interface DaemonNotification {
  event: 'disk-full' | 'disk-recovered';
  /** the agents whose targets these are (a target in habitat.yaml serves them all) */
  agents: string[];
  stateDir: string;
  /** why (disk-full) or since when it was full (disk-recovered) */
  reason: string;
  summary: string;
  text: string;
  time: string;
}

export interface NotifierOptions {
  logger?: Logger;
  /** delivery attempts per target (default 5) */
  attempts?: number;
  /** first retry delay; doubled each time (default 1s) */
  backoffMs?: number;
  /** per attempt (default 5s) */
  timeoutMs?: number;
  now?: () => number;
}

/** The part of a plan the notifier reads: counts before and after the run. */
interface Counts {
  failures: number;
  rate_limit_hits: number;
}

const FAILED = new Set(['failed', 'timed-out', 'error-before-start', 'lost']);

/** Which events a finished run is, given the plan counts before and after it. */
export function eventsOf(
  agent: AgentConfig,
  before: Counts | undefined,
  after: Counts,
  result: Pick<RunResult, 'status'>,
): NotifyEvent[] {
  const events: NotifyEvent[] = [];
  if (result.status === 'rate-limited') events.push('rate-limited');
  if (result.status === 'timed-out') events.push('timed-out');
  if (result.status === 'lost') events.push('lost');
  if (FAILED.has(result.status) && after.failures > agent.retry.max) events.push('failed');
  if (FAILED.has(result.status) && after.failures > 0) events.push('needs-attention'); // filtered per target
  if (result.status === 'succeeded' && before && (before.failures > 0 || before.rate_limit_hits > 0))
    events.push('recovered');
  return events;
}

/** A target as it may be written down: a webhook by origin (its path often is the secret). */
export function describeTarget(target: NotifyTarget): string {
  if (target.kind === 'command') return `command ${target.command[0]}`;
  try {
    return `webhook ${new URL(target.url).origin}`;
  } catch {
    return 'webhook';
  }
}

export class Notifier {
  private readonly pending = new Set<Promise<void>>();
  private insert: Database.Statement | undefined;
  private update: Database.Statement | undefined;
  private closed = false;
  private readonly now: () => number;

  /** Without a database (a daemon waiting for space to open its state), deliveries are not recorded. */
  constructor(
    db: Database.Database | undefined,
    private readonly options: NotifierOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    if (db) this.attach(db);
  }

  /** Record deliveries in `db` from now on. */
  attach(db: Database.Database): void {
    db.exec(`CREATE TABLE IF NOT EXISTS notifications (
        id INTEGER PRIMARY KEY,
        event TEXT NOT NULL,
        agent TEXT NOT NULL,
        run_id TEXT,
        target TEXT NOT NULL,      -- "webhook <origin>" or "command <argv0>": never the URL's path or a value
        status TEXT NOT NULL,      -- pending | delivered | failed
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        delivered_at INTEGER,
        latency_ms INTEGER
      )`);
    this.insert = db.prepare(
      `INSERT INTO notifications (event, agent, run_id, target, status, created_at) VALUES (?, ?, ?, ?, 'pending', ?)`,
    );
    this.update = db.prepare(
      `UPDATE notifications SET status = ?, attempts = ?, last_error = ?, delivered_at = ?, latency_ms = ? WHERE id = ?`,
    );
  }

  /**
   * The daemon's condition changed: tell every distinct target (by kind and URL/argv) of `agents` that asks
   * for `event`. Returns at once, like `afterRun`.
   */
  daemonEvent(
    event: DaemonNotification['event'],
    agents: readonly AgentConfig[],
    details: { stateDir: string; reason: string },
  ): void {
    if (this.closed) return;
    const byTarget = new Map<string, { target: NotifyTarget; agents: string[] }>();
    for (const agent of agents) {
      for (const target of agent.notify ?? []) {
        if (!target.on.includes(event)) continue;
        const key = JSON.stringify(target.kind === 'webhook' ? [target.url] : target.command);
        const entry = byTarget.get(key) ?? { target, agents: [] };
        entry.agents.push(agent.name);
        byTarget.set(key, entry);
      }
    }
    for (const { target, agents: names } of byTarget.values()) {
      const summary =
        event === 'disk-full'
          ? `habitat: no run starts: ${details.reason}`
          : `habitat: disk space is back (full since ${details.reason}): runs start again`;
      this.track(
        this.deliver(target, {
          event,
          agents: names.sort(),
          stateDir: details.stateDir,
          reason: details.reason,
          summary,
          text: summary,
          time: new Date(this.now()).toISOString(),
        }),
      );
    }
  }

  /** Decide and send the run's events. Returns at once; delivery happens in the background. */
  afterRun(
    agent: AgentConfig,
    before: Counts | undefined,
    after: Counts & { next_at: number | null },
    result: RunResult,
  ): void {
    const targets = agent.notify ?? [];
    if (targets.length === 0 || this.closed) return;
    const events = eventsOf(agent, before, after, result);
    if (events.length === 0) return;
    const task = this.send(agent, targets, events, after, result).catch((error) =>
      this.options.logger?.warn(
        { event: 'notify.error', err: (error as Error).message },
        'notification failed',
      ),
    );
    this.track(task);
  }

  private track(task: Promise<void>): void {
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task));
  }

  private async send(
    agent: AgentConfig,
    targets: NotifyTarget[],
    events: NotifyEvent[],
    after: Counts & { next_at: number | null },
    result: RunResult,
  ): Promise<void> {
    const secrets = (await readCredentialValues(agent).catch(() => [])).flatMap((c) =>
      c.values.map((value) => ({ name: c.name, value })),
    );
    const scrubber = new Scrubber(secrets);
    const clean = (s: string | null | undefined) => (s ? scrubber.scrubText(s) : null);
    for (const target of targets) {
      for (const event of events) {
        if (!target.on.includes(event)) continue;
        if (event === 'needs-attention' && after.failures !== target.after) continue;
        // When it will actually run next (a resumption's margin included), else what the run asked for.
        const wakeAt =
          after.next_at !== null && result.status === 'rate-limited'
            ? new Date(after.next_at).toISOString()
            : (result.wakeAt ?? null);
        const reason = clean(result.error?.message ?? result.wakeReason ?? null);
        const summary = clean(oneLine(event, agent.name, result, after.failures, wakeAt, reason))!;
        const body: Notification = {
          event,
          agent: agent.name,
          runId: result.runId,
          status: result.status,
          exitCode: result.exitCode ?? null,
          wakeAt,
          reason,
          logPath: result.logPath || null,
          failures: after.failures,
          summary,
          text: summary,
          time: new Date(this.now()).toISOString(),
        };
        this.track(this.deliver(target, body));
      }
    }
  }

  /** One notification to one target, retried with back-off; recorded either way. */
  private async deliver(target: NotifyTarget, body: Notification | DaemonNotification): Promise<void> {
    const created = this.now();
    let id: number | undefined;
    try {
      const [agent, runId] = 'agents' in body ? ['(daemon)', null] : [body.agent, body.runId];
      const row = this.insert?.run(body.event, agent, runId, describeTarget(target), created);
      id = row ? Number(row.lastInsertRowid) : undefined;
    } catch {
      // a full disk cannot take the record: the notification about it goes out all the same
    }
    const attempts = this.options.attempts ?? 5;
    let delay = this.options.backoffMs ?? 1000;
    let lastError = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        if (target.kind === 'webhook') await this.post(target.url, body);
        else await this.run(target.command, body);
        const at = this.now();
        this.safeUpdate('delivered', attempt, null, at, at - created, id);
        return;
      } catch (error) {
        // Never the URL: fetch errors can quote it.
        lastError = (error as Error).message.replace(/https?:\/\/\S+/g, '<url>').slice(0, 300);
        this.safeUpdate('pending', attempt, lastError, null, null, id);
      }
      if (attempt < attempts && !this.closed) {
        await new Promise((r) => setTimeout(r, delay).unref());
        delay *= 2;
      } else if (this.closed) break;
    }
    this.safeUpdate('failed', attempts, lastError, null, null, id);
    this.options.logger?.warn(
      {
        event: 'notify.failed',
        target: describeTarget(target),
        notification: body.event,
        agent: 'agents' in body ? body.agents.join(',') : body.agent,
      },
      `notification not delivered: ${lastError}`,
    );
  }

  private safeUpdate(
    ...args: [string, number, string | null, number | null, number | null, number | undefined]
  ): void {
    if (args[5] === undefined) return;
    try {
      this.update?.run(...args);
    } catch {
      // the store closed under a delivery that outlived the daemon's grace: nothing left to record into
    }
  }

  private async post(url: string, body: Notification | DaemonNotification): Promise<void> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'habitat' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
    });
    await response.body?.cancel().catch(() => {});
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  }

  private run(argv: string[], body: Notification | DaemonNotification): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), this.options.timeoutMs ?? 5000);
      child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-300)));
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`exit ${code ?? signal}${stderr ? `: ${stderr.trim()}` : ''}`));
      });
      child.stdin.on('error', () => {});
      child.stdin.end(`${JSON.stringify(body)}\n`);
    });
  }

  /** Wait up to `ms` for deliveries in flight, then give up on retries. */
  async close(ms = 2000): Promise<void> {
    const all = Promise.all([...this.pending]);
    await Promise.race([all, new Promise((r) => setTimeout(r, ms).unref())]);
    this.closed = true;
  }
}

function oneLine(
  event: NotifyEvent,
  agent: string,
  result: RunResult,
  failures: number,
  wakeAt: string | null,
  reason: string | null,
): string {
  const at = wakeAt ? new Date(wakeAt).toISOString().replace('T', ' ').slice(0, 16) : undefined;
  switch (event) {
    case 'rate-limited':
      return `habitat: ${agent} hit a rate limit${result.summary?.rateLimit?.type ? ` (${result.summary.rateLimit.type})` : ''}${at ? `; next run ${at} UTC` : ''}`;
    case 'recovered':
      return `habitat: ${agent} recovered: run ${result.runId} succeeded`;
    case 'lost':
      return `habitat: ${agent} run ${result.runId} was lost${reason ? `: ${reason}` : ''}`;
    case 'timed-out':
      return `habitat: ${agent} run ${result.runId} timed out`;
    case 'needs-attention':
      return `habitat: ${agent} needs attention: ${failures} failures in a row`;
    default:
      return `habitat: ${agent} failed (${result.status}${result.exitCode !== null && result.exitCode !== undefined ? `, exit ${result.exitCode}` : ''})${reason ? `: ${reason}` : ''}`;
  }
}
