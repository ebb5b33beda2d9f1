// Benchmark: 200 agents, one run printing 5,000 lines/s, the real TUI (dist) in a real terminal (tmux).
// A fake daemon speaks the socket protocol (status, history, subscribe -> events) from this process.
// Measures, over the window: the TUI process's CPU (% of one core, /proc), its RSS, and how old the
// newest log line on the screen is when the screen is captured (lines carry their send time).
//
//   node apps/tui/bench/firehose.ts [--seconds 30] [--rate 5000] [--agents 200] [--view run|fleet] [--odd-accounts]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    rate: { type: 'string', default: '5000' },
    agents: { type: 'string', default: '200' },
    /** `run`: watch the firehose's log; `fleet`: watch the table while the log streams unseen */
    view: { type: 'string', default: 'run' },
    /** answer `accounts` with `{ ok: true }` as this bench did before session 4: the TUI must still hold one
     * subscription (it used to add one per retry, each a full copy of the stream) */
    'odd-accounts': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const AGENTS = Number(values.agents);
const TICK_MS = 10;
// HABITAT_BENCH_TUI: another build's entry (e.g. main's dist copied under node_modules/), for interleaved runs
const TUI = path.resolve(process.env.HABITAT_BENCH_TUI ?? path.join(import.meta.dirname, '../dist/index.js'));
const SERVER = `habitat-tui-bench-${process.pid}`;

const root = mkdtempSync(path.join(tmpdir(), 'habitat-tui-bench-'));
const stateDir = path.join(root, '.habitat');
mkdirSync(path.join(root, 'agents'), { recursive: true });
mkdirSync(stateDir);
const names = Array.from({ length: AGENTS }, (_, i) =>
  i === 0 ? 'aaa-firehose' : `agent-${String(i).padStart(3, '0')}`,
);
for (const n of names)
  writeFileSync(path.join(root, 'agents', `${n}.yaml`), 'run: { command: ["true"] }\nschedule: manual\n');

const RUN = '01JBENCHFIREHOSE0000000000';
const started = new Date().toISOString();
const status = () => ({
  daemon: { live: true, pid: process.pid },
  root,
  stateDir,
  running: 1,
  queued: 0,
  diagnostics: [],
  credentialPauses: [],
  agents: names.map((agent, i) => ({
    agent,
    state: i === 0 ? 'running' : i % 7 === 0 ? 'sleeping' : i % 11 === 0 ? 'failed' : 'idle',
    schedule: 'every 1h',
    backend: 'local',
    nextAt: new Date(Date.now() + (i + 1) * 60_000).toISOString(),
    nextReason: i > 0 && i % 7 === 0 ? 'wake' : 'schedule',
    ...(i > 0 && i % 7 === 0 ? { sleepReason: 'own request: quota' } : {}),
    ...(i === 0 ? { running: { runId: RUN, startedAt: started, trigger: 'manual' } } : {}),
    ...(i > 0 && i % 11 === 0
      ? { lastRun: { runId: `R${i}`, status: 'failed', exitCode: 1, durationMs: 1200 } }
      : {}),
    costToday: i / 100,
  })),
});

// ---- the fake daemon -----------------------------------------------------------------------
const subscribers = new Set<net.Socket>();
/** subscriptions made over the run: one TUI should hold one (each more doubles what it is sent) */
let subscriptions = 0;
const server = net.createServer((socket) => {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const req = JSON.parse(buffer.slice(0, nl)) as { id: number; method: string };
      buffer = buffer.slice(nl + 1);
      const result =
        req.method === 'subscribe'
          ? { subscribed: true }
          : req.method === 'status'
            ? status()
            : req.method === 'history' || (req.method === 'accounts' && !values['odd-accounts'])
              ? []
              : { ok: true };
      socket.write(`${JSON.stringify({ id: req.id, result })}\n`);
      if (req.method === 'subscribe') {
        subscribers.add(socket);
        subscriptions++;
      }
    }
  });
  socket.on('close', () => subscribers.delete(socket));
  socket.on('error', () => subscribers.delete(socket));
});
await new Promise<void>((r) => server.listen(path.join(stateDir, 'habitat.sock'), r));

const broadcast = (event: Record<string, unknown>) => {
  const line = `${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`;
  for (const s of subscribers) s.write(line);
};

// ---- the TUI in tmux -----------------------------------------------------------------------
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SERVER, ...args], { encoding: 'utf8' });
tmux(
  'new-session',
  '-d',
  '-s',
  'b',
  '-x',
  '100',
  '-y',
  '30',
  `${process.env.TUI_ENV ?? ''} exec '${process.execPath}' '${TUI}' --dir '${root}'`,
);
const pid = Number(tmux('list-panes', '-t', 'b', '-F', '#{pane_pid}').trim());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const screen = () => tmux('capture-pane', '-p', '-t', 'b');
// Live, and the status snapshot in (the firehose's row says it is running), before the run is opened.
for (let i = 0; i < 100 && !screen().includes('live: daemon'); i++) await sleep(100);
for (let i = 0; i < 100 && !screen().includes('1 running'); i++) await sleep(100);
if (values.view === 'run') tmux('send-keys', '-t', 'b', 'Enter'); // open the firehose's run (first row)
await sleep(500);

// ---- stream --------------------------------------------------------------------------------
let seq = 0;
const payload = 'x'.repeat(48);
const streamStart = Date.now();
const stream = setInterval(() => {
  // as many lines as the clock says are due: timers drift, the rate must not
  const now = Date.now();
  const n = Math.floor((RATE * (now - streamStart)) / 1000) - seq;
  let text = '';
  for (let i = 0; i < n; i++) text += `L${++seq} t=${now} ${payload}\n`;
  broadcast({ event: 'run.output', agent: 'aaa-firehose', runId: RUN, stream: 'stdout', text });
  if (seq % 500 < n)
    broadcast({
      event: { type: 'tool_use', tool: 'Bash', input: { command: `step ${seq}` } },
      agent: 'aaa-firehose',
      runId: RUN,
    });
}, TICK_MS);
// Other agents come and go meanwhile.
let churn = 0;
const others = setInterval(() => {
  const agent = names[1 + (churn++ % (AGENTS - 1))]!;
  const runId = `01JBENCH${String(churn).padStart(18, '0')}`;
  broadcast({ event: 'run.started', agent, runId, trigger: 'schedule' });
  broadcast({
    event: 'run.finished',
    agent,
    runId,
    result: { runId, status: 'succeeded', exitCode: 0, durationMs: 900, summary: {} },
  });
}, 100);

const cpuTicks = () => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks
};
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

await sleep(2000); // warm up
const seq0 = seq;
const t0 = Date.now();
const cpu0 = cpuTicks();
const latencies: number[] = [];
const rss: number[] = [];
let misses = 0;
while (Date.now() - t0 < SECONDS * 1000) {
  const at = Date.now();
  if (values.view === 'run') {
    const stamps = [...screen().matchAll(/L\d+ t=(\d+)/g)].map((m) => Number(m[1]));
    if (stamps.length) latencies.push(at - Math.max(...stamps));
    else misses++;
  }
  rss.push(rssMb());
  await sleep(250);
}
const elapsed = (Date.now() - t0) / 1000;
const cpu = (cpuTicks() - cpu0) / TICKS_PER_S / elapsed;
const sent = seq - seq0;
clearInterval(stream);
clearInterval(others);

const sorted = latencies.slice().sort((a, b) => a - b);
const pct = (p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const third = Math.floor(rss.length / 3);
/** least-squares slope of RSS over the second half of the window, MB per minute (samples every 250 ms) */
const half = rss.slice(Math.floor(rss.length / 2));
const slope = (() => {
  const n = half.length;
  const mx = (n - 1) / 2;
  const my = half.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  half.forEach((y, i) => {
    num += (i - mx) * (y - my);
    den += (i - mx) ** 2;
  });
  return den ? (num / den) * 4 * 60 : 0;
})();
const report = {
  view: values.view,
  agents: AGENTS,
  seconds: Math.round(elapsed),
  linesPerSecond: Math.round(sent / elapsed),
  subscriptions,
  subscribedAtEnd: subscribers.size,
  newestLineAgeMs: {
    p50: pct(50),
    p95: pct(95),
    max: sorted.at(-1),
    samples: sorted.length,
    screensWithoutLog: misses,
  },
  cpuPercentOfOneCore: Math.round(cpu * 1000) / 10,
  rssMb: {
    first: Math.round(rss[0]!),
    max: Math.round(Math.max(...rss)),
    last: Math.round(rss.at(-1)!),
    meanFirstThird: Math.round(rss.slice(0, third).reduce((a, b) => a + b, 0) / third),
    meanLastThird: Math.round(rss.slice(-third).reduce((a, b) => a + b, 0) / third),
    slopeLastHalfMbPerMin: Math.round(slope * 10) / 10,
    /** every 10 s: flat at the end means bounded */
    timeline: rss.filter((_, i) => i % 40 === 39).map(Math.round),
  },
  targets: { newestLineAgeMs: 250, cpuPercentOfOneCore: 25 },
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`last screen:\n${screen()}\n`);

tmux('send-keys', '-t', 'b', 'q');
await sleep(300);
try {
  tmux('kill-server');
} catch {
  // the TUI quit and took the session with it
}
server.close();
for (const s of subscribers) s.destroy();
rmSync(root, { recursive: true, force: true });
