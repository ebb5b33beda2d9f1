// habitat logs <agent>: a run's log, rendered for people (Claude stream-json as timed lines, stderr marked)
// or exactly as written (--raw); --follow keeps printing as it grows and, between runs, waits for the next
// one (--all: run after run until Ctrl-C).
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { formatRendered, parseLineTimes, renderLog, StreamRenderer } from '@habitat/runner';
import { agentFileNames, hasAgentFile } from '../coordinator.js';
import { CliError, RENDER_TIMES, useColor, utcTimes } from '../output.js';

export interface LogsOptions {
  run?: string;
  follow?: boolean;
  all?: boolean;
  raw?: boolean;
}

/** How often a followed log (and the agent's log directory) is looked at. */
const POLL_MS = 100;

const logsOf = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.log'))
        .sort()
    : [];

const finished = (log: string) => existsSync(log.replace(/\.log$/, '.json'));

export async function printLogs(
  stateDir: string,
  agent: string,
  opts: LogsOptions,
  agentsDir?: string,
): Promise<void> {
  const dir = path.join(stateDir, 'logs', agent);
  // A typo in the name is not an agent without runs (and --follow would wait for it forever); an agent
  // whose file is gone but whose logs remain is still readable.
  if (agentsDir !== undefined && !existsSync(dir) && !hasAgentFile(agentsDir, agent))
    throw new CliError(
      `no agent "${agent}" in ${agentsDir} and no logs of one (agents: ${agentFileNames(agentsDir).join(', ') || 'none'})`,
      2,
      'unknown-agent',
    );
  const logs = logsOf(dir);
  const file = opts.run ? logs.find((f) => f.endsWith(`-${opts.run}.log`)) : logs.at(-1);
  if (!file && (opts.run || !opts.follow))
    throw new CliError(
      opts.run
        ? `no log for run ${opts.run} of ${agent} (\`habitat history ${agent}\` lists its runs)`
        : `no runs of ${agent} yet (${dir})`,
      1,
      'no-log',
    );
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  try {
    let current = file ? path.join(dir, file) : undefined;
    if (current) await printLog(current, opts, opts.follow ? stop.signal : undefined);
    if (!opts.follow || opts.run) return;
    // Between runs: wait for the next one; with --all, keep going run after run.
    for (;;) {
      // The next run is the first log named after the one just printed (names sort by start time): a run that
      // began while the previous one was still printing is followed, not skipped as if it had been seen.
      const after = current ? path.basename(current) : undefined;
      const seen = new Set(after ? [] : logsOf(dir));
      process.stderr.write(`habitat: waiting for the next run of ${agent} (Ctrl-C to stop)\n`);
      const next = await waitFor(
        () => logsOf(dir).find((f) => (after ? f > after : !seen.has(f))),
        stop.signal,
      );
      if (!next) return;
      current = path.join(dir, next);
      await printLog(current, opts, stop.signal);
      if (!opts.all || stop.signal.aborted) return;
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Print one log; with `follow`, keep printing what is appended until the run's record appears. */
async function printLog(file: string, opts: LogsOptions, follow: AbortSignal | undefined): Promise<void> {
  const color = useColor(process.stdout);
  let offset = 0;
  const readNew = (): Buffer => {
    const size = statSync(file).size;
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(size - offset);
    const fd = openSync(file, 'r');
    try {
      const n = readSync(fd, buf, 0, buf.length, offset);
      offset += n;
      return buf.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  };
  const times = () => {
    const timesFile = file.replace(/\.log$/, '.times');
    return existsSync(timesFile) ? parseLineTimes(readFileSync(timesFile, 'utf8')) : [];
  };
  const print = (lines: ReturnType<typeof renderLog>) => {
    for (const line of lines) process.stdout.write(`${formatRendered(line, { color, utc: utcTimes() })}\n`);
  };
  const decoder = new StringDecoder('utf8');
  const renderer = new StreamRenderer(RENDER_TIMES);
  // Read "ended" before the bytes, so what was written just before the record is never missed.
  let ended = finished(file);
  const first = readNew();
  if (opts.raw) process.stdout.write(first);
  else {
    // What is there: whole lines with the times they arrived; an unfinished last line waits for the rest.
    const text = decoder.write(first);
    const cut = text.lastIndexOf('\n') + 1;
    print(renderLog(text.slice(0, cut), times(), RENDER_TIMES));
    renderer.push(text.slice(cut), 'stdout', new Date());
  }
  while (follow && !ended && !follow.aborted) {
    await sleep(POLL_MS, follow);
    ended = finished(file);
    const chunk = readNew();
    if (chunk.length === 0) continue;
    if (opts.raw) process.stdout.write(chunk);
    else print(renderer.push(decoder.write(chunk), 'stdout', new Date()));
  }
  if (!opts.raw) print(renderer.end());
}

async function waitFor<T>(probe: () => T | undefined, signal: AbortSignal): Promise<T | undefined> {
  while (!signal.aborted) {
    const found = probe();
    if (found !== undefined) return found;
    await sleep(POLL_MS, signal);
  }
  return undefined;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
