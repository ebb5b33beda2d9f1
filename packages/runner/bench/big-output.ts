// Figure (issue 3): an agent that prints 100 MB with a credential configured (scrubbing active): the whole
// log kept and scrubbed at >= 100 MB/s with flat memory (peak RSS of this process, which does the run).
//   node bench/big-output.ts [megabytes=100]
// The agent is a node one-liner writing 64 KiB blocks of base64 lines; the secret (and its base64 form) is
// planted a few times straddling block boundaries, so it arrives split across two pipe reads.
import { spawn } from 'node:child_process';
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startRun } from '@habitat/runner';
import { agentWith, deadline, median, print, row, tempDir } from './lib.ts';

const megabytes = Number(process.argv[2] ?? 100);
const total = megabytes * 1_000_000;
deadline(300, 'big-output');

const SECRET = 'sk-bench-7f3a9c0e1d2b4a5968ffSECRETVALUE';
const PLANTS = 8;
const REPLACEMENT = '[REDACTED:api]';
const work = tempDir();
const credFile = path.join(work, 'api.env');
writeFileSync(credFile, `API_TOKEN=${SECRET}\n`);

// The generator: `total` bytes; block i ends with the first half of a secret form and block i+1 starts with
// the rest, for PLANTS blocks spread over the stream (alternating the raw value and its base64 form).
const generator = path.join(work, 'gen.mjs');
writeFileSync(
  generator,
  `import { writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
const total = ${total}, BLOCK = 65536, plants = ${PLANTS};
const forms = [process.env.API_TOKEN, Buffer.from(process.env.API_TOKEN).toString('base64')];
const line = (n) => randomBytes(n).toString('base64').slice(0, n - 1) + '\\n';
let pool = ''; while (pool.length < BLOCK * 2) pool += line(77);
const blocks = Math.floor(total / BLOCK);
const every = Math.floor(blocks / (plants + 1));
let written = 0, carry = '';
for (let i = 0; i < blocks && written < total; i++) {
  const form = forms[(i / every) % 2 | 0];
  const planted = i > 0 && i % every === 0 && i / every <= plants;
  const start = (i * 4099) % BLOCK;
  let block = carry + pool.slice(start, start + BLOCK - carry.length);
  carry = '';
  if (planted) {
    const half = form.length >> 1;
    block = block.slice(0, BLOCK - half) + form.slice(0, half);
    carry = form.slice(half);
  }
  written += writeSync(1, block);
}
if (carry) written += writeSync(1, carry);
const rest = total - written;
if (rest > 0) writeSync(1, pool.slice(0, rest));
`,
);

const agent = agentWith({
  run: { kind: 'command', command: [process.execPath, generator] },
  credentials: [{ name: 'api', source: { kind: 'file', path: credFile }, as: 'env', envName: 'API' }],
});

// Baseline: the same generator straight into a file (what `cmd > log` in a cron script costs).
function baseline(): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      'sh',
      ['-c', `"$0" "$1" > "$2"`, process.execPath, generator, path.join(work, 'raw.log')],
      {
        env: { ...process.env, API_TOKEN: SECRET },
        stdio: 'ignore',
      },
    );
    child.once('error', reject);
    child.once('close', () => resolve(performance.now() - t0));
  });
}

let peakRss = 0;
let peakHeap = 0;
let peakBuffers = 0;
const sample = () => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapTotal);
  peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
};

const baselineMs = median([await baseline(), await baseline(), await baseline()]);
const rawSize = statSync(path.join(work, 'raw.log')).size;

// Settle, then measure the run.
global.gc?.();
sample();
const rssBefore = process.memoryUsage().rss;
const timer = setInterval(sample, 20);
const stateDir = path.join(work, 'state');
const t0 = performance.now();
const handle = startRun(agent, { stateDir, trigger: 'manual' });
let outputEvents = 0;
handle.on((e) => {
  if (e.type === 'output') outputEvents++;
});
const result = await handle.result;
const runMs = performance.now() - t0;
clearInterval(timer);
sample();
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];

if (result.status !== 'succeeded') throw new Error(`run ${result.status}: ${result.error?.message}`);

// Verify: no form of the secret anywhere in the log, one replacement per plant, size exactly as expected.
const b64 = Buffer.from(SECRET).toString('base64');
const forbidden = [SECRET, b64, b64.replace(/=+$/, '')].map((s) => Buffer.from(s));
let found = 0;
let replacements = 0;
let carry = Buffer.alloc(0);
for await (const chunk of createReadStream(result.logPath, { highWaterMark: 1 << 20 })) {
  const data = Buffer.concat([carry, chunk as Buffer]);
  for (const f of forbidden) if (data.indexOf(f) >= 0) found++;
  for (let at = data.indexOf(REPLACEMENT); at >= 0; at = data.indexOf(REPLACEMENT, at + 1))
    if (at + REPLACEMENT.length > carry.length) replacements++;
  carry = data.subarray(Math.max(0, data.length - 100));
}
const rawText = readFileSync(path.join(work, 'raw.log'));
let plantedRaw = 0;
let plantedB64 = 0;
for (let at = rawText.indexOf(SECRET); at >= 0; at = rawText.indexOf(SECRET, at + 1)) plantedRaw++;
for (let at = rawText.indexOf(b64); at >= 0; at = rawText.indexOf(b64, at + 1)) plantedB64++;
const expectedSize =
  rawSize -
  plantedRaw * (SECRET.length - REPLACEMENT.length) -
  plantedB64 * (b64.length - REPLACEMENT.length);
const logSize = statSync(result.logPath).size;
const mbps = rawSize / 1e6 / (runMs / 1000);
const baseMbps = rawSize / 1e6 / (baselineMs / 1000);
const ok = found === 0 && replacements === plantedRaw + plantedB64 && logSize === expectedSize;

print(`runner: an agent printing ${(rawSize / 1e6).toFixed(1)} MB, credential configured (scrubbing active)`);
print(row(['', 'wall', 'throughput']));
print(row(['---', '---', '---']));
print(row(['generator > file (baseline)', `${baselineMs.toFixed(0)} ms`, `${baseMbps.toFixed(0)} MB/s`]));
print(row(['startRun (scrubbed log)', `${runMs.toFixed(0)} ms`, `${mbps.toFixed(0)} MB/s`]));
print(
  `log: ${logSize} bytes (expected ${expectedSize}); secret planted ${plantedRaw}x raw + ${plantedB64}x base64, ` +
    `each split across two writes; ${replacements} replacements, ${found} leaks; ${outputEvents} output events`,
);
print(
  `memory: RSS before ${(rssBefore / 2 ** 20).toFixed(0)} MiB, peak sampled ${(peakRss / 2 ** 20).toFixed(0)} MiB, ` +
    `VmHWM ${(Number(hwm) / 1024).toFixed(0)} MiB (whole process life); peak V8 heap ${(peakHeap / 2 ** 20).toFixed(0)} MiB, ` +
    `peak Buffers ${(peakBuffers / 2 ** 20).toFixed(0)} MiB`,
);
print(
  `throughput ${mbps.toFixed(0)} MB/s (target >= 100 MB/s) ${mbps >= 100 ? 'PASS' : 'MISS'}; log check ${ok ? 'PASS' : 'FAIL'}`,
);
if (!ok) process.exitCode = 1;
