// The fleet: every agent's state from the daemon's status snapshot, kept live by its events.
// Reducer + selectors, pure.
import type { AgentStatus } from '@habitat/scheduler';
import { fit, formatAgo, formatClock, formatCost, formatDuration, formatElapsed } from './format.js';
import type { DaemonEventLike, RunResultLike } from './types.js';

export type AgentView = AgentStatus;

export const SORT_KEYS = ['name', 'state', 'next', 'last', 'cost'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface FleetState {
  agents: Record<string, AgentView>;
  sort: SortKey;
  filter: string;
  /** the selected agent's name (selection follows the agent, not the row, across re-sorts) */
  selected?: string;
}

export const initialFleet: FleetState = { agents: {}, sort: 'name', filter: '' };

const FAILED = new Set(['failed', 'timed-out', 'error-before-start', 'lost']);

/** Apply the daemon's status snapshot: the source of truth, replacing what events inferred. */
export function applySnapshot(state: FleetState, agents: AgentView[]): FleetState {
  const next: Record<string, AgentView> = {};
  for (const a of agents) next[a.agent] = a;
  const selected = state.selected && next[state.selected] ? state.selected : agents[0]?.agent;
  return { ...state, agents: next, ...(selected ? { selected } : {}) };
}

/** Events move an agent between states at once; the next snapshot corrects the details. */
export function applyFleetEvent(state: FleetState, e: DaemonEventLike): FleetState {
  const name = typeof e.agent === 'string' ? e.agent : undefined;
  if (!name) return state;
  const current = state.agents[name];
  const put = (a: AgentView): FleetState => ({ ...state, agents: { ...state.agents, [name]: a } });
  switch (e.event) {
    case 'agent.loaded':
      return current ? state : put({ agent: name, state: 'idle', schedule: '', backend: '', costToday: 0 });
    case 'agent.removed': {
      const { [name]: _gone, ...rest } = state.agents;
      return { ...state, agents: rest };
    }
    case 'agent.paused':
      return current ? put({ ...current, state: 'paused' }) : state;
    case 'agent.resumed':
      return current ? put({ ...current, state: 'idle' }) : state;
    case 'run.queued':
      return current && current.state !== 'running'
        ? put({
            ...current,
            state: 'queued',
            running: { runId: String(e.runId), trigger: String(e.trigger ?? 'manual') },
          })
        : state;
    case 'run.started':
      return current
        ? put({
            ...current,
            state: 'running',
            running: { runId: String(e.runId), startedAt: e.time, trigger: String(e.trigger ?? '') },
          })
        : state;
    case 'wake.set':
      return current
        ? put({
            ...current,
            nextAt: String(e.at),
            nextReason: e.source === 'agent' ? 'wake' : String(e.source ?? 'wake'),
            ...(current.state !== 'running'
              ? { state: 'sleeping' as const, sleepReason: sleepWhy(e.source, e.reason) }
              : {}),
          })
        : state;
    case 'run.finished': {
      if (!current) return state;
      const r = (e.result ?? {}) as RunResultLike;
      const { running: _done, ...rest } = current;
      const status = r.status ?? 'failed';
      const sleeping = r.wakeAt && Date.parse(r.wakeAt) > Date.parse(e.time);
      return put({
        ...rest,
        state: FAILED.has(status)
          ? 'failed'
          : sleeping
            ? 'sleeping'
            : current.state === 'paused'
              ? 'paused'
              : 'idle',
        ...(sleeping
          ? {
              nextAt: r.wakeAt,
              nextReason: status === 'rate-limited' ? 'rate-limit' : 'wake',
              sleepReason: sleepWhy(status === 'rate-limited' ? 'rate-limit' : 'agent', r.wakeReason),
            }
          : {}),
        lastRun: {
          runId: String(e.runId ?? r.runId),
          status,
          exitCode: r.exitCode ?? null,
          durationMs: r.durationMs ?? null,
          ...(r.endedAt ? { endedAt: r.endedAt } : {}),
        },
        costToday: current.costToday + (r.summary?.costUsd ?? 0),
      });
    }
    default:
      return state;
  }
}

function sleepWhy(source: unknown, reason: unknown): string {
  const who =
    source === 'agent' ? 'own request' : source === 'rate-limit' ? 'rate limit' : String(source ?? '');
  return `${who}${reason ? `: ${String(reason)}` : ''}`;
}

// ---- selectors -----------------------------------------------------------------------------

const STATE_ORDER: Record<string, number> = {
  running: 0,
  queued: 1,
  failed: 2,
  sleeping: 3,
  paused: 4,
  idle: 5,
};

/** The agents to show: filtered (by name, state or schedule; case-insensitive), then sorted. */
export function visibleAgents(state: FleetState): AgentView[] {
  const q = state.filter.trim().toLowerCase();
  const list = Object.values(state.agents).filter(
    (a) =>
      !q ||
      a.agent.toLowerCase().includes(q) ||
      a.state.includes(q) ||
      a.schedule.toLowerCase().includes(q) ||
      (a.lastRun?.status ?? '').includes(q),
  );
  const byName = (a: AgentView, b: AgentView) => a.agent.localeCompare(b.agent);
  const cmp: Record<SortKey, (a: AgentView, b: AgentView) => number> = {
    name: byName,
    state: (a, b) => (STATE_ORDER[a.state] ?? 9) - (STATE_ORDER[b.state] ?? 9) || byName(a, b),
    next: (a, b) => (a.nextAt ?? '~').localeCompare(b.nextAt ?? '~') || byName(a, b),
    last: (a, b) => (b.lastRun?.endedAt ?? '').localeCompare(a.lastRun?.endedAt ?? '') || byName(a, b),
    cost: (a, b) => b.costToday - a.costToday || byName(a, b),
  };
  return list.sort(cmp[state.sort]);
}

export function selectedIndex(state: FleetState, list = visibleAgents(state)): number {
  const i = list.findIndex((a) => a.agent === state.selected);
  return Math.max(i, 0);
}

/** Move the selection by `delta` rows within the visible list. */
export function moveSelection(state: FleetState, delta: number): FleetState {
  const list = visibleAgents(state);
  if (list.length === 0) return state;
  const i = Math.min(list.length - 1, Math.max(0, selectedIndex(state, list) + delta));
  return { ...state, selected: list[i]!.agent };
}

/** The state in words: readable without colour. */
export function describeState(a: AgentView, now: number): string {
  switch (a.state) {
    case 'running':
      return a.running?.startedAt
        ? `running for ${formatElapsed(now - Date.parse(a.running.startedAt))}`
        : 'running';
    case 'queued':
      return 'queued';
    case 'sleeping':
      return `sleeping until ${formatClock(a.nextAt, now)}${a.sleepReason ? ` (${a.sleepReason})` : ''}`;
    case 'paused':
      return 'paused';
    case 'failed':
      return a.lastRun
        ? `failed: ${a.lastRun.status}${a.lastRun.exitCode !== null ? ` (exit ${a.lastRun.exitCode})` : ''}`
        : 'failed';
    default:
      return 'idle';
  }
}

export interface FleetRow {
  agent: string;
  state: AgentView['state'];
  stateText: string;
  next: string;
  last: string;
  cost: string;
}

/** One table row per agent, as text. */
export function fleetRow(a: AgentView, now: number): FleetRow {
  const next =
    a.state === 'paused' || !a.nextAt
      ? '-'
      : `${formatClock(a.nextAt, now)} ${a.nextReason && a.nextReason !== 'schedule' ? a.nextReason : ''}`.trim();
  const last = a.lastRun
    ? `${a.lastRun.status} ${formatDuration(a.lastRun.durationMs)}${a.lastRun.endedAt ? ` ${formatAgo(a.lastRun.endedAt, now)}` : ''}`
    : 'never run';
  return {
    agent: a.agent,
    state: a.state,
    stateText: describeState(a, now),
    next,
    last,
    cost: formatCost(a.costToday),
  };
}

/** Column widths for a terminal `width` columns wide (at 80: every column still legible). */
export function fleetColumns(width: number): {
  agent: number;
  state: number;
  next: number;
  last: number;
  cost: number;
} {
  const cost = 7;
  const next = 11;
  const rest = Math.max(40, width - cost - next - 4);
  const agent = Math.max(10, Math.min(24, Math.floor(rest * 0.25)));
  const last = Math.max(14, Math.min(30, Math.floor(rest * 0.33)));
  const state = rest - agent - last;
  return { agent, state, next, last, cost };
}

export function formatFleetRow(row: FleetRow, width: number): string {
  const c = fleetColumns(width);
  return [
    fit(row.agent, c.agent, true),
    fit(row.stateText, c.state, true),
    fit(row.next, c.next, true),
    fit(row.last, c.last, true),
    fit(row.cost, c.cost),
  ].join(' ');
}

export function fleetHeader(width: number, sort: SortKey): string {
  const c = fleetColumns(width);
  const mark = (label: string, key: SortKey) => (sort === key ? `${label}▼` : label);
  return [
    fit(mark('AGENT', 'name'), c.agent, true),
    fit(mark('STATE', 'state'), c.state, true),
    fit(mark('NEXT', 'next'), c.next, true),
    fit(mark('LAST RUN', 'last'), c.last, true),
    fit(mark('TODAY', 'cost'), c.cost),
  ].join(' ');
}
