// Where should a big process fork from? A node process holding ~110 MiB (like the daemon with 1,000 agents)
// runs timers at the daemon's fire rate and measures their lateness while `true` is spawned N times a second:
//   none     no spawns (the machine's own timer lateness)
//   main     child_process.spawn on the main thread (the daemon before the spawner)
//   worker   spawn from a worker thread (the fork still copies the whole process's page tables)
//   spawner  ask a small separate node process over IPC to spawn (what the daemon does now)
// Interleaved rounds, medians.   node bench/fork-offload.ts [rounds=3] [seconds=8] [spawnsPerSecond=20] [heapMiB=110]
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { print, quantile, row } from './lib.ts';

const [rounds = 3, seconds = 8, rate = 20, heapMiB = 110] = process.argv.slice(2).map(Number);
const TIMERS_PER_SECOND = 17;

if (process.argv[2] === '--spawner') {
  process.on('message', () => {
    const c = spawn('true', { stdio: 'ignore', detached: true });
    c.once('exit', () => process.send?.('done'));
  });
} else {
  // ~heapMiB of live objects, touched now and then, as a daemon's heap is
  const keep: number[][] = [];
  for (let i = 0; i < heapMiB * 16; i++) keep.push(new Array(8192).fill(0));

  const modes = ['none', 'main', 'worker', 'spawner'] as const;
  type Mode = (typeof modes)[number];
  const results = new Map<Mode, { p50: number[]; p99: number[]; spawned: number[] }>(
    modes.map((m) => [m, { p50: [], p99: [], spawned: [] }]),
  );
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads'); const { spawn } = require('node:child_process');
     parentPort.on('message', () => { const c = spawn('true', { stdio: 'ignore', detached: true }); c.once('exit', () => parentPort.postMessage('done')); });`,
    { eval: true },
  );
  const spawner = fork(import.meta.filename, ['--spawner'], { stdio: 'ignore' });
  const rssOf = (pid: number) =>
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

  async function round(mode: Mode): Promise<void> {
    let spawned = 0;
    worker.removeAllListeners('message').on('message', () => spawned++);
    spawner.removeAllListeners('message').on('message', () => spawned++);
    const late: number[] = [];
    const start = Date.now() + 100;
    const ms = seconds * 1000;
    for (let t = 0; t < ms; t += 1000 / TIMERS_PER_SECOND) {
      const at = start + t + Math.random() * (1000 / TIMERS_PER_SECOND);
      setTimeout(() => late.push(Date.now() - at), at - Date.now());
    }
    const ticker = setInterval(() => {
      keep[Math.floor(Math.random() * keep.length)]![0]!++;
      if (mode === 'main') spawn('true', { stdio: 'ignore', detached: true }).once('exit', () => spawned++);
      else if (mode === 'worker') worker.postMessage(0);
      else if (mode === 'spawner') spawner.send(0);
    }, 1000 / rate);
    await new Promise((r) => setTimeout(r, ms + 300));
    clearInterval(ticker);
    await new Promise((r) => setTimeout(r, 300));
    const r = results.get(mode)!;
    r.p50.push(quantile(late, 0.5));
    r.p99.push(quantile(late, 0.99));
    r.spawned.push(spawned / seconds);
  }

  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  for (let i = 0; i < rounds; i++) for (const m of modes) await round(m);
  print(
    `fork-offload: ${rounds} interleaved rounds of ${seconds} s, ${TIMERS_PER_SECOND} timers/s, ${rate} spawns/s of \`true\`; ` +
      `this process ${rssOf(process.pid).toFixed(0)} MiB RSS, spawner ${rssOf(spawner.pid!).toFixed(0)} MiB; load ${load}`,
  );
  print();
  print(
    row([
      'spawns from',
      'timer lateness p50 (median)',
      'p99 (median)',
      'p99 per round',
      'ratio to none (p99)',
      'spawns/s',
    ]),
  );
  print(row(['---', '---', '---', '---', '---', '---']));
  const base = quantile(results.get('none')!.p99, 0.5);
  for (const m of modes) {
    const r = results.get(m)!;
    const p99 = quantile(r.p99, 0.5);
    print(
      row([
        m,
        `${quantile(r.p50, 0.5).toFixed(1)} ms`,
        `${p99.toFixed(1)} ms`,
        r.p99.map((v) => v.toFixed(1)).join(' / '),
        `${(p99 / base).toFixed(2)}x`,
        quantile(r.spawned, 0.5).toFixed(1),
      ]),
    );
  }
  await worker.terminate();
  spawner.kill();
}
