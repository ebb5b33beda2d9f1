// Components: props in, text out (ink-testing-library renders without colour, as NO_COLOR would).
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, test } from 'vitest';
import type { Action } from '../src/state/app.js';
import { type AgentView, fleetRow } from '../src/state/fleet.js';
import { applyRunEvents, initialCursor, initialRuns, logWindow } from '../src/state/runs.js';
import { App } from '../src/ui/App.js';
import { FleetView } from '../src/ui/FleetView.js';
import { HelpView } from '../src/ui/HelpView.js';
import { KnowledgeView } from '../src/ui/KnowledgeView.js';
import { RunView } from '../src/ui/RunView.js';
import { SessionsView } from '../src/ui/SessionsView.js';
import { StatusLine } from '../src/ui/StatusLine.js';
import { colourEnabled, stateColour } from '../src/ui/theme.js';

const NOW = Date.parse('2026-11-24T14:00:00Z');
const at = (s: number) => new Date(NOW + s * 1000).toISOString();
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
const show = (node: React.ReactElement) => {
  const r = render(node);
  cleanups.push(r.unmount);
  return r;
};
const tick = () => new Promise((r) => setTimeout(r, 30));

const agents: AgentView[] = [
  {
    agent: 'digest',
    state: 'running',
    schedule: 'every 1h',
    backend: 'local',
    costToday: 0.42,
    running: { runId: 'R1', trigger: 'schedule', startedAt: at(-192) },
  },
  {
    agent: 'feed',
    state: 'failed',
    schedule: 'every 1h',
    backend: 'docker',
    costToday: 0,
    lastRun: { runId: 'R0', status: 'failed', exitCode: 2, durationMs: 8100, endedAt: at(-60) },
  },
  { agent: 'pacer', state: 'paused', schedule: 'manual', backend: 'local', costToday: 0 },
];

describe('FleetView', () => {
  test('each agent on one row with its state in words; the selection is marked with >', () => {
    const { lastFrame } = show(
      <FleetView
        rows={agents.map((a) => fleetRow(a, NOW))}
        selected={1}
        width={80}
        height={10}
        sort="name"
        filter=""
        total={3}
        colour={false}
      />,
    );
    const lines = lastFrame()!.split('\n');
    expect(lines[0]).toMatch(/AGENT▼ +STATE +NEXT +LAST RUN +TODAY/);
    expect(lines[1]).toMatch(/^ {2}digest +running for 3m12s .*\$0\.42$/);
    expect(lines[2]).toMatch(/^> feed +failed: failed \(exit 2\) .*failed 8\.1s 1m ago/);
    expect(lines[3]).toMatch(/^ {2}pacer +paused/);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
  });

  test('only the rows that fit are drawn, scrolled to keep the selection visible', () => {
    const many: AgentView[] = Array.from({ length: 200 }, (_, i) => ({
      agent: `agent-${String(i).padStart(3, '0')}`,
      state: 'idle',
      schedule: 'every 1h',
      backend: 'local',
      costToday: 0,
    }));
    const { lastFrame } = show(
      <FleetView
        rows={many.map((a) => fleetRow(a, NOW))}
        selected={150}
        width={80}
        height={6}
        sort="name"
        filter=""
        total={200}
        colour={false}
      />,
    );
    const lines = lastFrame()!.split('\n');
    expect(lines).toHaveLength(6);
    expect(lines.at(-1)).toMatch(/^> agent-150/);
  });

  test('a filter that matches nothing says so', () => {
    const { lastFrame } = show(
      <FleetView
        rows={[]}
        selected={0}
        width={80}
        height={5}
        sort="name"
        filter="zzz"
        total={3}
        colour={false}
      />,
    );
    expect(lastFrame()).toContain('no agent matches "zzz" (3 agents; esc clears the filter)');
  });
});

describe('RunView', () => {
  test('the newest lines, the agent events and the run history side by side', () => {
    const text = Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n');
    const runs = applyRunEvents(initialRuns, [
      { event: 'run.started', time: at(0), runId: 'R1', agent: 'digest' },
      { event: 'run.output', time: at(0), runId: 'R1', agent: 'digest', text: `${text}\n` },
      {
        event: 'run.agent-event',
        time: at(1),
        runId: 'R1',
        agent: 'digest',
        agentEvent: { type: 'tool_use', tool: 'Read', input: { file_path: 'a.md' } },
      },
    ]);
    const buffer = runs.logs.R1!;
    const history = [
      {
        id: 'R1',
        agent: 'digest',
        trigger: 'schedule',
        status: 'running',
        started_at: NOW,
        ended_at: null,
        duration_ms: null,
        exit_code: null,
        cost_usd: null,
        log_path: null,
      },
      {
        id: 'R0',
        agent: 'digest',
        trigger: 'schedule',
        status: 'failed',
        started_at: NOW - 3_600_000,
        ended_at: NOW,
        duration_ms: 61_000,
        exit_code: 1,
        cost_usd: null,
        log_path: null,
      },
    ];
    const { lastFrame } = show(
      <RunView
        agent="digest"
        runId="R1"
        buffer={buffer}
        window={logWindow(buffer, initialCursor, 8)}
        follow
        search=""
        history={history}
        historyIndex={0}
        width={90}
        height={9}
        colour={false}
      />,
    );
    const frame = lastFrame()!;
    expect(frame.split('\n')[0]).toBe('digest · run R1 · running · following');
    expect(frame).toContain('line 49');
    expect(frame).toContain('line 42');
    expect(frame).not.toContain('line 41');
    expect(frame).toContain('tools Read×1');
    expect(frame).toContain('▸ Read a.md');
    expect(frame).toMatch(/failed 1m1s exit 1/);
  });
});

describe('SessionsView', () => {
  const transcript = {
    sessionId: 'S1',
    title: 'fix the build',
    cursor: 1,
    unfolded: [] as number[],
    entries: [
      { id: 1, kind: 'prompt', label: 'user', body: 'please fix the build', foldable: false },
      {
        id: 2,
        kind: 'tool_use',
        label: 'tool Bash',
        body: '{\n  "command": "pnpm build"\n}',
        foldable: true,
      },
      { id: 3, kind: 'tool_result', label: 'result Bash', body: 'ok\nbuilt in 2s', foldable: true },
    ],
  };
  test('tool calls are folded to one line, and unfold to their input', () => {
    const folded = show(
      <SessionsView
        sessions={{ query: 'build', hits: [], selected: 0, transcript }}
        width={80}
        height={10}
      />,
    );
    expect(folded.lastFrame()).toContain('▸ tool Bash: {');
    expect(folded.lastFrame()).not.toContain('"command": "pnpm build"');
    const open = show(
      <SessionsView
        sessions={{ query: 'build', hits: [], selected: 0, transcript: { ...transcript, unfolded: [2] } }}
        width={80}
        height={10}
      />,
    );
    expect(open.lastFrame()).toContain('▾ tool Bash');
    expect(open.lastFrame()).toContain('"command": "pnpm build"');
  });

  test('search hits name the session, its agent and the matching text', () => {
    const { lastFrame } = show(
      <SessionsView
        sessions={{
          query: 'build',
          selected: 0,
          hits: [
            {
              sessionId: 'S1',
              title: 'fix the build',
              when: '2026-11-24T10:00:00Z',
              agent: 'digest',
              snippet: 'run the [build] again',
              kind: 'text',
            },
          ],
        }}
        width={80}
        height={10}
      />,
    );
    expect(lastFrame()).toContain('1 hit for "build"');
    expect(lastFrame()).toContain('> fix the build · agent digest · 2026-11-24 10:00 · text');
    expect(lastFrame()).toContain('run the [build] again');
  });
});

test('KnowledgeView shows where a learning came from', () => {
  const { lastFrame } = show(
    <KnowledgeView
      knowledge={{
        query: 'docker',
        selected: 0,
        hits: [
          {
            id: 'k-abc',
            title: 'Docker builds need --network host here',
            status: 'active',
            confidence: 0.8,
            tags: ['docker'],
            scope: 'org',
            snippet: '',
            body: 'The bridge is off on this host.',
            provenance: ['extracted · agent feed · run R0 · 2026-11-24 10:00'],
          },
        ],
      }}
      width={80}
      height={12}
    />,
  );
  expect(lastFrame()).toContain('> Docker builds need --network host here [active]');
  expect(lastFrame()).toContain('From:');
  expect(lastFrame()).toContain('extracted · agent feed · run R0');
});

test('KnowledgeView marks a stale learning in the list and the detail', () => {
  const hit = {
    id: 'k-old',
    title: 'The API allows 300 requests',
    status: 'active',
    confidence: 0.5,
    tags: [],
    scope: 'org',
    snippet: '',
    body: 'The API allows 300 requests.',
    provenance: [],
    stale: 'contradicted by k-new',
  };
  const { lastFrame } = show(
    <KnowledgeView knowledge={{ query: 'api', selected: 0, hits: [hit] }} width={80} height={12} />,
  );
  expect(lastFrame()).toContain('> The API allows 300 requests [stale: contradicted by k-new]');
  expect(lastFrame()).toContain('k-old · active · stale: contradicted by k-new · confidence 0.50');
});

test('HelpView lists the keys of every view within 80x24', () => {
  const { lastFrame } = show(<HelpView width={80} height={21} />);
  const frame = lastFrame()!;
  expect(frame).toContain('q                  quit');
  expect(frame.split('\n').length).toBeLessThanOrEqual(21);
});

test('StatusLine says when the state is read-only and when it retries', () => {
  const { lastFrame } = show(
    <StatusLine
      connection={{ mode: 'read-only', reason: 'no daemon is running', retryAt: NOW + 4000 }}
      now={NOW}
      width={100}
      colour={false}
    />,
  );
  expect(lastFrame()).toBe('READ-ONLY: no daemon is running; retrying in 4s · ? keys · q quit');
});

test('App: keys drive the container; sources feed it', async () => {
  let send: ((a: Action) => void) | undefined;
  const ran: unknown[] = [];
  const { lastFrame, stdin } = show(
    <App
      now={() => NOW}
      start={(dispatch) => {
        send = dispatch;
        return { run: async (e) => void ran.push(e), stop: () => {} };
      }}
    />,
  );
  await tick();
  send!({ type: 'connection', connection: { mode: 'live', pid: 42 } });
  send!({ type: 'snapshot', agents });
  await tick();
  expect(lastFrame()).toContain('live: daemon pid 42');
  expect(lastFrame()).toContain('> digest');
  stdin.write('j');
  await tick();
  expect(lastFrame()).toContain('> feed');
  stdin.write('r');
  await tick();
  expect(ran).toEqual([{ kind: 'trigger', agent: 'feed' }]);
  stdin.write('?');
  await tick();
  expect(lastFrame()).toContain('Keys (? or esc closes)');
});

test('NO_COLOR (or a dumb terminal) turns colour off; the words stay', () => {
  expect(colourEnabled({})).toBe(true);
  expect(colourEnabled({ NO_COLOR: '1' })).toBe(false);
  expect(colourEnabled({ TERM: 'dumb' })).toBe(false);
  expect(stateColour('failed', false)).toBeUndefined();
  expect(stateColour('failed', true)).toBe('red');
});

describe('accounts row', () => {
  test('the header shows each account with its tightest window, and a pause', async () => {
    const { Header } = await import('../src/ui/Header.js');
    const { accountLines } = await import('../src/state/accounts.js');
    const window = (w: string, utilization: number, status: string) => ({
      window: w,
      status,
      utilization,
      resetsAt: '2026-11-24T16:00:00.000Z',
      overageStatus: null,
      updatedAt: at(0),
    });
    const usage = {
      runs: 0,
      costUsd: 0,
      tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 },
      since: at(0),
    };
    const accounts: Parameters<typeof accountLines>[0] = [
      {
        key: 'env:A',
        label: 'claude-login ($CLAUDE_TOKEN)',
        kind: 'oauth',
        agents: ['feed'],
        windows: [window('seven_day', 0.4, 'allowed'), window('five_hour', 0.92, 'allowed_warning')],
        usage: { fiveHour: usage, sevenDays: usage },
        pausedUntil: null,
        deferrals: [],
      },
      {
        key: 'env:B',
        label: 'api ($ANTHROPIC_API_KEY)',
        kind: 'api-key',
        agents: ['other'],
        windows: [],
        usage: { fiveHour: usage, sevenDays: usage },
        pausedUntil: '2026-11-24T15:00:00.000Z',
        deferrals: [],
      },
    ];
    const { configureTime, timeZoneLabel } = await import('../src/state/format.js');
    const tz = process.env.TZ;
    try {
      // --utc: the times as they are in UTC, and the header says so
      configureTime({ utc: true });
      const utc = show(
        <Header
          view="fleet"
          agents={2}
          running={0}
          accounts={accountLines(accounts)}
          zone={timeZoneLabel(0)}
          colour={false}
        />,
      ).lastFrame()!;
      expect(utc.split('\n')[0]).toContain('2 agents, 0 running · times UTC');
      expect(utc.split('\n')[1]).toBe(
        'accounts: claude-login five_hour 92% allowed_warning, resets 16:00 · api paused until 15:00',
      );
      // by default the local zone, named by its offset, as the CLI prints it
      configureTime({ utc: false });
      process.env.TZ = 'Asia/Kolkata';
      const local = show(
        <Header
          view="fleet"
          agents={2}
          running={0}
          accounts={accountLines(accounts)}
          zone={timeZoneLabel(0)}
          colour={false}
        />,
      ).lastFrame()!;
      expect(local.split('\n')[0]).toContain('· times +05:30');
      expect(local.split('\n')[1]).toBe(
        'accounts: claude-login five_hour 92% allowed_warning, resets 21:30 · api paused until 20:30',
      );
    } finally {
      configureTime({ utc: false });
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });
});
