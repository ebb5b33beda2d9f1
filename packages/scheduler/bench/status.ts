// Figure (issue 4): `habitat status` through the socket p95 <= 20 ms with 1,000 agents and 100,000 run records.
//   node bench/status.ts [agents=1000] [runs=100000] [requests=300]
// The state is seeded with `openStore` (plans with a last run, 100,000 finished runs over 30 days, some of
// them today with a cost), then the real daemon (`habitat up --no-layers`) starts on it and `status` is
// requested over the socket with `connectDaemon`. The CLI end to end (`habitat status --json`, a fresh
// node process each time: start-up dominates) is timed separately.
import { type ChildProcess, execFile } from 'node:child_process';
import path from 'node:path';
import { openStore } from '@habitat/scheduler';
import { ulid } from 'ulid';
import { agentName, CLI, connectWhenUp, deadline, fleet, ms, print, quantile, row, stop, up } from './lib.ts';

const agents = Number(process.argv[2] ?? 1000);
const runCount = Number(process.argv[3] ?? 100_000);
const requests = Number(process.argv[4] ?? 300);
const children: ChildProcess[] = [];
deadline(300, 'status', () => {
  for (const c of children) c.kill('SIGKILL');
});

// Daily at 03:00: nothing fires during the benchmark.
const root = fleet(agents, () => 'run: { command: ["true"] }\nschedule: { cron: "0 3 * * *" }\n');
const stateDir = path.join(root, '.habitat');

const seedStart = performance.now();
const store = openStore(stateDir);
const now = Date.now();
const DAY = 86_400_000;
const STATUSES = ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'failed', 'rate-limited', 'timed-out'];
const last = new Map<string, string>();
store.transaction(() => {
  for (let i = 0; i < runCount; i++) {
    // Oldest first, so ULIDs sort by time like real records.
    const startedAt = now - DAY * 30 + Math.floor((i / runCount) * DAY * 30);
    const agent = agentName(i % agents);
    const id = ulid(startedAt);
    const status = STATUSES[i % STATUSES.length]!;
    const durationMs = 1000 + (i % 600) * 100;
    store.insertRun({ id, agent, trigger: 'schedule', status: 'queued', queued_at: startedAt });
    store.finishRun(id, {
      runId: id,
      agent,
      trigger: 'schedule',
      backend: 'local',
      status,
      startedAt: new Date(startedAt).toISOString(),
      endedAt: new Date(startedAt + durationMs).toISOString(),
      durationMs,
      exitCode: status === 'succeeded' ? 0 : 1,
      signal: null,
      warnings: [],
      logPath: path.join(stateDir, 'logs', agent, `${id}.log`),
      summary: { toolsUsed: { Bash: 3, Read: 2 }, unknownEvents: 0, costUsd: 0.01 * (i % 7), turns: 4 },
    });
    last.set(agent, id);
  }
  for (let i = 0; i < agents; i++) {
    const agent = agentName(i);
    const next = new Date(now);
    next.setHours(27, 0, 0, 0); // tomorrow 03:00 local
    store.upsertPlan({
      agent,
      next_at: next.getTime(),
      next_reason: 'schedule',
      slot_at: next.getTime(),
      paused: 0,
      failures: 0,
      rate_limit_hits: 0,
      last_run_id: last.get(agent) ?? null,
    });
  }
});
store.close();
const seedMs = performance.now() - seedStart;

const daemon = up(root);
children.push(daemon);
const client = await connectWhenUp(stateDir, daemon);
const first = (await client.request('status')) as { agents: { lastRun?: unknown }[] };
if (first.agents.length !== agents || first.agents.some((a) => !a.lastRun))
  throw new Error('status does not show every agent with its last run');
for (let i = 0; i < 20; i++) await client.request('status'); // warm-up
const socket: number[] = [];
for (let i = 0; i < requests; i++) {
  const t0 = performance.now();
  await client.request('status');
  socket.push(performance.now() - t0);
}
client.close();

const cli: number[] = [];
const nodeOnly: number[] = [];
const time = (args: string[]) =>
  new Promise<number>((resolve, reject) => {
    const t0 = performance.now();
    execFile(process.execPath, args, { cwd: root, maxBuffer: 64 << 20 }, (error) =>
      error ? reject(error) : resolve(performance.now() - t0),
    );
  });
for (let i = 0; i < 10; i++) {
  cli.push(await time([CLI, 'status', '--json']));
  nodeOnly.push(await time(['-e', '0']));
}
await stop(daemon);

const p95 = quantile(socket, 0.95);
print(
  `habitat status with ${agents} agents and ${runCount} run records (seeded in ${(seedMs / 1000).toFixed(1)} s)`,
);
print(row(['', 'p50', 'p95', 'p99', 'max', 'target', 'verdict']));
print(row(['---', '---', '---', '---', '---', '---', '---']));
print(
  row([
    `status over the socket (${requests} requests)`,
    ms(quantile(socket, 0.5)),
    ms(p95),
    ms(quantile(socket, 0.99)),
    ms(Math.max(...socket)),
    'p95 <= 20 ms',
    p95 <= 20 ? 'PASS' : 'MISS',
  ]),
);
print(
  row([
    '`habitat status --json` end to end (10 runs)',
    ms(quantile(cli, 0.5)),
    ms(quantile(cli, 0.95)),
    '',
    ms(Math.max(...cli)),
    '(informational)',
    '',
  ]),
);
print(
  row([
    'baseline: `node -e 0` (Node start-up alone)',
    ms(quantile(nodeOnly, 0.5)),
    ms(quantile(nodeOnly, 0.95)),
    '',
    ms(Math.max(...nodeOnly)),
    '',
    '',
  ]),
);
