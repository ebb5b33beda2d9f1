// Figures (issue 14): wake precision of resumptions after a usage limit (actual start − planned, p50/p99 over
// 100 resumptions) and webhook delivery latency.
//   node bench/resume.ts [rounds=10] [perRound=10]
// Each round starts the real daemon (`habitat up --no-layers`) on a fresh coordinator with `perRound` Claude
// agents and `perRound` baseline agents. A Claude agent's `claude` is a stand-in that prints a real
// `rate_limit_event` (status rejected, resetsAt = the round's reset) and exits 1 the first time, and a
// success when called with `--resume`; the agent has `rateLimit: { resume: true, margin: 1s + i×100 ms }`,
// so resumption i is planned at reset + margin. A baseline agent is today's agent-paced wake-up: its first
// run writes the same planned instant to $HABITAT_WAKE_FILE. Both are measured in the same round (the
// baseline interleaved), from the run records: started_at (the runner began the run) − planned.
// Webhooks: each Claude agent notifies a loopback server on rate-limited and recovered; latency = received −
// the run's ended_at (the daemon's record). Baseline: a bare fetch POST of the same body to the same server
// from this process, timed round trip, in the same round.
import { type ChildProcess, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { openStore, type RunRow } from '@habitat/scheduler';
import { connectWhenUp, deadline, fleet, ms, print, quantile, row, sleep, stop, up } from './lib.ts';

const rounds = Number(process.argv[2] ?? 10);
const perRound = Number(process.argv[3] ?? 10);
const children: ChildProcess[] = [];
deadline(60 + rounds * 30, 'resume', () => {
  for (const c of children) c.kill('SIGKILL');
});

// The stand-in claude: a rejected five_hour window with the reset from $BENCH_RESET, or a success on --resume.
const STAND_IN = `#!${process.execPath}
const fs = require('node:fs');
try { fs.readFileSync(0); } catch {}
const session = '0b5e1f7c-3a8e-4a52-9d4b-9a1c2f6e7d10';
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
out({ type: 'system', subtype: 'init', session_id: session, model: 'claude-sonnet-4-5' });
if (process.argv.includes('--resume')) {
  out({ type: 'result', subtype: 'success', is_error: false, num_turns: 1, session_id: session, total_cost_usd: 0.01 });
} else {
  const resetsAt = Number(fs.readFileSync(process.env.BENCH_RESET, 'utf8'));
  out({ type: 'rate_limit_event', rate_limit_info: { status: 'rejected', resetsAt, rateLimitType: 'five_hour', overageStatus: 'rejected' }, session_id: session });
  out({ type: 'result', subtype: 'success', is_error: true, api_error_status: 429, result: "You've hit your limit", session_id: session });
  process.exitCode = 1;
}
`;

const received: { body: { event: string; runId: string }; at: number }[] = [];
const server = http.createServer((req, res) => {
  let text = '';
  req.on('data', (c) => (text += c));
  req.on('end', () => {
    const at = Date.now();
    try {
      received.push({ body: JSON.parse(text), at });
    } catch {
      // the bare baseline posts are counted by their own timer
    }
    res.writeHead(200).end('ok');
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

const resumeLate: number[] = [];
const wakeLate: number[] = [];
const hookLatency: number[] = [];
const bareLatency: number[] = [];
print(
  `# resume after the limit: ${rounds} rounds x ${perRound} resumptions (+ ${perRound} baseline wake-ups each)`,
);
print();
print(
  row([
    'round',
    'resume start − planned p50',
    'wake-file start − planned p50 (baseline)',
    'ratio',
    'webhook p50',
    'bare POST p50 (baseline)',
  ]),
);
print(row(['---', '---', '---', '---', '---', '---']));

for (let round = 1; round <= rounds; round++) {
  const bin = path.join(execFileSync('mktemp', ['-d']).toString().trim());
  writeFileSync(path.join(bin, 'claude'), STAND_IN);
  chmodSync(path.join(bin, 'claude'), 0o755);
  const resetFile = path.join(bin, 'reset');
  // The reset is a few seconds out (epoch seconds, as Claude reports it): every agent's first run is done by then.
  const reset = Math.ceil(Date.now() / 1000) + 4;
  writeFileSync(resetFile, String(reset));
  const planned = (i: number) => reset * 1000 + 1000 + i * 100;
  const root = fleet(0, () => '', `maxConcurrentRuns: ${2 * perRound + 2}\n`);
  mkdirSync(path.join(root, 'prompts'));
  writeFileSync(path.join(root, 'prompts', 'task.md'), 'work\n');
  for (let i = 0; i < perRound; i++) {
    writeFileSync(
      path.join(root, 'agents', `claude-${i}.yaml`),
      [
        'run: { claude: prompts/task.md }',
        'schedule: { every: 1h }',
        `env: { PATH: "${bin}:${process.env.PATH}", BENCH_RESET: "${resetFile}", IS_SANDBOX: "1" }`,
        `rateLimit: { resume: true, margin: ${1000 + i * 100}ms }`,
        `notify: [{ webhook: "${hook}", on: [rate-limited, recovered] }]`,
      ].join('\n'),
    );
    const at = new Date(planned(i)).toISOString();
    writeFileSync(
      path.join(root, 'agents', `wake-${i}.yaml`),
      `run: { command: ["sh", "-c", "[ -e ${root}/woke-${i} ] || { touch ${root}/woke-${i}; echo ${at} > \\"$HABITAT_WAKE_FILE\\"; }"] }\nschedule: { every: 1h }\n# wake.min defaults to 1m: the baseline asks for a few seconds\nwake: { min: 1s }\n`,
    );
  }
  const child = up(root);
  children.push(child);
  const stateDir = path.join(root, '.habitat');
  (await connectWhenUp(stateDir, child)).close();
  const runs = (): RunRow[] => {
    try {
      const store = openStore(stateDir, { readonly: true });
      try {
        return store.history(undefined, 10_000);
      } finally {
        store.close();
      }
    } catch {
      return [];
    }
  };
  const end = planned(perRound) + 15_000;
  let rows = runs();
  while (Date.now() < end) {
    rows = runs();
    const resumed = rows.filter((r) => r.trigger === 'resume' && r.started_at !== null).length;
    const woke = rows.filter((r) => r.trigger === 'wake' && r.started_at !== null).length;
    const hooks = received.filter((h) => h.body.event === 'recovered').length;
    if (resumed >= perRound && woke >= perRound && hooks >= perRound) break;
    await sleep(100);
  }
  await stop(child);
  const roundResume: number[] = [];
  const roundWake: number[] = [];
  for (const r of rows) {
    const m = /^(claude|wake)-(\d+)$/.exec(r.agent);
    if (!m || r.started_at === null) continue;
    const late = r.started_at - planned(Number(m[2]));
    if (m[1] === 'claude' && r.trigger === 'resume') roundResume.push(late);
    if (m[1] === 'wake' && r.trigger === 'wake') roundWake.push(late);
  }
  if (roundResume.length < perRound || roundWake.length < perRound)
    print(`round ${round}: only ${roundResume.length} resumptions and ${roundWake.length} wake-ups started`);
  const ended = new Map(rows.map((r) => [r.id, r.ended_at]));
  const roundHooks = received
    .splice(0)
    .map((h) => h.at - (ended.get(h.body.runId) ?? Number.NaN))
    .filter(Number.isFinite);
  const roundBare: number[] = [];
  for (let i = 0; i < roundHooks.length; i++) {
    const t = performance.now();
    const r = await fetch(`${hook}?bare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ bare: true, i }),
    });
    await r.text();
    roundBare.push(performance.now() - t);
  }
  resumeLate.push(...roundResume);
  wakeLate.push(...roundWake);
  hookLatency.push(...roundHooks);
  bareLatency.push(...roundBare);
  const r50 = quantile(roundResume, 0.5);
  const w50 = quantile(roundWake, 0.5);
  print(
    row([
      round,
      ms(r50),
      ms(w50),
      (r50 / w50).toFixed(2),
      ms(quantile(roundHooks, 0.5)),
      ms(quantile(roundBare, 0.5)),
    ]),
  );
}
server.close();
print();
print(row(['figure', 'n', 'p50', 'p99', 'max', 'baseline p50', 'baseline p99', 'ratio p50']));
print(row(['---', '---', '---', '---', '---', '---', '---', '---']));
print(
  row([
    'resume start − planned (reset + margin)',
    resumeLate.length,
    ms(quantile(resumeLate, 0.5)),
    ms(quantile(resumeLate, 0.99)),
    ms(Math.max(...resumeLate)),
    ms(quantile(wakeLate, 0.5)),
    ms(quantile(wakeLate, 0.99)),
    (quantile(resumeLate, 0.5) / quantile(wakeLate, 0.5)).toFixed(2),
  ]),
);
print(
  row([
    'webhook: received − run ended',
    hookLatency.length,
    ms(quantile(hookLatency, 0.5)),
    ms(quantile(hookLatency, 0.99)),
    ms(Math.max(...hookLatency)),
    ms(quantile(bareLatency, 0.5)),
    ms(quantile(bareLatency, 0.99)),
    (quantile(hookLatency, 0.5) / quantile(bareLatency, 0.5)).toFixed(2),
  ]),
);
print(
  `early starts (before planned): ${resumeLate.filter((v) => v < 0).length} resumptions, ${wakeLate.filter((v) => v < 0).length} wake-ups`,
);
