// Keys -> actions and effects, pure: what each key does in each view (and the `?` screen lists them).
import { type Action, type AppState, type Effect, logRows, VIEWS } from './app.js';
import { selectedIndex, visibleAgents } from './fleet.js';

/** The subset of Ink's `Key` the TUI reads. */
export interface KeyPress {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  tab?: boolean;
  shift?: boolean;
  backspace?: boolean;
  delete?: boolean;
}

export interface KeyResult {
  actions: Action[];
  effects: Effect[];
}

/** The keys, per view, as `?` shows them. */
export const KEY_HELP: { view: string; keys: [string, string][] }[] = [
  {
    view: 'everywhere',
    keys: [
      ['1-4 / tab', 'fleet, run, sessions, knowledge'],
      ['?', 'show or hide these keys'],
      ['esc', 'close, go back'],
      ['q', 'quit'],
    ],
  },
  {
    view: 'fleet',
    keys: [
      ['↑↓ j k PgUp PgDn', 'select an agent'],
      ['enter', "open the agent's runs"],
      ['o', 'sort by the next column'],
      ['/', 'filter (name, state, schedule)'],
      ['r', 'run now'],
      ['p', 'pause or resume'],
      ['x', 'cancel the running run (asks first)'],
    ],
  },
  {
    view: 'run',
    keys: [
      ['↑↓ PgUp PgDn', 'scroll the log back and forth'],
      ['g / G, f', 'top / newest line, follow'],
      ['/ n N', 'search, older match, newer match'],
      ['[ ]', 'newer / older run in the history (opens its log)'],
      ['r p x', 'run now, pause or resume, cancel'],
    ],
  },
  {
    view: 'sessions',
    keys: [
      ['/', 'search the session index'],
      ['↑↓ enter', 'pick a hit, read the transcript'],
      ['space / t', 'fold or unfold a tool call / all of them'],
    ],
  },
  {
    view: 'knowledge',
    keys: [
      ['/', 'search learnings'],
      ['↑↓', 'pick one: its text and where it came from'],
    ],
  },
];

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
const CONTROL = /[\u0000-\u001f\u007f]/g;
const none: KeyResult = { actions: [], effects: [] };
const act = (...actions: Action[]): KeyResult => ({ actions, effects: [] });
const fx = (...effects: Effect[]): KeyResult => ({ actions: [], effects });

export function keymap(state: AppState, input: string, key: KeyPress): KeyResult {
  // A confirmation takes the next key: `y` does it, anything else does not.
  if (state.confirm) {
    return {
      actions: [
        { type: 'confirm-close' },
        ...(input === 'y' ? [] : [{ type: 'flash', text: 'not done' } as Action]),
      ],
      effects: input === 'y' ? [state.confirm.effect] : [],
    };
  }
  if (state.prompt) return promptKey(state, input, key);
  if (key.ctrl && input === 'c') return fx({ kind: 'quit' });
  if (input === 'q') return fx({ kind: 'quit' });
  if (input === '?') return act({ type: 'help' });
  if (state.help) return key.escape ? act({ type: 'help', show: false }) : none;
  if (/^[1-4]$/.test(input)) return switchView(state, VIEWS[Number(input) - 1]!);
  if (key.tab) {
    const i = VIEWS.indexOf(state.view);
    return switchView(state, VIEWS[(i + (key.shift ? VIEWS.length - 1 : 1)) % VIEWS.length]!);
  }
  switch (state.view) {
    case 'fleet':
      return fleetKey(state, input, key);
    case 'run':
      return runKey(state, input, key);
    case 'sessions':
      return sessionsKey(state, input, key);
    case 'knowledge':
      return knowledgeKey(state, input, key);
  }
}

function switchView(state: AppState, view: AppState['view']): KeyResult {
  if (view === 'run') {
    const agent = state.run.agent ?? state.fleet.selected;
    return agent ? openRun(state, agent) : act({ type: 'view', view });
  }
  return act({ type: 'view', view });
}

function openRun(state: AppState, agent: string): KeyResult {
  const a = state.fleet.agents[agent];
  const runId = a?.running?.runId;
  const buffer = runId ? state.runs.logs[runId] : undefined;
  return {
    actions: [{ type: 'open-run', agent, ...(runId ? { runId } : {}) }],
    effects: [
      { kind: 'load-history', agent, ...(runId ? {} : { openLatest: true }) },
      // what the running run printed before this TUI was watching
      ...(runId && !buffer?.fromFile ? [{ kind: 'load-log' as const, agent, runId, quiet: true }] : []),
    ],
  };
}

function moveKeys(state: AppState, key: KeyPress, input: string): number | undefined {
  const page = Math.max(1, logRows(state) - 1);
  if (key.upArrow || input === 'k') return -1;
  if (key.downArrow || input === 'j') return 1;
  if (key.pageUp) return -page;
  if (key.pageDown || input === ' ') return page;
  return undefined;
}

function actionKeys(state: AppState, agent: string | undefined, input: string): KeyResult | undefined {
  if (!agent) return undefined;
  const a = state.fleet.agents[agent];
  const live = state.connection.mode === 'live';
  if ((input === 'r' || input === 'p' || input === 'x') && !live) {
    return act({
      type: 'flash',
      text: 'read-only: no daemon to ask (start one with habitat up)',
      error: true,
    });
  }
  if (input === 'r') return fx({ kind: 'trigger', agent });
  if (input === 'p') return fx(a?.state === 'paused' ? { kind: 'resume', agent } : { kind: 'pause', agent });
  if (input === 'x') {
    const runId = a?.running?.runId;
    if (!runId) return act({ type: 'flash', text: `${agent} has no run to cancel` });
    return act({
      type: 'confirm',
      message: `Cancel ${agent}'s run ${runId}? y = cancel it, any other key = keep it running`,
      effect: { kind: 'cancel', agent, runId },
    });
  }
  return undefined;
}

function fleetKey(state: AppState, input: string, key: KeyPress): KeyResult {
  const delta = moveKeys(state, key, input);
  if (delta !== undefined) return act({ type: 'select', delta });
  if (key.home) return act({ type: 'select', delta: -1e9 });
  if (key.end) return act({ type: 'select', delta: 1e9 });
  if (input === '/') return act({ type: 'prompt-open', kind: 'filter' });
  if (input === 'o') return act({ type: 'sort' });
  if (key.escape && state.fleet.filter)
    return act(
      { type: 'prompt-open', kind: 'filter' },
      { type: 'prompt-edit', text: '' },
      { type: 'prompt-close' },
    );
  // What is highlighted: the selection, or the first row when a filter hid it.
  const list = visibleAgents(state.fleet);
  const selected = list[selectedIndex(state.fleet, list)]?.agent;
  if (key.return && selected) return openRun(state, selected);
  return actionKeys(state, selected, input) ?? none;
}

function runKey(state: AppState, input: string, key: KeyPress): KeyResult {
  if (key.escape) return act({ type: 'view', view: 'fleet' });
  const delta = key.upArrow || input === 'k' ? -1 : key.downArrow || input === 'j' ? 1 : undefined;
  const page = Math.max(1, logRows(state) - 1);
  if (delta !== undefined) return act({ type: 'scroll', delta });
  if (key.pageUp) return act({ type: 'scroll', delta: -page });
  if (key.pageDown || input === ' ') return act({ type: 'scroll', delta: page });
  if (input === 'g' || key.home) return act({ type: 'scroll-top' });
  if (input === 'G' || input === 'f' || key.end) return act({ type: 'follow' });
  if (input === '/') return act({ type: 'prompt-open', kind: 'log-search' });
  if (input === 'n') return act({ type: 'search-step', direction: 'older' });
  if (input === 'N') return act({ type: 'search-step', direction: 'newer' });
  const agent = state.run.agent;
  if ((input === '[' || input === ']') && agent) {
    const list = state.runs.history[agent] ?? [];
    const i = Math.min(
      Math.max(0, state.run.historyIndex + (input === ']' ? 1 : -1)),
      Math.max(0, list.length - 1),
    );
    const run = list[i];
    if (!run) return none;
    const loaded = state.runs.logs[run.id];
    return {
      actions: [{ type: 'history-select', delta: i - state.run.historyIndex }],
      effects:
        loaded && (loaded.live || loaded.fromFile)
          ? []
          : [{ kind: 'load-log', agent, runId: run.id, logPath: run.log_path, status: run.status }],
    };
  }
  return actionKeys(state, agent, input) ?? none;
}

function sessionsKey(state: AppState, input: string, key: KeyPress): KeyResult {
  const t = state.sessions.transcript;
  if (key.escape) return t ? act({ type: 'transcript-close' }) : act({ type: 'view', view: 'fleet' });
  if (input === '/') return act({ type: 'prompt-open', kind: 'sessions' });
  const delta =
    key.upArrow || input === 'k'
      ? -1
      : key.downArrow || input === 'j'
        ? 1
        : key.pageUp
          ? -10
          : key.pageDown
            ? 10
            : undefined;
  if (delta !== undefined) return act({ type: 'select', delta });
  if (t) {
    if (input === ' ' || key.return) return act({ type: 'fold-toggle' });
    if (input === 't') return act({ type: 'fold-toggle', all: true });
    return none;
  }
  const hit = state.sessions.hits[state.sessions.selected];
  if (key.return && hit) return fx({ kind: 'open-session', sessionId: hit.sessionId });
  return none;
}

function knowledgeKey(_state: AppState, input: string, key: KeyPress): KeyResult {
  if (key.escape) return act({ type: 'view', view: 'fleet' });
  if (input === '/') return act({ type: 'prompt-open', kind: 'knowledge' });
  const delta = key.upArrow || input === 'k' ? -1 : key.downArrow || input === 'j' ? 1 : undefined;
  if (delta !== undefined) return act({ type: 'select', delta });
  return none;
}

function promptKey(state: AppState, input: string, key: KeyPress): KeyResult {
  const prompt = state.prompt!;
  if (key.escape) {
    // Esc on the filter clears it; on a search it just closes the prompt.
    return prompt.kind === 'filter'
      ? act({ type: 'prompt-edit', text: '' }, { type: 'prompt-close' })
      : act({ type: 'prompt-close' });
  }
  if (key.return) {
    const actions: Action[] = [{ type: 'prompt-close' }];
    if (prompt.kind === 'sessions')
      return { actions, effects: [{ kind: 'search-sessions', query: prompt.text }] };
    if (prompt.kind === 'knowledge')
      return { actions, effects: [{ kind: 'search-knowledge', query: prompt.text }] };
    if (prompt.kind === 'log-search' && prompt.text)
      actions.push({ type: 'search-step', direction: 'older' });
    return act(...actions);
  }
  if (key.backspace || key.delete) return act({ type: 'prompt-edit', text: prompt.text.slice(0, -1) });
  if (key.ctrl && input === 'u') return act({ type: 'prompt-edit', text: '' });
  if (key.ctrl || key.upArrow || key.downArrow || key.tab) return none;
  // Printable input only (a paste may bring several characters at once).
  const text = input.replace(CONTROL, '');
  return text ? act({ type: 'prompt-edit', text: prompt.text + text }) : none;
}

/**
 * Split a burst of typed characters into single key presses. Ink hands over what one read returned, so
 * keys typed fast (or sent by tmux, or over a slow ssh link) can arrive together as `jj\r`.
 */
export function splitInput(input: string, key: KeyPress): [string, KeyPress][] {
  const special = Object.entries(key).some(([k, v]) => v === true && k !== 'shift');
  if (input.length <= 1 || special) return [[input, key]];
  return [...input].map((ch): [string, KeyPress] => {
    if (ch === '\r' || ch === '\n') return ['', { return: true }];
    if (ch === '\t') return ['', { tab: true }];
    if (ch === '\x7f' || ch === '\b') return ['', { backspace: true }];
    if (ch === '\x1b') return ['', { escape: true }];
    return [ch, {}];
  });
}
