// The UI state without a terminal: reducers, selectors and the key map.

import { formatDuration as configFormatDuration, formatTimestamp } from '@habitat/config';
import { describe, expect, test } from 'vitest';
import { type AppState, initialState, reduce } from '../src/state/app.js';
import {
  type AgentView,
  applyFleetEvent,
  applySnapshot,
  describeState,
  fleetRow,
  formatFleetRow,
  initialFleet,
  moveSelection,
  visibleAgents,
} from '../src/state/fleet.js';
import {
  configureTime,
  formatClock,
  formatCost,
  formatDuration,
  formatElapsed,
  formatRelative,
  timeZoneLabel,
} from '../src/state/format.js';
import { keymap, splitInput } from '../src/state/keys.js';
import {
  appendText,
  applyRunEvents,
  findMatch,
  initialCursor,
  initialRuns,
  joinAtOverlap,
  LOG_CAPACITY,
  logWindow,
  MAX_BUFFERS,
  markStreamBroken,
  resyncLog,
  scrollLog,
  setLoadedLog,
  showLine,
} from '../src/state/runs.js';
import { normalizeEvent } from '../src/state/types.js';

const NOW = Date.parse('2026-11-24T14:00:00Z');
const at = (s: number) => new Date(NOW + s * 1000).toISOString();

function agent(name: string, over: Partial<AgentView> = {}): AgentView {
  return { agent: name, state: 'idle', schedule: 'every 1h', backend: 'local', costToday: 0, ...over };
}

function apply(state: AppState, ...events: Record<string, unknown>[]): AppState {
  return reduce(state, {
    type: 'events',
    events: events.map((e) => normalizeEvent({ time: new Date(NOW).toISOString(), ...e })!),
  });
}

describe('fleet', () => {
  test('every state reads as words, without colour', () => {
    const hhmm = (iso: string) => {
      const d = new Date(iso);
      return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    };
    expect(
      describeState(
        agent('a', { state: 'running', running: { runId: 'r', trigger: 'x', startedAt: at(-192) } }),
        NOW,
      ),
    ).toBe('running for 3m12s');
    expect(
      describeState(agent('a', { state: 'sleeping', nextAt: at(46 * 60), sleepReason: 'rate limit' }), NOW),
    ).toBe(`sleeping until ${hhmm(at(46 * 60))} (rate limit)`);
    expect(
      describeState(
        agent('a', {
          state: 'failed',
          lastRun: { runId: 'r', status: 'failed', exitCode: 3, durationMs: 10 },
        }),
        NOW,
      ),
    ).toBe('failed: failed (exit 3)');
    expect(describeState(agent('a', { state: 'paused' }), NOW)).toBe('paused');
    expect(describeState(agent('a'), NOW)).toBe('idle');
  });

  test('events move agents between states; the snapshot stays the source of truth', () => {
    let s = applySnapshot(initialFleet, [agent('a'), agent('b')]);
    s = applyFleetEvent(s, { event: 'run.started', time: at(0), agent: 'a', runId: 'R1', trigger: 'manual' });
    expect(s.agents.a!.state).toBe('running');
    s = applyFleetEvent(s, {
      event: 'run.finished',
      time: at(5),
      agent: 'a',
      runId: 'R1',
      result: {
        status: 'rate-limited',
        exitCode: 1,
        durationMs: 5000,
        wakeAt: at(3600),
        summary: { costUsd: 0.25 },
      },
    });
    expect(s.agents.a).toMatchObject({
      state: 'sleeping',
      nextAt: at(3600),
      sleepReason: 'rate limit',
      costToday: 0.25,
      lastRun: { status: 'rate-limited', exitCode: 1, durationMs: 5000 },
    });
    s = applyFleetEvent(s, {
      event: 'run.finished',
      time: at(6),
      agent: 'b',
      runId: 'R2',
      result: { status: 'failed', exitCode: 2 },
    });
    expect(describeState(s.agents.b!, NOW)).toBe('failed: failed (exit 2)');
    s = applyFleetEvent(s, { event: 'agent.paused', time: at(7), agent: 'b' });
    expect(s.agents.b!.state).toBe('paused');
    s = applyFleetEvent(s, { event: 'agent.removed', time: at(8), agent: 'b' });
    expect(Object.keys(s.agents)).toEqual(['a']);
    s = applySnapshot(s, [agent('a', { state: 'idle' })]);
    expect(s.agents.a!.state).toBe('idle');
  });

  test('filter and sort; the selection follows the agent across a re-sort', () => {
    let s = applySnapshot(initialFleet, [
      agent('alpha', { costToday: 1 }),
      agent('beta', { state: 'running', costToday: 3 }),
      agent('gamma', { state: 'failed', costToday: 2 }),
    ]);
    expect(visibleAgents(s).map((a) => a.agent)).toEqual(['alpha', 'beta', 'gamma']);
    s = moveSelection(s, 2);
    expect(s.selected).toBe('gamma');
    s = { ...s, sort: 'cost' };
    expect(visibleAgents(s).map((a) => a.agent)).toEqual(['beta', 'gamma', 'alpha']);
    expect(s.selected).toBe('gamma');
    s = { ...s, sort: 'state' };
    expect(visibleAgents(s).map((a) => a.agent)).toEqual(['beta', 'gamma', 'alpha']);
    expect(visibleAgents({ ...s, filter: 'fail' }).map((a) => a.agent)).toEqual(['gamma']);
    expect(visibleAgents({ ...s, filter: 'AL' }).map((a) => a.agent)).toEqual(['alpha']);
  });

  test('a row fits 80 columns with every column present', () => {
    const row = fleetRow(
      agent('a-rather-long-agent-name-indeed', {
        state: 'sleeping',
        nextAt: at(600),
        nextReason: 'wake',
        sleepReason: 'own request: waiting for the API quota',
        lastRun: { runId: 'r', status: 'succeeded', exitCode: 0, durationMs: 12_300, endedAt: at(-60) },
        costToday: 1.5,
      }),
      NOW,
    );
    const line = formatFleetRow(row, 78);
    expect(line.length).toBeLessThanOrEqual(78);
    expect(line).toContain('sleeping until');
    expect(line).toContain('succeeded');
    expect(line).toContain('$1.50');
  });
});

describe('run logs', () => {
  test('chunks split anywhere become lines; the unfinished line still shows', () => {
    let b = appendText(
      {
        runId: 'r',
        agent: 'a',
        lines: [],
        dropped: 0,
        partial: '',
        live: true,
        events: [],
        tools: {},
        turns: 0,
      },
      'one\ntw',
    );
    b = appendText(b, 'o\nthr');
    expect(b.lines).toEqual(['one', 'two']);
    expect(logWindow(b, initialCursor, 10).lines.map((l) => l.text)).toEqual(['one', 'two', 'thr']);
  });

  test('escape sequences and control characters never reach the screen', () => {
    const b = appendText(
      {
        runId: 'r',
        agent: 'a',
        lines: [],
        dropped: 0,
        partial: '',
        live: true,
        events: [],
        tools: {},
        turns: 0,
      },
      '\x1b[31mred\x1b[0m \x1b]0;title\x07bell\x07\tend\nprogress 10%\rprogress 99%\n',
    );
    expect(b.lines).toEqual(['red bell  end', 'progress 99%']);
  });

  test('the buffer keeps the newest LOG_CAPACITY lines and counts the dropped ones', () => {
    const text = Array.from({ length: LOG_CAPACITY + 500 }, (_, i) => `line ${i}`).join('\n');
    const s = applyRunEvents(initialRuns, [
      { event: 'run.output', time: at(0), runId: 'r', agent: 'a', text: `${text}\n` },
    ]);
    const b = s.logs.r!;
    expect(b.lines).toHaveLength(LOG_CAPACITY);
    expect(b.dropped).toBe(500);
    expect(b.lines[0]).toBe('line 500');
    const win = logWindow(b, initialCursor, 3);
    expect(win.lines.map((l) => [l.n, l.text])).toEqual([
      [LOG_CAPACITY + 497, `line ${LOG_CAPACITY + 497}`],
      [LOG_CAPACITY + 498, `line ${LOG_CAPACITY + 498}`],
      [LOG_CAPACITY + 499, `line ${LOG_CAPACITY + 499}`],
    ]);
  });

  test('a burst is cut before it is split: lines the source skipped count, the newest show at the right number', () => {
    let s = applyRunEvents(initialRuns, [
      { event: 'run.output', time: at(0), runId: 'r', agent: 'a', text: 'one\ntwo\npart' },
    ]);
    // the source cut 90,000 lines (the first ends the unfinished `part`), then sent the newest 10,000
    const text = Array.from({ length: LOG_CAPACITY }, (_, i) => `line ${90_002 + i}`).join('\n');
    s = applyRunEvents(s, [
      {
        event: 'run.output',
        time: at(1),
        runId: 'r',
        agent: 'a',
        skippedLines: 90_000,
        text: `${text}\nnew`,
      },
    ]);
    const b = s.logs.r!;
    expect(b.lines).toHaveLength(LOG_CAPACITY);
    expect(b.dropped).toBe(2 + 90_000);
    expect(b.lines[0]).toBe('line 90002');
    expect(logWindow(b, initialCursor, 2).lines).toEqual([
      { n: 90_002 + LOG_CAPACITY - 1, text: `line ${90_002 + LOG_CAPACITY - 1}`, match: false },
      { n: 90_002 + LOG_CAPACITY, text: 'new', match: false },
    ]);
    // without the source's cut, the reducer cuts the same way
    const raw = Array.from({ length: 100_000 }, (_, i) => `line ${i}`).join('\n');
    const c = applyRunEvents(initialRuns, [
      { event: 'run.output', time: at(0), runId: 'r', agent: 'a', text: raw },
    ]).logs.r!;
    expect(c.dropped).toBe(100_000 - 1 - LOG_CAPACITY);
    expect(c.lines.at(-1)).toBe('line 99998');
    expect(logWindow(c, initialCursor, 1).lines[0]).toEqual({ n: 99_999, text: 'line 99999', match: false });
  });

  test('at most MAX_BUFFERS runs are kept, finished ones evicted first', () => {
    let s = applyRunEvents(initialRuns, [{ event: 'run.started', time: at(0), runId: 'live', agent: 'x' }]);
    for (let i = 0; i < MAX_BUFFERS + 5; i++) {
      s = applyRunEvents(s, [
        { event: 'run.output', time: at(i), runId: `r${i}`, agent: 'a', text: 'x\n' },
        { event: 'run.finished', time: at(i), runId: `r${i}`, agent: 'a', result: { status: 'succeeded' } },
      ]);
    }
    expect(s.order).toHaveLength(MAX_BUFFERS);
    expect(s.logs.live).toBeDefined();
    expect(s.logs.r0).toBeUndefined();
  });

  test('scrolling back stops following; scrolling to the end follows again; search jumps to matches', () => {
    const text = Array.from({ length: 100 }, (_, i) => (i === 20 ? 'ERROR disk full' : `line ${i}`)).join(
      '\n',
    );
    const b = applyRunEvents(initialRuns, [
      { event: 'run.output', time: at(0), runId: 'r', agent: 'a', text: `${text}\n` },
    ]).logs.r!;
    let c = scrollLog(b, initialCursor, -10, 5);
    expect(c.follow).toBe(false);
    expect(logWindow(b, c, 5).lines.at(-1)!.text).toBe('line 89');
    c = scrollLog(b, c, 1000, 5);
    expect(c.follow).toBe(true);
    const found = findMatch(b, { ...c, search: 'error' }, 5, 'older');
    expect(found.found).toBe(true);
    const win = logWindow(b, found.cursor, 5);
    expect(win.lines.at(-1)).toEqual({ n: 20, text: 'ERROR disk full', match: true });
    expect(findMatch(b, found.cursor, 5, 'older').found).toBe(false);
  });

  test('agent events are counted per run; the finished result fills in cost and history', () => {
    let state = initialState({ now: NOW });
    state = reduce(state, { type: 'history', agent: 'a', runs: [] });
    state = apply(
      state,
      { event: 'run.started', agent: 'a', runId: 'R', trigger: 'manual' },
      // the daemon's wire shape: the parsed event overwrites the `event` key
      { event: { type: 'tool_use', tool: 'Bash', input: { command: 'ls' } }, agent: 'a', runId: 'R' },
      { event: { type: 'tool_use', tool: 'Bash', input: { command: 'pwd' } }, agent: 'a', runId: 'R' },
      { event: { type: 'text', text: 'done' }, agent: 'a', runId: 'R' },
      {
        event: 'run.finished',
        agent: 'a',
        runId: 'R',
        result: { status: 'succeeded', durationMs: 4200, exitCode: 0, summary: { costUsd: 0.5, turns: 2 } },
      },
    );
    const b = state.runs.logs.R!;
    expect(b.tools).toEqual({ Bash: 2 });
    expect(b).toMatchObject({ live: false, status: 'succeeded', costUsd: 0.5, turns: 2 });
    expect(state.runs.history.a).toMatchObject([
      { id: 'R', status: 'succeeded', duration_ms: 4200, exit_code: 0 },
    ]);
  });
});

test('a run opened mid-way: the file holds the start, the stream the rest, no line twice', () => {
  expect(joinAtOverlap(['1', '2', '3', '4'], ['3', '4', '5'])).toEqual(['1', '2', '3', '4', '5']);
  expect(joinAtOverlap(['1', '2'], ['3', '4'])).toEqual(['1', '2', '3', '4']);
  expect(joinAtOverlap(['a', 'x', 'a', 'y'], ['a', 'y', 'z'])).toEqual(['a', 'x', 'a', 'y', 'z']);
  let s = applyRunEvents(initialRuns, [
    { event: 'run.started', time: at(0), runId: 'R', agent: 'a' },
    { event: 'run.output', time: at(1), runId: 'R', agent: 'a', text: 'line 3\nline 4\npart' },
  ]);
  s = setLoadedLog(s, { runId: 'R', agent: 'a', text: 'line 1\nline 2\nline 3\nline 4\npa', file: '/x.log' });
  expect(s.logs.R).toMatchObject({
    live: true,
    fromFile: '/x.log',
    lines: ['line 1', 'line 2', 'line 3', 'line 4'],
    partial: 'part',
  });
  s = applyRunEvents(s, [{ event: 'run.output', time: at(2), runId: 'R', agent: 'a', text: 'ial\n' }]);
  expect(s.logs.R!.lines.at(-1)).toBe('partial');
});

describe('a broken stream resynced from the log file', () => {
  const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `L${from + i}`);
  const text = (from: number, to: number) => `${lines(from, to).join('\n')}\n`;
  const out = (from: number, to: number) => ({
    event: 'run.output',
    time: at(1),
    runId: 'R',
    agent: 'a',
    text: text(from, to),
  });
  const broken = () => {
    const s = applyRunEvents(initialRuns, [
      { event: 'run.started', time: at(0), runId: 'R', agent: 'a' },
      out(1, 5),
      { event: 'run.output', time: at(1), runId: 'R', agent: 'a', text: 'L6 half' },
    ]);
    return markStreamBroken(s, ['R']);
  };

  test('the gap is filled; lines streamed since the break follow without repeats', () => {
    // lines 61-62 came over the new connection; the file was read after 61 was written
    const s = applyRunEvents(broken(), [out(61, 62)]);
    const { runs, missed } = resyncLog(s, { runId: 'R', text: text(1, 61), firstLine: 0 });
    expect(runs.logs.R!.lines).toEqual(lines(1, 62));
    expect(runs.logs.R!.dropped).toBe(0);
    expect(missed).toBe(55); // L6-L60
  });

  test('nothing streamed yet: the first lines to arrive that the file already had are not shown twice', () => {
    const { runs, missed } = resyncLog(broken(), { runId: 'R', text: text(1, 60), firstLine: 0 });
    expect(runs.logs.R!.lines).toEqual(lines(1, 60));
    expect(missed).toBe(55);
    // 58-60 were in flight when the file was read
    const next = applyRunEvents(runs, [out(58, 63)]);
    expect(next.logs.R!.lines).toEqual(lines(1, 63));
    // only once: a line after that which repeats one is shown
    expect(applyRunEvents(next, [out(63, 63)]).logs.R!.lines.slice(-2)).toEqual(['L63', 'L63']);
  });

  test('a run that repeats a line: the streamed lines the file already had are shown once', () => {
    // the run prints `waiting` over and over; the 3 lines streamed since the break were written before the read
    const waiting = (n: number) => Array.from({ length: n }, () => 'waiting');
    const s = applyRunEvents(broken(), [{ ...out(1, 1), text: `${waiting(3).join('\n')}\n` }]);
    const file = `${lines(1, 5).join('\n')}\n${waiting(10).join('\n')}\n`;
    const { runs, missed } = resyncLog(s, { runId: 'R', text: file, firstLine: 0 });
    expect(runs.logs.R!.lines).toEqual([...lines(1, 5), ...waiting(10)]);
    expect(missed).toBe(7);
    expect(joinAtOverlap(['x', 'A', 'B', 'A'], ['A', 'B', 'A', 'C'])).toEqual(['x', 'A', 'B', 'A', 'C']);
  });

  test("a tail of a big file keeps the run's line numbers; a run that ended meanwhile is no longer live", () => {
    const { runs } = resyncLog(broken(), {
      runId: 'R',
      text: text(100_001, 100_050),
      firstLine: 100_000,
      ended: true,
    });
    expect(runs.logs.R).toMatchObject({ dropped: 100_000, live: false, lines: lines(100_001, 100_050) });
  });

  test('without a break, a file read changes nothing', () => {
    const s = applyRunEvents(initialRuns, [out(1, 3)]);
    expect(resyncLog(s, { runId: 'R', text: text(1, 9), firstLine: 0 }).runs).toBe(s);
  });
});

describe('keys', () => {
  const withAgents = () => {
    let s = initialState({ now: NOW });
    s = reduce(s, { type: 'connection', connection: { mode: 'live' } });
    s = reduce(s, {
      type: 'snapshot',
      agents: [
        agent('a'),
        agent('b', { state: 'running', running: { runId: 'RB', trigger: 'schedule', startedAt: at(-5) } }),
      ],
    });
    return s;
  };
  const press = (s: AppState, input: string, key = {}) => {
    const r = keymap(s, input, key);
    return { state: r.actions.reduce(reduce, s), effects: r.effects };
  };

  test('cancel asks first: y cancels, any other key keeps the run', () => {
    let s = press(withAgents(), 'j').state;
    const asked = press(s, 'x');
    expect(asked.effects).toEqual([]);
    expect(asked.state.confirm?.message).toContain('Cancel b');
    const kept = press(asked.state, 'n');
    expect(kept.effects).toEqual([]);
    expect(kept.state.confirm).toBeUndefined();
    s = asked.state;
    expect(press(s, 'y').effects).toEqual([{ kind: 'cancel', agent: 'b', runId: 'RB' }]);
  });

  test('run now and pause go to the daemon; read-only says why it cannot', () => {
    const s = withAgents();
    expect(press(s, 'r').effects).toEqual([{ kind: 'trigger', agent: 'a' }]);
    expect(press(s, 'p').effects).toEqual([{ kind: 'pause', agent: 'a' }]);
    const ro = reduce(s, { type: 'connection', connection: { mode: 'read-only', reason: 'no daemon' } });
    const r = press(ro, 'r');
    expect(r.effects).toEqual([]);
    expect(r.state.flash?.text).toMatch(/read-only/);
  });

  test('/ filters as you type; esc clears; enter opens the run view and its history', () => {
    let s = withAgents();
    s = press(s, '/').state;
    for (const ch of 'b') s = press(s, ch).state;
    expect(visibleAgents(s.fleet).map((a) => a.agent)).toEqual(['b']);
    expect(press(s, 'q').effects).toEqual([]); // typing, not quitting
    const cleared = press(s, '', { escape: true }).state;
    expect(cleared.fleet.filter).toBe('');
    s = press(s, '', { return: true }).state;
    const open = press(s, '', { return: true });
    expect(open.state.view).toBe('run');
    expect(open.state.run).toMatchObject({ agent: 'b', runId: 'RB' });
    expect(open.effects).toEqual([
      { kind: 'load-history', agent: 'b' },
      { kind: 'load-log', agent: 'b', runId: 'RB', quiet: true },
    ]);
  });

  test('o cycles the sort column; ] and [ walk the run history, loading a past log once', () => {
    let s = withAgents();
    expect(press(s, 'o').state.fleet.sort).toBe('state');
    s = press(s, '', { return: true }).state; // agent a: not running
    s = reduce(s, {
      type: 'history',
      agent: 'a',
      runs: ['R3', 'R2', 'R1'].map((id) => ({
        id,
        agent: 'a',
        trigger: 'schedule',
        status: 'succeeded',
        started_at: NOW,
        ended_at: NOW,
        duration_ms: 10,
        exit_code: 0,
        cost_usd: null,
        log_path: `/logs/${id}.log`,
      })),
    });
    expect(s.run.runId).toBe('R3');
    const older = press(s, ']');
    expect(older.state.run.runId).toBe('R2');
    expect(older.effects).toEqual([
      { kind: 'load-log', agent: 'a', runId: 'R2', logPath: '/logs/R2.log', status: 'succeeded' },
    ]);
    const loaded = reduce(older.state, {
      type: 'log-loaded',
      agent: 'a',
      runId: 'R2',
      text: 'x\n',
      file: '/logs/R2.log',
    });
    const back = press(press(loaded, '[').state, ']');
    expect(back.state.run.runId).toBe('R2');
    expect(back.effects).toEqual([]);
  });

  test('? toggles the keys, q quits, a burst of keys is split into presses', () => {
    const s = withAgents();
    expect(press(s, '?').state.help).toBe(true);
    expect(press(s, 'q').effects).toEqual([{ kind: 'quit' }]);
    expect(splitInput('jj\r', {})).toEqual([
      ['j', {}],
      ['j', {}],
      ['', { return: true }],
    ]);
  });
});

test('durations read as the CLI prints them: one formatter, elapsed times to the second', () => {
  expect(formatDuration).toBe(configFormatDuration);
  expect([850, 12_300, 192_000, 5_400_000, null].map(formatDuration)).toEqual([
    '850ms',
    '12.3s',
    '3m12s',
    '1h30m',
    '-',
  ]);
  expect([400, 5_400, 192_700, 7_500_000, 90_000_000].map(formatElapsed)).toEqual([
    '0s',
    '5s',
    '3m12s',
    '2h5m',
    '1d1h',
  ]);
  expect(formatRelative(new Date(1_000_000 + 192_700).toISOString(), 1_000_000)).toBe('in 3m12s');
});

test('costs read as `habitat status` and `stats` print them: nothing spent is $0.00, unknown is -', () => {
  expect([0, 0.42, 12.5, 0.004, undefined, null].map(formatCost)).toEqual([
    '$0.00',
    '$0.42',
    '$12.50',
    '<$0.01',
    '-',
    '-',
  ]);
  const shell: AgentView = { agent: 'sh', state: 'idle', schedule: 'manual', backend: 'local', costToday: 0 };
  expect(fleetRow(shell, Date.now()).cost).toBe('$0.00');
});

test('--utc: clock times in UTC, else local; the same instant as the CLI shows', () => {
  const tz = process.env.TZ;
  const now = Date.parse('2026-12-01T09:00:00.000Z');
  const next = '2026-12-01T10:46:00.000Z';
  try {
    process.env.TZ = 'America/New_York';
    expect(formatClock(next, now)).toBe('05:46');
    expect(timeZoneLabel(now)).toBe('-05:00');
    configureTime({ utc: true });
    expect(formatClock(next, now)).toBe('10:46');
    expect(formatClock('2026-12-03T23:30:00.000Z', now)).toBe('Thu 23:30');
    expect(formatClock('2026-12-20T23:30:00.000Z', now)).toBe('2026-12-20 23:30');
    expect(timeZoneLabel(now)).toBe('UTC');
    // the CLI's --utc form of the same instant ends in the same clock time
    expect(formatTimestamp(next, { utc: true, seconds: false })).toBe(
      `2026-12-01 ${formatClock(next, now)}Z`,
    );
    // the run view's lines: the stamp and a limit's reset in UTC too
    const limit = JSON.stringify({
      type: 'rate_limit_event',
      rate_limit_info: {
        status: 'allowed_warning',
        rateLimitType: 'five_hour',
        resetsAt: Date.parse(next) / 1000,
      },
    });
    expect(showLine(limit, now)).toEqual([
      '09:00:00  ⏸ rate limit five_hour: allowed_warning, resets 2026-12-01 10:46Z',
    ]);
    configureTime({ utc: false });
    expect(showLine(limit, now)).toEqual([
      '04:00:00  ⏸ rate limit five_hour: allowed_warning, resets 2026-12-01 05:46-05:00',
    ]);
  } finally {
    configureTime({ utc: false });
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  }
});

describe('Claude runs in the run view', () => {
  const stream = [
    { type: 'system', subtype: 'init', session_id: 's', model: 'claude-sonnet-4-5' },
    {
      type: 'assistant',
      message: { content: [{ type: 'tool_use', name: 'Bash', input: { command: 'ls' } }] },
    },
    { type: 'user', message: { content: [{ type: 'tool_result', content: 'a\nb\nc\nd' }] } },
    { type: 'assistant', message: { content: [{ type: 'text', text: 'All done.' }] } },
    { type: 'result', subtype: 'success', is_error: false, num_turns: 4, total_cost_usd: 0.0321 },
  ]
    .map((e) => JSON.stringify(e))
    .join('\n');

  test("a finished run's log is rendered with each line's time, and its events panel has turns, cost and tools", () => {
    const t = new Date(2026, 0, 1, 10, 11, 12).getTime();
    const text = `${stream}\n[stderr] warn\n`;
    const s = setLoadedLog(initialRuns, {
      runId: 'F',
      agent: 'a',
      text,
      file: '/f.log',
      times: Array(6).fill(t),
    });
    const b = s.logs.F!;
    expect(b.lines).toEqual([
      '10:11:12  ● claude started · claude-sonnet-4-5 · session s',
      '10:11:12  → Bash ls',
      '10:11:12    ← a',
      '10:11:12      b',
      '10:11:12      c',
      '10:11:12      … 1 more line(s)',
      '10:11:12  All done.',
      '10:11:12  ■ success · 4 turn(s) · $0.0321',
      '10:11:12  stderr: warn',
    ]);
    expect(b).toMatchObject({ turns: 4, costUsd: 0.0321, tools: { Bash: 1 } });
    expect(b.events.map((e) => e.type)).toEqual(['tool_use', 'text']);
  });

  test('the file and the stream of a live run join even when their times differ', () => {
    let s = applyRunEvents(initialRuns, [
      { event: 'run.started', time: new Date().toISOString(), runId: 'L', agent: 'a' },
      { event: 'run.output', time: new Date().toISOString(), runId: 'L', agent: 'a', text: `${stream}\n` },
    ]);
    s = setLoadedLog(s, {
      runId: 'L',
      agent: 'a',
      text: `${stream}\n`,
      file: '/l.log',
      times: Array(5).fill(0),
    });
    expect(s.logs.L!.lines.filter((l) => l.includes('■ success'))).toHaveLength(1);
  });
});
