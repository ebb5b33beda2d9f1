// The container: state in, keys and sources wired to it. Thin on purpose: what keys do lives in
// state/keys.ts, what the screen shows in the selectors, where data comes from in sources.ts.
import { Box, useApp, useInput, useWindowSize } from 'ink';
import { useEffect, useMemo, useReducer, useRef } from 'react';
import type { SourceOptions, Sources } from '../sources.js';
import { type Action, bodyRows, initialState, logRows, reduce, runBuffer } from '../state/app.js';
import { fleetRow, selectedIndex, visibleAgents } from '../state/fleet.js';
import { timeZoneLabel } from '../state/format.js';
import { keymap, splitInput } from '../state/keys.js';
import { logWindow } from '../state/runs.js';
import { FleetView } from './FleetView.js';
import { Header } from './Header.js';
import { HelpView } from './HelpView.js';
import { KnowledgeView } from './KnowledgeView.js';
import { RunView } from './RunView.js';
import { SessionsView } from './SessionsView.js';
import { StatusLine } from './StatusLine.js';
import { colourEnabled } from './theme.js';

export interface AppProps {
  start: (dispatch: (action: Action) => void) => Sources;
  now?: () => number;
}

export type StartSources = (options: Omit<SourceOptions, 'dispatch'>) => AppProps['start'];

export function App({ start, now = Date.now }: AppProps) {
  const { exit } = useApp();
  const { columns, rows } = useWindowSize();
  const [state, dispatch] = useReducer(reduce, { now: now(), columns, rows }, initialState);
  const sources = useRef<Sources | undefined>(undefined);
  const colour = useMemo(() => colourEnabled(), []);

  useEffect(() => {
    const s = start(dispatch);
    sources.current = s;
    const tick = setInterval(() => dispatch({ type: 'tick', now: now() }), 1000);
    return () => {
      clearInterval(tick);
      s.stop();
    };
  }, [start, now]);

  useEffect(() => {
    dispatch({ type: 'resize', columns, rows });
  }, [columns, rows]);

  useInput((input, key) => {
    // A prompt takes a burst (a paste) whole; otherwise each character is its own key press, applied to
    // the state the previous one produced.
    const presses = state.prompt ? [[input, key] as const] : splitInput(input, key);
    let current = state;
    for (const [ch, k] of presses) {
      const { actions, effects } = keymap(current, ch, k);
      for (const a of actions) {
        current = reduce(current, a);
        dispatch(a);
      }
      for (const e of effects) {
        if (e.kind === 'quit') exit();
        else void sources.current?.run(e);
      }
    }
  });

  const width = Math.max(20, state.size.columns);
  const height = bodyRows(state);
  const all = Object.values(state.fleet.agents);
  const running = all.reduce((n, a) => n + (a.state === 'running' ? 1 : 0), 0);
  let body: React.ReactNode;
  if (state.help) body = <HelpView width={width} height={height} />;
  else if (state.view === 'fleet') {
    const agents = visibleAgents(state.fleet);
    body = (
      <FleetView
        rows={agents.map((a) => fleetRow(a, state.now))}
        selected={selectedIndex(state.fleet, agents)}
        width={width}
        height={height}
        sort={state.fleet.sort}
        filter={state.fleet.filter}
        total={all.length}
        problems={(state.problems ?? []).map((p) => `${p} (habitat validate)`)}
        colour={colour}
      />
    );
  } else if (state.view === 'run') {
    const buffer = runBuffer(state);
    body = (
      <RunView
        {...(state.run.agent ? { agent: state.run.agent } : {})}
        {...(state.run.runId ? { runId: state.run.runId } : {})}
        {...(buffer ? { buffer } : {})}
        window={logWindow(buffer, state.run.cursor, logRows(state))}
        follow={state.run.cursor.follow}
        search={state.run.cursor.search}
        history={state.run.agent ? (state.runs.history[state.run.agent] ?? []) : []}
        historyIndex={state.run.historyIndex}
        width={width}
        height={height}
        colour={colour}
      />
    );
  } else if (state.view === 'sessions')
    body = <SessionsView sessions={state.sessions} width={width} height={height} />;
  else body = <KnowledgeView knowledge={state.knowledge} width={width} height={height} />;

  // One row short of the terminal: a frame as tall as the screen makes Ink clear it (flicker).
  return (
    <Box flexDirection="column" width={width} height={state.size.rows - 1}>
      <Header
        view={state.view}
        agents={all.length}
        running={running}
        problems={state.problems?.length ?? 0}
        {...(state.accounts ? { accounts: state.accounts } : {})}
        zone={timeZoneLabel(state.now)}
        colour={colour}
      />
      <Box height={height} flexDirection="column" overflow="hidden">
        {body}
      </Box>
      <StatusLine
        connection={state.connection}
        {...(state.prompt ? { prompt: state.prompt } : {})}
        {...(state.confirm ? { confirm: state.confirm } : {})}
        {...(state.flash ? { flash: state.flash } : {})}
        now={state.now}
        width={width}
        colour={colour}
      />
    </Box>
  );
}
