// Figure (issue 17): the daemon's throughput ceiling — runs started and finished per second with more due
// than it can run at once — at maxConcurrentRuns 4, 16 and 64. The real `habitat up --no-layers` on a fleet
// of `agents` agents on `every: 1h` (each is due at first sight, so all are offered at once), local backend,
// command `true`. Runs/s = runs / (last ended_at - first queued_at). Rounds interleave the three settings
// (rotating order) and the figure is the median per setting.
//   node bench/throughput.ts [agents=300] [rounds=2]
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openStore } from '@habitat/scheduler';
import { connectWhenUp, deadline, fleet, print, quantile, row, sleep, stop, up } from './lib.ts';

const count = Number(process.argv[2] ?? 300);
const rounds = Number(process.argv[3] ?? 2);
const CAPS = [4, 16, 64];
const children: ChildProcess[] = [];
deadline(60 + rounds * CAPS.length * 120, 'throughput', () => {
  for (const c of children) c.kill('SIGKILL');
});

async function once(cap: number): Promise<number> {
  const root = fleet(count, () => 'run: { command: ["true"] }\nschedule: { every: 1h }\n');
  writeFileSync(path.join(root, 'habitat.yaml'), `maxConcurrentRuns: ${cap}\n`);
  const stateDir = path.join(root, '.habitat');
  const daemon = up(root);
  children.push(daemon);
  (await connectWhenUp(stateDir, daemon)).close();
  for (;;) {
    await sleep(500);
    const store = openStore(stateDir, { readonly: true });
    try {
      const runs = store.history(undefined, count + 10);
      const done = runs.filter((r) => r.ended_at !== null);
      if (done.length >= count) {
        await stop(daemon);
        const first = Math.min(...runs.map((r) => r.queued_at));
        const last = Math.max(...done.map((r) => r.ended_at!));
        return count / ((last - first) / 1000);
      }
    } finally {
      store.close();
    }
  }
}

const results = new Map(CAPS.map((c) => [c, [] as number[]]));
for (let r = 0; r < rounds; r++)
  for (let i = 0; i < CAPS.length; i++) {
    const cap = CAPS[(i + r) % CAPS.length]!;
    results.get(cap)!.push(await once(cap));
  }
print(
  `Node ${process.version}, ${count} agents offered at once, ${rounds} interleaved rounds, ${new Date().toISOString().slice(0, 10)}`,
);
print('');
print(row(['maxConcurrentRuns', 'runs/s (median)', 'rounds']));
print(row(['---', '---', '---']));
for (const [cap, values] of results)
  print(row([cap, quantile(values, 0.5).toFixed(1), values.map((v) => v.toFixed(1)).join(', ')]));
