// Figures (issue 4): 1,000 agents loaded: daemon RSS <= 150 MB, idle CPU <= 1%, fire lateness p99 <= 50 ms
// (local backend, trivial command, a minute of load). The daemon is the real `habitat up` child process.
//   node bench/daemon-load.ts [agents=1000] [loadSeconds=60] [idleSeconds=20]
//
// Load: agent i runs `true` on cron "<i mod 60> * * * * *" with 1 s of jitter, so ~17 fires a second at
// scattered milliseconds, all through the minute. Lateness = the run record's queued_at (the daemon fired
// it) and started_at (the runner started it) minus the planned fire time: the cron slot plus the agent's
// deterministic jitter (`jitterFor`, the same function the daemon plans with).
// Idle: the same fleet on `every: 1h` (each runs once at first sight, then nothing is due for an hour):
// CPU over a quiet period once that first round is done.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { jitterFor } from '@habitat/config';
import { openStore, type RunRow } from '@habitat/scheduler';
import {
  checkpointerOf,
  connectWhenUp,
  cpuMs,
  deadline,
  fleet,
  memory,
  mib,
  ms,
  print,
  quantile,
  row,
  sleep,
  spawnerOf,
  stop,
  up,
} from './lib.ts';

const count = Number(process.argv[2] ?? 1000);
const loadSeconds = Number(process.argv[3] ?? 60);
const idleSeconds = Number(process.argv[4] ?? 20);
const JITTER_MS = 1000;
const children: ChildProcess[] = [];
/** The baseline probe: `rate` timers a second for `ms`, each planned at a random instant; prints lateness (ms). */
const PROBE = `
const [rate, ms] = process.argv.slice(1).map(Number);
const start = Date.now() + 200, late = [];
for (let t = 0; t < ms; t += 1000 / rate) {
  const at = start + t + Math.random() * (1000 / rate);
  setTimeout(() => late.push(Date.now() - at), at - Date.now());
}
setTimeout(() => process.stdout.write(JSON.stringify(late)), ms + 500);
`;
deadline(loadSeconds + idleSeconds + 240, 'daemon-load', () => {
  for (const c of children) c.kill('SIGKILL');
});

function readRuns(stateDir: string): RunRow[] {
  const store = openStore(stateDir, { readonly: true });
  try {
    return store.history(undefined, 1_000_000);
  } finally {
    store.close();
  }
}

// ---- load: a minute of fires ------------------------------------------------------------------
const loadRoot = fleet(
  count,
  (i) => `run: { command: ["true"] }\nschedule: { cron: "${i % 60} * * * * *", jitter: 1s }\n`,
);
const loadState = path.join(loadRoot, '.habitat');
const t0 = performance.now();
const daemon = up(loadRoot);
children.push(daemon);
const client = await connectWhenUp(loadState, daemon);
const startupMs = performance.now() - t0;
const status = (await client.request('status')) as { agents: unknown[] };
client.close();
if (status.agents.length !== count)
  throw new Error(`the daemon loaded ${status.agents.length} agents, not ${count}`);

const loadStart = Date.now();
const loadAvg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
// Baseline, at the same time: a bare node process with timers at the same rate (one per agent a minute, at
// scattered milliseconds) doing nothing else. Its lateness is what this machine's load alone costs a timer.
const probe = spawn(process.execPath, ['-e', PROBE, String(count / 60), String(loadSeconds * 1000)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
children.push(probe);
let probeOut = '';
probe.stdout!.on('data', (c) => (probeOut += c));
const probeDone = new Promise((r) => probe.once('exit', r));
const cpuStart = cpuMs(daemon.pid!);
const rssSamples: number[] = [];
let spawnerHwm = 0;
let spawnerAnon = 0;
let walHwm = 0;
let walAnon = 0;
while (Date.now() - loadStart < loadSeconds * 1000) {
  rssSamples.push(memory(daemon.pid!).rss);
  const sp = spawnerOf(daemon.pid!);
  if (sp !== undefined) {
    const m = memory(sp);
    spawnerHwm = Math.max(spawnerHwm, m.hwm);
    spawnerAnon = Math.max(spawnerAnon, m.anon);
  }
  const wal = checkpointerOf(daemon.pid!);
  if (wal !== undefined) {
    const m = memory(wal);
    walHwm = Math.max(walHwm, m.hwm);
    walAnon = Math.max(walAnon, m.anon);
  }
  await sleep(250);
}
const loadCpu = cpuMs(daemon.pid!) - cpuStart;
const loadElapsed = Date.now() - loadStart;
await probeDone;
const probeLate = JSON.parse(probeOut) as number[];
const loadMem = memory(daemon.pid!);
await stop(daemon);

const runs = readRuns(loadState).filter((r) => r.trigger === 'schedule' && r.queued_at >= loadStart);
const indexOf = (agent: string) => Number(agent.slice('agent-'.length));
const planned = (r: RunRow): number => {
  // The slot is the latest second boundary at or before the fire whose seconds are the agent's.
  const second = indexOf(r.agent) % 60;
  let slot = Math.floor(r.queued_at / 1000) * 1000;
  while (new Date(slot).getUTCSeconds() !== second) slot -= 1000;
  return slot + jitterFor(r.agent, slot, JITTER_MS);
};
const queuedLate = runs.map((r) => r.queued_at - planned(r));
const startedLate = runs.filter((r) => r.started_at !== null).map((r) => r.started_at! - planned(r));
const byStatus = new Map<string, number>();
for (const r of runs) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
const expectedFires = Math.floor((loadElapsed / 60_000) * count);

// ---- idle: nothing due ------------------------------------------------------------------------
const idleRoot = fleet(count, () => 'run: { command: ["true"] }\nschedule: { every: 1h }\n');
const idleState = path.join(idleRoot, '.habitat');
const idle = up(idleRoot);
children.push(idle);
const idleClient = await connectWhenUp(idleState, idle);
const firstRoundStart = Date.now();
// Wait for the first round (every agent once) to finish.
for (;;) {
  const s = (await idleClient.request('status')) as { running: number; queued: number };
  const done = readRuns(idleState).filter((r) => r.ended_at !== null).length;
  if (s.running === 0 && s.queued === 0 && done >= count) break;
  if (Date.now() - firstRoundStart > 180_000) throw new Error('the first round did not finish in 3 minutes');
  await sleep(500);
}
idleClient.close();
const firstRoundMs = Date.now() - firstRoundStart;
await sleep(3000); // let the last run's bookkeeping and GC settle
const idleCpuStart = cpuMs(idle.pid!);
const idleStart = performance.now();
await sleep(idleSeconds * 1000);
const idleCpu = cpuMs(idle.pid!) - idleCpuStart;
const idleElapsed = performance.now() - idleStart;
const idleMem = memory(idle.pid!);
await stop(idle);

// ---- report -----------------------------------------------------------------------------------
const peakRss = Math.max(loadMem.hwm, idleMem.hwm);
const p99q = quantile(queuedLate, 0.99);
const p99s = quantile(startedLate, 0.99);
const idlePct = (idleCpu / idleElapsed) * 100;
print(
  `scheduler daemon (habitat up --no-layers${process.env.HABITAT_BENCH_NODE_FLAGS ? `, node ${process.env.HABITAT_BENCH_NODE_FLAGS}` : ''}), ${count} agents, local backend, command \`true\``,
);
print(
  `startup to socket answering: ${ms(startupMs)}; load average ${loadAvg} at the start of the load phase`,
);
print(
  `load: ${(loadElapsed / 1000).toFixed(0)} s, ${runs.length} scheduled runs fired (expected ~${expectedFires}); ` +
    `statuses ${[...byStatus].map(([k, v]) => `${k} ${v}`).join(', ')}; daemon CPU during load ${((loadCpu / loadElapsed) * 100).toFixed(1)}%`,
);
print(`idle fleet: first round of ${count} runs took ${(firstRoundMs / 1000).toFixed(1)} s`);
print();
print(row(['figure', 'measured', 'target', 'verdict']));
print(row(['---', '---', '---', '---']));
print(
  row([
    'daemon RSS (peak, VmHWM)',
    `${mib(peakRss)} (load ${mib(loadMem.hwm)}, idle fleet ${mib(idleMem.hwm)}; median during load ${mib(quantile(rssSamples, 0.5))})`,
    '<= 150 MB',
    peakRss <= 150e6 ? 'PASS' : 'MISS',
  ]),
);
print(
  row([
    'its spawner process (habitat-spawner) RSS peak during load',
    spawnerHwm
      ? `${mib(spawnerHwm)} (of it private, RssAnon: ${mib(spawnerAnon)}; the rest is the node binary, shared)`
      : '(none: this build forks in the daemon)',
    '',
    '',
  ]),
);
print(
  row([
    'its WAL checkpoint process (habitat-wal) RSS peak during load',
    walHwm
      ? `${mib(walHwm)} (of it private, RssAnon: ${mib(walAnon)})`
      : '(none: this build checkpoints in the daemon)',
    '',
    '',
  ]),
);
print(
  row([
    `idle CPU (${(idleElapsed / 1000).toFixed(0)} s, nothing due)`,
    `${idlePct.toFixed(2)}% (${idleCpu.toFixed(0)} ms CPU)`,
    '<= 1%',
    idlePct <= 1 ? 'PASS' : 'MISS',
  ]),
);
print(
  row([
    'fire lateness p99 (queued_at - planned)',
    `${ms(p99q)} (p50 ${ms(quantile(queuedLate, 0.5))}, max ${ms(Math.max(...queuedLate))})`,
    '<= 20 ms (issue 17)',
    p99q <= 20 ? 'PASS' : 'MISS',
  ]),
);
print(
  row([
    'baseline: timer lateness p99 of a bare node process, same rate, same time',
    `${ms(quantile(probeLate, 0.99))} (p50 ${ms(quantile(probeLate, 0.5))}, max ${ms(Math.max(...probeLate))})`,
    '',
    '',
  ]),
);
print(
  row([
    'start lateness p99 (started_at - planned)',
    `${ms(p99s)} (p50 ${ms(quantile(startedLate, 0.5))}, max ${ms(Math.max(...startedLate))})`,
    '<= 50 ms',
    p99s <= 50 ? 'PASS' : 'MISS',
  ]),
);
