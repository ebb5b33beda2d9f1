// Figures (issue 13): how late a printed line reaches the terminal, with and without credentials, and
// scrub throughput, each against the scrubber before issue 13 (bench/old-scrub.ts), interleaved round by round.
//   node bench/scrub.ts [lines=1000] [megabytes=100] [rounds=5] [spacingMs=3]
// Latency: an agent prints `lines` lines `spacingMs` apart, each stamped with the wall clock (performance.timeOrigin +
// performance.now(), comparable across processes); a line's latency is its arrival in the listener that
// writes to the terminal minus its stamp. Conditions: startRun with a credential (new scrubber active),
// startRun without credentials, and the bare pipe -> scrubber -> listener path with the old and the new
// scrubber (so the scrubber is the only difference).
// Throughput: `megabytes` of base64 lines in 64 KiB chunks, two credentials, secrets planted split across
// chunks; old and new scrubbers alternate each round; medians and ratio. The new output is checked for leaks.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Scrubber, type Secret, startRun } from '@habitat/runner';
import { agentWith, deadline, median, ms, print, quantile, row, tempDir } from './lib.ts';
import { OldScrubber } from './old-scrub.ts';

const lines = Number(process.argv[2] ?? 1000);
const megabytes = Number(process.argv[3] ?? 100);
const rounds = Number(process.argv[4] ?? 5);
const spacingMs = Number(process.argv[5] ?? 3);
deadline(600, 'scrub');

const SECRET = 'sk-bench-7f3a9c0e1d2b4a5968ffSECRETVALUE';
const secrets: Secret[] = [
  { name: 'api', value: SECRET },
  { name: 'db', value: 'pg-password-4b1c9e77d2' },
];
const work = tempDir();
const credFile = path.join(work, 'api.env');
writeFileSync(credFile, `API_TOKEN=${SECRET}\nDB_PASSWORD=${secrets[1]!.value}\n`);

// ---- latency ----
const printer = path.join(work, 'print.mjs');
writeFileSync(
  printer,
  `import { writeSync } from 'node:fs';
const n = Number(process.argv[2]);
const spacing = Number(process.argv[3]);
const now = () => performance.timeOrigin + performance.now();
let i = 0;
const tick = () => {
  writeSync(1, JSON.stringify({ type: 'assistant', t: now(), i }) + '\\n');
  if (++i < n) setTimeout(tick, spacing);
};
tick();
`,
);

type Condition = 'startRun, credential' | 'startRun, none' | 'pipe, old scrubber' | 'pipe, new scrubber';
const latencies: Record<Condition, number[]> = {
  'startRun, credential': [],
  'startRun, none': [],
  'pipe, old scrubber': [],
  'pipe, new scrubber': [],
};

/** Collect each complete line's latency from the text a listener receives. */
function lineClock(into: number[]): (text: string) => void {
  let partial = '';
  return (text) => {
    const arrived = performance.timeOrigin + performance.now();
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      const t = (JSON.parse(line) as { t: number }).t;
      into.push(arrived - t);
    }
  };
}

async function viaStartRun(n: number, withCredential: boolean, into: number[]): Promise<void> {
  const agent = agentWith({
    run: { kind: 'command', command: [process.execPath, printer, String(n), String(spacingMs)] },
    credentials: withCredential
      ? [{ name: 'api', source: { kind: 'file', path: credFile }, as: 'env', envName: 'API' }]
      : [],
  });
  const clock = lineClock(into);
  const handle = startRun(agent, { stateDir: path.join(work, 'state') });
  handle.on((e) => {
    if (e.type === 'output' && e.stream === 'stdout') clock(e.text);
  });
  const result = await handle.result;
  if (result.status !== 'succeeded') throw new Error(`run ${result.status}`);
}

function viaPipe(n: number, scrubber: { push(b: Buffer): Buffer; flush(): Buffer }, into: number[]) {
  const clock = lineClock(into);
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [printer, String(n), String(spacingMs)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.on('data', (c: Buffer) => {
      const out = scrubber.push(c);
      if (out.length > 0) clock(out.toString());
    });
    child.once('error', reject);
    child.once('close', () => {
      clock(scrubber.flush().toString());
      resolve();
    });
  });
}

const perRound = Math.ceil(lines / rounds);
for (let r = 0; r < rounds; r++) {
  await viaPipe(perRound, new OldScrubber(secrets), latencies['pipe, old scrubber']);
  await viaPipe(perRound, new Scrubber(secrets), latencies['pipe, new scrubber']);
  await viaStartRun(perRound, true, latencies['startRun, credential']);
  await viaStartRun(perRound, false, latencies['startRun, none']);
}

print(
  `runner: line latency, printed -> listener (the terminal writer), ${perRound * rounds} lines ${spacingMs} ms apart`,
);
print(row(['condition', 'lines', 'p50', 'p95', 'max']));
print(row(['---', '---', '---', '---', '---']));
for (const [name, values] of Object.entries(latencies))
  print(row([name, values.length, ms(median(values)), ms(quantile(values, 0.95)), ms(Math.max(...values))]));

// ---- throughput ----
const BLOCK = 65536;
const chunks: Buffer[] = [];
{
  let text = '';
  while (text.length < BLOCK * 4) text += `${randomBytes(57).toString('base64')}\n`;
  const forms = [SECRET, Buffer.from(SECRET).toString('base64'), secrets[1]!.value];
  const count = Math.floor((megabytes * 1e6) / BLOCK);
  let carry = '';
  for (let i = 0; i < count; i++) {
    const start = (i * 4099) % (BLOCK * 2);
    let block = carry + text.slice(start, start + BLOCK - carry.length);
    carry = '';
    if (i % 97 === 5) {
      const form = forms[i % forms.length]!;
      const half = form.length >> 1;
      block = block.slice(0, BLOCK - half) + form.slice(0, half);
      carry = form.slice(half);
    }
    chunks.push(Buffer.from(block));
  }
}
const bytes = chunks.reduce((n, c) => n + c.length, 0);

function scrubAll(scrubber: { push(b: Buffer): Buffer; flush(): Buffer }): { mbps: number; out: Buffer[] } {
  const out: Buffer[] = [];
  const t0 = performance.now();
  for (const c of chunks) out.push(scrubber.push(c));
  out.push(scrubber.flush());
  return { mbps: bytes / 1e6 / ((performance.now() - t0) / 1000), out };
}

const old: number[] = [];
const now: number[] = [];
let leaks = 0;
for (let r = 0; r < rounds; r++) {
  old.push(scrubAll(new OldScrubber(secrets)).mbps);
  const run = scrubAll(new Scrubber(secrets));
  now.push(run.mbps);
  const all = Buffer.concat(run.out);
  for (const s of secrets) if (all.includes(s.value)) leaks++;
  if (all.includes(Buffer.from(SECRET).toString('base64'))) leaks++;
}
print();
print(
  `runner: scrub throughput, ${(bytes / 1e6).toFixed(0)} MB in 64 KiB chunks, 2 credentials, ${rounds} interleaved rounds`,
);
print(row(['scrubber', 'median MB/s', 'min', 'max']));
print(row(['---', '---', '---', '---']));
print(
  row([
    'old (before issue 13)',
    median(old).toFixed(0),
    Math.min(...old).toFixed(0),
    Math.max(...old).toFixed(0),
  ]),
);
print(row(['new', median(now).toFixed(0), Math.min(...now).toFixed(0), Math.max(...now).toFixed(0)]));
print(`ratio new/old: ${(median(now) / median(old)).toFixed(2)}; leaks in the new output: ${leaks}`);
