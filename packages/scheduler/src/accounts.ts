// Accounts: the credential an agent's Claude runs with. Its usage windows (five_hour, seven_day) are
// recorded from every run's limit signals; tokens and cost come from the run records; pacing defers
// `priority: low` agents while a window is at or over `rateLimit.pace` (or Claude warns).
import path from 'node:path';
import type { AgentConfig } from '@habitat/config';
import type { RunResult } from '@habitat/runner';
import type Database from 'better-sqlite3';

/** Variables that carry a Claude credential: an API key, or a subscription login's token. */
const CLAUDE_VARS = /^(ANTHROPIC_API_KEY|ANTHROPIC_AUTH_TOKEN|CLAUDE_CODE_OAUTH_TOKEN)$/;

export interface AccountRef {
  /** stable identity: `env:<VAR>`, `file:<path>` (as credential pauses key them) or `config:<dir>` */
  key: string;
  /** what people call it (never the value) */
  label: string;
  /** `api-key` (pay per token), `oauth` (a subscription login's token) or `login` (a CLAUDE_CONFIG_DIR) */
  kind: 'api-key' | 'oauth' | 'login';
}

/**
 * The account an agent's Claude runs with: a credential delivering a Claude variable (or named like one),
 * else the agent's own Claude config dir (`<stateDir>/claude/<agent>`) with whatever login it holds.
 */
export function accountOf(agent: AgentConfig, stateDir: string): AccountRef | undefined {
  const cred =
    agent.credentials.find((c) => c.as === 'env' && CLAUDE_VARS.test(c.envName)) ??
    agent.credentials.find((c) => /anthropic|claude/i.test(c.name));
  if (cred) {
    const key = cred.source.kind === 'file' ? `file:${cred.source.path}` : `env:${cred.source.variable}`;
    const kind = /OAUTH/i.test(cred.envName) || /oauth|login/i.test(cred.name) ? 'oauth' : 'api-key';
    return {
      key,
      label: `${cred.name} (${cred.source.kind === 'env' ? `$${cred.source.variable}` : cred.source.path})`,
      kind,
    };
  }
  if (agent.run.kind !== 'claude') return undefined;
  const dir = path.join(stateDir, 'claude', agent.name);
  return { key: `config:${dir}`, label: `CLAUDE_CONFIG_DIR ${dir}`, kind: 'login' };
}

export interface AccountWindow {
  window: string;
  status: string | null;
  utilization: number | null;
  resetsAt: string | null;
  overageStatus: string | null;
  updatedAt: string;
}

export interface Usage {
  runs: number;
  costUsd: number;
  tokens: { input: number; output: number; cacheRead: number; cacheCreation: number };
}

export interface AccountReport {
  key: string;
  label: string;
  kind: AccountRef['kind'];
  agents: string[];
  windows: AccountWindow[];
  /** the current five-hour window (since its start, or the last 5 h) and the last 7 days */
  usage: { fiveHour: Usage & { since: string }; sevenDays: Usage & { since: string } };
  /** agents on this account are held until then (a rejected window, or a paused credential) */
  pausedUntil: string | null;
  /** the latest pacing deferrals of its agents */
  deferrals: { agent: string; at: string; until: string; reason: string }[];
}

const HOUR = 3_600_000;

interface WindowRow {
  account: string;
  window: string;
  status: string | null;
  utilization: number | null;
  resets_at: number | null;
  overage_status: string | null;
  updated_at: number;
}

/** Account state beside the scheduler's tables; read-only handles only read. */
export class Accounts {
  private readonly write;
  private readonly ready: boolean;

  constructor(private readonly db: Database.Database) {
    if (!db.readonly)
      db.exec(`CREATE TABLE IF NOT EXISTS account_windows (
          account TEXT NOT NULL,
          window TEXT NOT NULL,          -- five_hour | seven_day | ...
          status TEXT,                   -- allowed | allowed_warning | rejected
          utilization REAL,              -- 0..1
          resets_at INTEGER,
          overage_status TEXT,
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (account, window)
        );
        CREATE TABLE IF NOT EXISTS deferrals (
          agent TEXT NOT NULL,
          account TEXT NOT NULL,
          deferred_at INTEGER NOT NULL,
          until INTEGER NOT NULL,
          reason TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS deferrals_by_agent ON deferrals(agent, deferred_at);`);
    this.ready =
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'account_windows'").get() !==
      undefined;
    this.write = db.readonly
      ? undefined
      : {
          window: db.prepare(
            `INSERT INTO account_windows (account, window, status, utilization, resets_at, overage_status, updated_at)
             VALUES (@account, @window, @status, @utilization, @resets_at, @overage_status, @updated_at)
             ON CONFLICT(account, window) DO UPDATE SET status = excluded.status,
               utilization = COALESCE(excluded.utilization, utilization), resets_at = COALESCE(excluded.resets_at, resets_at),
               overage_status = COALESCE(excluded.overage_status, overage_status), updated_at = excluded.updated_at`,
          ),
          // An "allowed" answer after a reset: windows whose reset has passed are no longer limited.
          reopen: db.prepare(
            `UPDATE account_windows SET status = 'allowed', updated_at = ?
             WHERE account = ? AND status != 'allowed' AND (resets_at IS NULL OR resets_at <= ?)`,
          ),
          defer: db.prepare(
            'INSERT INTO deferrals (agent, account, deferred_at, until, reason) VALUES (?, ?, ?, ?, ?)',
          ),
        };
  }

  /** Record what a run said about its account's windows. */
  record(agent: AgentConfig, stateDir: string, result: RunResult, now: number): void {
    const account = accountOf(agent, stateDir);
    const limit = result.summary?.rateLimit;
    if (!this.write || !account || !limit) return;
    const windows = limit.windows ?? (limit.type ? { [limit.type]: limit } : {});
    if (Object.keys(windows).length === 0 && limit.status === 'allowed')
      this.write.reopen.run(now, account.key, now);
    for (const [window, w] of Object.entries(windows)) {
      this.write.window.run({
        account: account.key,
        window,
        status: w.status ?? null,
        utilization: w.utilization ?? null,
        resets_at: w.resetsAt ? Date.parse(w.resetsAt) : null,
        overage_status: limit.overageStatus ?? null,
        updated_at: now,
      });
    }
  }

  windows(account: string): WindowRow[] {
    if (!this.ready) return [];
    return this.db
      .prepare('SELECT * FROM account_windows WHERE account = ? ORDER BY window')
      .all(account) as WindowRow[];
  }

  /**
   * Pacing: should this run of `agent` wait? Only `priority: low` agents with `rateLimit.pace` are
   * deferred, while a window of their account that has not reset is at/over pace or warned about.
   */
  deferral(agent: AgentConfig, stateDir: string, now: number): { until: number; reason: string } | undefined {
    const pace = agent.rateLimit.pace;
    if (agent.priority !== 'low' || pace === undefined) return undefined;
    const account = accountOf(agent, stateDir);
    if (!account) return undefined;
    const hot = this.windows(account.key).filter(
      (w) =>
        w.resets_at !== null &&
        w.resets_at > now &&
        ((w.utilization !== null && w.utilization >= pace) ||
          w.status === 'allowed_warning' ||
          w.status === 'rejected'),
    );
    if (hot.length === 0) return undefined;
    const until = Math.max(...hot.map((w) => w.resets_at!));
    const why = hot
      .map((w) =>
        w.utilization !== null && w.utilization >= pace
          ? `${w.window} at ${Math.round(w.utilization * 100)}% >= pace ${Math.round(pace * 100)}%`
          : `${w.window} ${w.status}`,
      )
      .join(', ');
    return { until, reason: `priority low: ${account.label} ${why}; deferred until the window resets` };
  }

  /** Remember a deferral (every one is recorded with its reason). */
  recordDeferral(agent: string, account: string, now: number, until: number, reason: string): void {
    this.write?.defer.run(agent, account, now, until, reason);
  }

  /** Every account of these agents, with windows, usage and pauses. */
  report(
    agents: AgentConfig[],
    stateDir: string,
    now: number,
    pauses: { credential: string; until: number }[],
  ): AccountReport[] {
    const byKey = new Map<string, { ref: AccountRef; agents: string[] }>();
    for (const agent of agents) {
      const ref = accountOf(agent, stateDir);
      if (!ref) continue;
      const entry = byKey.get(ref.key) ?? { ref, agents: [] };
      entry.agents.push(agent.name);
      byKey.set(ref.key, entry);
    }
    return [...byKey.values()].map(({ ref, agents: names }) => {
      const windows = this.windows(ref.key);
      const five = windows.find((w) => w.window === 'five_hour');
      const fiveSince = five?.resets_at && five.resets_at > now ? five.resets_at - 5 * HOUR : now - 5 * HOUR;
      const weekSince = now - 7 * 24 * HOUR;
      const held = [
        ...windows
          .filter((w) => w.status === 'rejected' && w.resets_at !== null && w.resets_at > now)
          .map((w) => w.resets_at!),
        ...pauses.filter((p) => p.credential === ref.key && p.until > now).map((p) => p.until),
      ];
      return {
        key: ref.key,
        label: ref.label,
        kind: ref.kind,
        agents: names,
        windows: windows.map((w) => ({
          window: w.window,
          status: w.status,
          utilization: w.utilization,
          resetsAt: w.resets_at !== null ? new Date(w.resets_at).toISOString() : null,
          overageStatus: w.overage_status,
          updatedAt: new Date(w.updated_at).toISOString(),
        })),
        usage: {
          fiveHour: { ...this.usage(names, fiveSince), since: new Date(fiveSince).toISOString() },
          sevenDays: { ...this.usage(names, weekSince), since: new Date(weekSince).toISOString() },
        },
        pausedUntil: held.length ? new Date(Math.max(...held)).toISOString() : null,
        deferrals: this.deferrals(names, 5),
      };
    });
  }

  private usage(agents: string[], since: number): Usage {
    if (agents.length === 0)
      return { runs: 0, costUsd: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 } };
    const marks = agents.map(() => '?').join(', ');
    // Tokens live in the run's result JSON (summary.tokens): no column, so no migration of the runs table.
    const row = this.db
      .prepare(
        `SELECT COUNT(*) AS runs, COALESCE(SUM(cost_usd), 0) AS cost,
           COALESCE(SUM(json_extract(result, '$.summary.tokens.input')), 0) AS input,
           COALESCE(SUM(json_extract(result, '$.summary.tokens.output')), 0) AS output,
           COALESCE(SUM(json_extract(result, '$.summary.tokens.cacheRead')), 0) AS cache_read,
           COALESCE(SUM(json_extract(result, '$.summary.tokens.cacheCreation')), 0) AS cache_creation
         FROM runs INDEXED BY runs_by_start WHERE started_at >= ? AND agent IN (${marks})`,
      )
      .get(since, ...agents) as Record<string, number>;
    return {
      runs: row.runs ?? 0,
      costUsd: row.cost ?? 0,
      tokens: {
        input: row.input ?? 0,
        output: row.output ?? 0,
        cacheRead: row.cache_read ?? 0,
        cacheCreation: row.cache_creation ?? 0,
      },
    };
  }

  private deferrals(agents: string[], limit: number): AccountReport['deferrals'] {
    if (!this.ready || agents.length === 0) return [];
    const marks = agents.map(() => '?').join(', ');
    return (
      this.db
        .prepare(
          `SELECT agent, deferred_at, until, reason FROM deferrals WHERE agent IN (${marks}) ORDER BY deferred_at DESC LIMIT ?`,
        )
        .all(...agents, limit) as { agent: string; deferred_at: number; until: number; reason: string }[]
    ).map((d) => ({
      agent: d.agent,
      at: new Date(d.deferred_at).toISOString(),
      until: new Date(d.until).toISOString(),
      reason: d.reason,
    }));
  }
}
