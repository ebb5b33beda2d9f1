// The whole screen's state: which view, the connection, overlays and prompts, and each view's slice.
// One reducer over pure slices; the container dispatches, `sources.ts` feeds it.
import type { AccountLine } from './accounts.js';
import type { AgentView } from './fleet.js';
import {
  applyFleetEvent,
  applySnapshot,
  type FleetState,
  initialFleet,
  moveSelection,
  SORT_KEYS,
} from './fleet.js';
import {
  applyRunEvents,
  findMatch,
  initialCursor,
  initialRuns,
  type LogCursor,
  markStreamBroken,
  type RunsState,
  resyncLog,
  scrollLog,
  scrollToTop,
  setHistory,
  setLoadedLog,
} from './runs.js';
import type { DaemonEventLike, RunRecord } from './types.js';

export type View = 'fleet' | 'run' | 'sessions' | 'knowledge';
export const VIEWS: View[] = ['fleet', 'run', 'sessions', 'knowledge'];

export type Connection =
  | { mode: 'connecting' }
  | { mode: 'live'; pid?: number }
  /** no daemon: the state is read from disk; `retryAt` is when we try the socket again */
  | { mode: 'read-only'; reason: string; retryAt?: number }
  | { mode: 'offline'; reason: string; retryAt?: number };

export type PromptKind = 'filter' | 'log-search' | 'sessions' | 'knowledge';

/** Something the container must do outside the state: ask the daemon, read a file, query an index. */
export type Effect =
  | { kind: 'trigger'; agent: string }
  | { kind: 'pause'; agent: string }
  | { kind: 'resume'; agent: string }
  | { kind: 'cancel'; agent: string; runId: string }
  /** `openLatest`: also load the newest run's log (the agent is not running) */
  | { kind: 'load-history'; agent: string; openLatest?: boolean }
  /** `quiet`: a missing file is expected (a run that just started), not worth a message */
  | {
      kind: 'load-log';
      agent: string;
      runId: string;
      logPath?: string | null;
      status?: string;
      quiet?: boolean;
    }
  | { kind: 'search-sessions'; query: string }
  | { kind: 'open-session'; sessionId: string }
  | { kind: 'search-knowledge'; query: string }
  | { kind: 'quit' };

export interface SessionHitView {
  sessionId: string;
  title: string;
  when: string;
  agent?: string;
  snippet: string;
  kind: string;
}

export interface TranscriptEntry {
  id: number;
  kind: string;
  label: string;
  body: string;
  /** a tool call or result: folded to one line unless unfolded */
  foldable: boolean;
}

export interface SessionsState {
  query: string;
  hits: SessionHitView[];
  selected: number;
  mode?: 'all' | 'any' | 'none';
  error?: string;
  transcript?: {
    sessionId: string;
    title: string;
    entries: TranscriptEntry[];
    cursor: number;
    unfolded: number[];
  };
}

export interface KnowledgeHitView {
  id: string;
  title: string;
  status: string;
  confidence: number;
  tags: string[];
  scope: string;
  snippet: string;
  body: string;
  /** where it came from, one line each: the run, session or person */
  provenance: string[];
  file?: string;
  /** why search serves it as stale, as `habitat knowledge search` says it (e.g. `contradicted by k-…`) */
  stale?: string;
}

export interface KnowledgeState {
  query: string;
  hits: KnowledgeHitView[];
  selected: number;
  error?: string;
}

export interface AppState {
  now: number;
  size: { columns: number; rows: number };
  view: View;
  help: boolean;
  connection: Connection;
  fleet: FleetState;
  runs: RunsState;
  /** the run view: whose runs, which run, where the log window is */
  run: { agent?: string; runId?: string; cursor: LogCursor; historyIndex: number };
  sessions: SessionsState;
  knowledge: KnowledgeState;
  prompt?: { kind: PromptKind; text: string };
  confirm?: { message: string; effect: Effect };
  flash?: { text: string; at: number; error?: boolean };
  /** agent files with errors (from the status snapshot) */
  problems?: string[];
  /** the Claude accounts row of the header (live daemon only) */
  accounts?: AccountLine[];
}

export function initialState(input: { now: number; columns?: number; rows?: number }): AppState {
  return {
    now: input.now,
    size: { columns: input.columns ?? 80, rows: input.rows ?? 24 },
    view: 'fleet',
    help: false,
    connection: { mode: 'connecting' },
    fleet: initialFleet,
    runs: initialRuns,
    run: { cursor: initialCursor, historyIndex: 0 },
    sessions: { query: '', hits: [], selected: 0 },
    knowledge: { query: '', hits: [], selected: 0 },
  };
}

export type Action =
  | { type: 'tick'; now: number }
  | { type: 'resize'; columns: number; rows: number }
  | { type: 'connection'; connection: Connection }
  /** `problems`: agent files that did not load, as `file:line message` (they never stop the others) */
  | { type: 'snapshot'; agents: AgentView[]; problems?: string[] }
  | { type: 'events'; events: DaemonEventLike[] }
  | { type: 'history'; agent: string; runs: RunRecord[] }
  | {
      type: 'log-loaded';
      agent: string;
      runId: string;
      text: string;
      file: string;
      status?: string;
      /** when each line arrived (the log's `.times`), for the times shown beside rendered lines */
      times?: number[];
    }
  /** the daemon's stream broke (a drop or a restart) while these runs were live */
  | { type: 'stream-broken'; runIds: string[] }
  /** a live run's log file, read after the stream came back: it fills the gap */
  | {
      type: 'log-resynced';
      runId: string;
      text: string;
      /** the number of the text's first line in the file (the text is its tail) */
      firstLine: number;
      /** the run finished while the stream was down */
      ended?: boolean;
      times?: number[];
    }
  | { type: 'view'; view: View }
  | { type: 'help'; show?: boolean }
  | { type: 'select'; delta: number }
  | { type: 'sort'; key?: FleetState['sort'] }
  | { type: 'prompt-open'; kind: PromptKind }
  | { type: 'prompt-edit'; text: string }
  | { type: 'prompt-close' }
  | { type: 'open-run'; agent: string; runId?: string }
  | { type: 'history-select'; delta: number }
  | { type: 'scroll'; delta: number }
  | { type: 'scroll-top' }
  | { type: 'follow' }
  | { type: 'search-step'; direction: 'older' | 'newer' }
  | { type: 'confirm'; message: string; effect: Effect }
  | { type: 'confirm-close' }
  | { type: 'flash'; text: string; error?: boolean }
  | {
      type: 'sessions-results';
      query: string;
      hits: SessionHitView[];
      mode?: SessionsState['mode'];
      error?: string;
    }
  | { type: 'transcript'; sessionId: string; title: string; entries: TranscriptEntry[] }
  | { type: 'transcript-close' }
  | { type: 'transcript-move'; delta: number }
  | { type: 'fold-toggle'; all?: boolean }
  | { type: 'knowledge-results'; query: string; hits: KnowledgeHitView[]; error?: string }
  | { type: 'accounts'; accounts: AccountLine[] };

/** Rows the body of a view gets: the screen minus the header, the status line and the key hints. */
export function bodyRows(state: AppState): number {
  return Math.max(3, state.size.rows - 3 - (state.accounts?.length ? 1 : 0));
}

/** Lines of log the run view shows. */
export function logRows(state: AppState): number {
  return Math.max(1, bodyRows(state) - 1);
}

export function runBuffer(state: AppState) {
  return state.run.runId ? state.runs.logs[state.run.runId] : undefined;
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

export function reduce(state: AppState, action: Action): AppState {
  switch (action.type) {
    case 'tick':
      return {
        ...state,
        now: action.now,
        ...(state.flash && action.now - state.flash.at > 4000 ? { flash: undefined } : {}),
      };
    case 'resize':
      return { ...state, size: { columns: action.columns, rows: action.rows } };
    case 'connection':
      return { ...state, connection: action.connection };
    case 'accounts':
      return { ...state, accounts: action.accounts };
    case 'snapshot':
      return {
        ...state,
        fleet: applySnapshot(state.fleet, action.agents),
        ...(action.problems ? { problems: action.problems } : {}),
      };
    case 'events': {
      let fleet = state.fleet;
      for (const e of action.events) if (e.event !== 'run.output') fleet = applyFleetEvent(fleet, e);
      const runs = applyRunEvents(state.runs, action.events);
      // A run starting for the agent on screen takes over the run view, unless the person scrolled back.
      let run = state.run;
      const started = action.events.find((e) => e.event === 'run.started' && e.agent === run.agent);
      if (started && typeof started.runId === 'string' && (run.cursor.follow || !run.runId)) {
        run = { ...run, runId: started.runId, cursor: { ...run.cursor, follow: true }, historyIndex: 0 };
      }
      return { ...state, fleet, runs, run };
    }
    case 'history': {
      const runs = setHistory(state.runs, action.agent, action.runs);
      // Opening an agent that is not running shows its newest run.
      const newest = action.runs[0]?.id;
      return state.run.agent === action.agent && !state.run.runId && newest
        ? { ...state, runs, run: { ...state.run, runId: newest, historyIndex: 0 } }
        : { ...state, runs };
    }
    case 'log-loaded':
      return { ...state, runs: setLoadedLog(state.runs, action) };
    case 'stream-broken':
      return { ...state, runs: markStreamBroken(state.runs, action.runIds) };
    case 'log-resynced': {
      const { runs, missed } = resyncLog(state.runs, action);
      if (missed === 0) return { ...state, runs };
      const agent = runs.logs[action.runId]?.agent ?? '';
      const text = `reconnected: ${missed} line${missed === 1 ? '' : 's'} of ${agent}'s run the stream missed, reloaded from its log`;
      return { ...state, runs, flash: { text, at: state.now } };
    }
    case 'view':
      return { ...state, view: action.view, help: false };
    case 'help':
      return { ...state, help: action.show ?? !state.help };
    case 'select':
      return selectBy(state, action.delta);
    case 'sort': {
      const i = SORT_KEYS.indexOf(state.fleet.sort);
      const sort = action.key ?? SORT_KEYS[(i + 1) % SORT_KEYS.length]!;
      return { ...state, fleet: { ...state.fleet, sort } };
    }
    case 'prompt-open':
      return { ...state, prompt: { kind: action.kind, text: promptInitial(state, action.kind) } };
    case 'prompt-edit': {
      if (!state.prompt) return state;
      const prompt = { ...state.prompt, text: action.text };
      // The fleet filter and the log search apply as you type.
      if (prompt.kind === 'filter')
        return { ...state, prompt, fleet: { ...state.fleet, filter: action.text } };
      if (prompt.kind === 'log-search')
        return {
          ...state,
          prompt,
          run: { ...state.run, cursor: { ...state.run.cursor, search: action.text } },
        };
      return { ...state, prompt };
    }
    case 'prompt-close': {
      const { prompt: _closed, ...rest } = state;
      return rest;
    }
    case 'open-run':
      return {
        ...state,
        view: 'run',
        help: false,
        fleet: { ...state.fleet, selected: action.agent },
        run: {
          agent: action.agent,
          ...(action.runId ? { runId: action.runId } : {}),
          cursor: { ...initialCursor, search: state.run.cursor.search },
          historyIndex: 0,
        },
      };
    case 'history-select': {
      const list = state.run.agent ? (state.runs.history[state.run.agent] ?? []) : [];
      if (list.length === 0) return state;
      const historyIndex = clamp(state.run.historyIndex + action.delta, 0, list.length - 1);
      return {
        ...state,
        run: {
          ...state.run,
          historyIndex,
          runId: list[historyIndex]!.id,
          cursor: { ...state.run.cursor, follow: true },
        },
      };
    }
    case 'scroll':
      return withCursor(state, scrollLog(runBuffer(state), state.run.cursor, action.delta, logRows(state)));
    case 'scroll-top':
      return withCursor(state, scrollToTop(runBuffer(state), state.run.cursor, logRows(state)));
    case 'follow':
      return withCursor(state, { ...state.run.cursor, follow: true });
    case 'search-step': {
      const r = findMatch(runBuffer(state), state.run.cursor, logRows(state), action.direction);
      const next = withCursor(state, r.cursor);
      return r.found
        ? next
        : {
            ...next,
            flash: { text: `no ${action.direction} match for "${state.run.cursor.search}"`, at: state.now },
          };
    }
    case 'confirm':
      return { ...state, confirm: { message: action.message, effect: action.effect } };
    case 'confirm-close': {
      const { confirm: _closed, ...rest } = state;
      return rest;
    }
    case 'flash':
      return {
        ...state,
        flash: { text: action.text, at: state.now, ...(action.error ? { error: true } : {}) },
      };
    case 'sessions-results': {
      const { error: _e, transcript: _t, ...rest } = state.sessions;
      return {
        ...state,
        sessions: {
          ...rest,
          query: action.query,
          hits: action.hits,
          selected: 0,
          ...(action.mode ? { mode: action.mode } : {}),
          ...(action.error ? { error: action.error } : {}),
        },
      };
    }
    case 'transcript':
      return {
        ...state,
        sessions: {
          ...state.sessions,
          transcript: {
            sessionId: action.sessionId,
            title: action.title,
            entries: action.entries,
            cursor: 0,
            unfolded: [],
          },
        },
      };
    case 'transcript-close': {
      const { transcript: _t, ...rest } = state.sessions;
      return { ...state, sessions: rest };
    }
    case 'transcript-move': {
      const t = state.sessions.transcript;
      if (!t) return state;
      const cursor = clamp(t.cursor + action.delta, 0, Math.max(0, t.entries.length - 1));
      return { ...state, sessions: { ...state.sessions, transcript: { ...t, cursor } } };
    }
    case 'fold-toggle': {
      const t = state.sessions.transcript;
      if (!t) return state;
      let unfolded: number[];
      if (action.all) {
        const foldable = t.entries.filter((e) => e.foldable).map((e) => e.id);
        unfolded = t.unfolded.length > 0 ? [] : foldable;
      } else {
        const id = t.entries[t.cursor]?.id;
        if (id === undefined) return state;
        unfolded = t.unfolded.includes(id) ? t.unfolded.filter((x) => x !== id) : [...t.unfolded, id];
      }
      return { ...state, sessions: { ...state.sessions, transcript: { ...t, unfolded } } };
    }
    case 'knowledge-results': {
      const { error: _e, ...rest } = state.knowledge;
      return {
        ...state,
        knowledge: {
          ...rest,
          query: action.query,
          hits: action.hits,
          selected: 0,
          ...(action.error ? { error: action.error } : {}),
        },
      };
    }
    default:
      return state;
  }
}

function withCursor(state: AppState, cursor: LogCursor): AppState {
  return { ...state, run: { ...state.run, cursor } };
}

function promptInitial(state: AppState, kind: PromptKind): string {
  if (kind === 'filter') return state.fleet.filter;
  if (kind === 'log-search') return state.run.cursor.search;
  if (kind === 'sessions') return state.sessions.query;
  return state.knowledge.query;
}

function selectBy(state: AppState, delta: number): AppState {
  switch (state.view) {
    case 'fleet':
      return { ...state, fleet: moveSelection(state.fleet, delta) };
    case 'sessions':
      if (state.sessions.transcript) return reduce(state, { type: 'transcript-move', delta });
      return {
        ...state,
        sessions: {
          ...state.sessions,
          selected: clamp(state.sessions.selected + delta, 0, Math.max(0, state.sessions.hits.length - 1)),
        },
      };
    case 'knowledge':
      return {
        ...state,
        knowledge: {
          ...state.knowledge,
          selected: clamp(state.knowledge.selected + delta, 0, Math.max(0, state.knowledge.hits.length - 1)),
        },
      };
    default:
      return state;
  }
}
