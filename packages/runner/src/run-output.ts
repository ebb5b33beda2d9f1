// A run's output on its way out: scrubbed, then to the log as whole lines (stderr lines marked), to
// listeners as it arrives, and through Claude's stream parser. Shared by a run and by adoption of a
// container a previous coordinator started, so both log and summarise the same way.
import { writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { ClaudeStreamParser } from './claude-stream.js';
import { Scrubber, type Secret } from './scrub.js';
import type { AgentEvent, AgentSummary } from './types.js';

export type Stream = 'stdout' | 'stderr';

/** Put before each stderr line in a run log; stdout lines are written exactly as the agent printed them. */
export const STDERR_MARK = '[stderr] ';

/**
 * How long a held-back tail (bytes that might start a secret) waits for the rest before it is released.
 * A secret split across two writes further apart than this is not recognised; 90 ms keeps a line's
 * delay to the terminal well under the 100 ms a person notices.
 */
export const IDLE_RELEASE_MS = 90;

export interface RunOutputOptions {
  /** an open log file (`a` mode) */
  logFd: number;
  secrets: readonly Secret[];
  /**
   * Where to record when the log's lines arrived (the log itself keeps the exact stream): one
   * `<epoch ms> <line count>` line per write. See `readLineTimes`.
   */
  timesFd?: number;
  /** Claude stream-json: report every parsed event, not only tool calls and lifecycle events */
  streamJson: boolean;
  now?: () => Date;
  idleMs?: number;
  onText?: (stream: Stream, text: string) => void;
  onEvent?: (event: AgentEvent) => void;
}

interface StreamState {
  scrubber: Scrubber;
  decoder: StringDecoder;
  parser: ClaudeStreamParser;
  /** the current (incomplete) log line */
  line: Buffer[];
  timer?: NodeJS.Timeout;
}

const NL = 0x0a;

export class RunOutput {
  private readonly streams: Record<Stream, StreamState>;
  private readonly idleMs: number;
  private ended = false;

  constructor(private readonly options: RunOutputOptions) {
    const now = options.now ?? (() => new Date());
    const state = (): StreamState => ({
      scrubber: new Scrubber(options.secrets),
      decoder: new StringDecoder('utf8'),
      parser: new ClaudeStreamParser(now),
      line: [],
    });
    this.streams = { stdout: state(), stderr: state() };
    this.idleMs = options.idleMs ?? IDLE_RELEASE_MS;
  }

  /** Stream-json summary (stdout), with a plain-text rate limit seen on stderr as a fallback. */
  get summary(): AgentSummary {
    const summary = this.streams.stdout.parser.summary;
    const textLimit = this.streams.stderr.parser.summary.rateLimit;
    if (!summary.rateLimit && textLimit) summary.rateLimit = textLimit;
    return summary;
  }

  /** The scrubber for messages habitat itself writes about the run (errors, wake reasons). */
  get scrubber(): Scrubber {
    return this.streams.stdout.scrubber;
  }

  push(stream: Stream, chunk: Buffer): void {
    if (this.ended) return;
    const s = this.streams[stream];
    this.release(stream, s.scrubber.push(chunk));
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
    if (s.scrubber.pending > 0) {
      s.timer = setTimeout(() => {
        s.timer = undefined;
        this.release(stream, s.scrubber.flush());
      }, this.idleMs);
      s.timer.unref();
    }
  }

  /** A line habitat writes into the log itself (e.g. why a run failed). */
  note(text: string): void {
    this.endLines();
    if (this.options.timesFd !== undefined) writeSync(this.options.timesFd, `${Date.now()} 1\n`);
    this.write(`habitat: ${this.scrubber.scrubText(text)}\n`);
  }

  /** Flush everything held: the scrubbers' tails, the last partial lines, the parsers' last events. */
  end(): void {
    if (this.ended) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      const s = this.streams[stream];
      if (s.timer) clearTimeout(s.timer);
      this.release(stream, s.scrubber.flush());
      const text = s.decoder.end();
      if (text) this.options.onText?.(stream, text);
      this.events(s.parser.end());
    }
    this.endLines(true);
    this.ended = true;
  }

  /**
   * Write out partial lines. Ended with a newline so that what follows starts a line of its own — except,
   * at the very end, stdout's, which is written last and exactly as the agent left it.
   */
  private endLines(final = false): void {
    for (const stream of ['stderr', 'stdout'] as const) {
      const s = this.streams[stream];
      if (s.line.length === 0) continue;
      const exact = final && stream === 'stdout';
      if (exact) {
        if (this.options.timesFd !== undefined) writeSync(this.options.timesFd, `${Date.now()} 1\n`);
        writeSync(this.options.logFd, Buffer.concat(s.line));
      } else this.writeLines(stream, Buffer.concat([...s.line, Buffer.of(NL)]));
      s.line = [];
    }
  }

  private release(stream: Stream, bytes: Buffer): void {
    if (bytes.length === 0) return;
    const s = this.streams[stream];
    this.log(stream, bytes);
    const text = s.decoder.write(bytes);
    if (!text) return;
    this.options.onText?.(stream, text);
    this.events(s.parser.push(text));
  }

  private events(events: AgentEvent[]): void {
    const onEvent = this.options.onEvent;
    if (!onEvent) return;
    for (const event of events) if (this.options.streamJson || event.type !== 'text') onEvent(event);
  }

  /** To the log: only complete lines, so the two streams never interleave inside a line. */
  private log(stream: Stream, bytes: Buffer): void {
    const s = this.streams[stream];
    const last = bytes.lastIndexOf(NL);
    if (last < 0) {
      s.line.push(Buffer.from(bytes));
      return;
    }
    const head = bytes.subarray(0, last + 1);
    this.writeLines(stream, s.line.length > 0 ? Buffer.concat([...s.line, head]) : head);
    s.line = last + 1 < bytes.length ? [Buffer.from(bytes.subarray(last + 1))] : [];
  }

  /** Write complete lines (`data` ends with a newline); stderr lines get the mark. */
  private writeLines(stream: Stream, data: Buffer): void {
    if (this.options.timesFd !== undefined) {
      let lines = 0;
      for (let at = data.indexOf(NL); at >= 0; at = data.indexOf(NL, at + 1)) lines++;
      writeSync(this.options.timesFd, `${Date.now()} ${lines}\n`);
    }
    if (stream === 'stdout') {
      this.write(data);
      return;
    }
    const text = data.toString('utf8');
    const marked = `${STDERR_MARK}${text.slice(0, -1).replaceAll('\n', `\n${STDERR_MARK}`)}\n`;
    this.write(marked);
  }

  /** Why the log stopped being written (a full disk), if it did: the run goes on, listeners still hear it. */
  logProblem: string | undefined;

  private write(data: Buffer | string): void {
    if (this.logProblem) return;
    try {
      if (typeof data === 'string') writeSync(this.options.logFd, data);
      else writeSync(this.options.logFd, data);
    } catch (error) {
      this.logProblem = `run log: cannot write (${(error as NodeJS.ErrnoException).code ?? 'error'}); later output was not kept`;
    }
  }
}

/** The arrival time of each line of a log, from its `.times` file (`timesFd`); undefined where unknown. */
export function parseLineTimes(text: string): number[] {
  const times: number[] = [];
  for (const entry of text.split('\n')) {
    const [ms, count] = entry.split(' ');
    const t = Number(ms);
    const n = Number(count);
    if (!Number.isFinite(t) || !Number.isInteger(n) || n < 0) continue;
    for (let i = 0; i < n; i++) times.push(t);
  }
  return times;
}
