/**
 * A cold build's two halves on two threads: a parser thread (`parse-worker.ts`) reads, parses and redacts the
 * planned files in order, while this thread applies their chunks to the database (the SQLite half of a build is
 * ~45% of its CPU, the parsing half ~55%). The API stays synchronous: chunks are taken with
 * `receiveMessageOnPort`, waiting on a shared counter between them, and the parser stays a bounded number of chunks
 * ahead. Transactions, savepoints and the `.building` marker are all on this thread, as in a one-thread pass.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { ParseStats } from './claude.js';
import type { ParseJob } from './parse.js';
import type { Chunk } from './writer.js';

export type ParserMessage =
  | { job: number; chunk: Chunk }
  | { job: number; stats: ParseStats }
  | { job: number; error: string }
  | { job: -1; done: true };

/**
 * Chunks in flight (each at most ~1 MB of text or 1,000 events). The database thread fills the full-text index in a
 * burst before each batch commit (~0.25 s at 32 MB): 16 chunks kept the parser thread waiting ~1 s of a 256 MB build,
 * 32 ~0.4 s (48: ~0.1 s, but up to 48 MB of text held)
 */
const AHEAD = 32;
/** no message for this long: the parser thread is gone (a chunk comes every 1,000 events) */
const STALL_MS = 5 * 60_000;

/** The parser thread's module beside this one (`dist/parse-worker.js`); absent when running from the sources. */
export function parserUrl(): URL | undefined {
  const url = new URL('./parse-worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : undefined;
}

export class Parser {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly count: Int32Array;

  constructor(url: URL, jobs: ParseJob[], secrets: string[] | undefined) {
    const counters = new SharedArrayBuffer(8);
    this.count = new Int32Array(counters);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(url, {
      workerData: { jobs, secrets, port: port2, counters, ahead: AHEAD },
      transferList: [port2],
      // parsing allocates fast and briefly: a small young generation keeps the thread's RSS near its live heap
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
      // not the parent's flags: with `node --input-type=module -e`'s the thread never got past loading its module
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    this.worker.unref();
  }

  /** Hand the chunks of `job` to `emit` as they come; its stats at the end. Throws what parsing the file threw. */
  take(job: ParseJob, emit: (chunk: Chunk) => void): ParseStats {
    let failure: unknown;
    for (;;) {
      const m = this.next();
      // what is left of a job whose chunks could not be applied
      if (m.job !== job.id) {
        if (m.job === -1) throw new Error('the parser thread ended early');
        continue;
      }
      if ('chunk' in m) {
        if (failure === undefined)
          try {
            emit(m.chunk);
          } catch (error) {
            failure = error;
          }
      } else if ('error' in m) throw new Error(m.error);
      else if ('stats' in m) {
        if (failure !== undefined) throw failure;
        return m.stats;
      }
    }
  }

  close(): void {
    void this.worker.terminate();
    this.port.close();
  }

  private next(): ParserMessage {
    const started = performance.now();
    for (;;) {
      const posted = Atomics.load(this.count, 0);
      const m = receiveMessageOnPort(this.port);
      if (m) {
        Atomics.add(this.count, 1, 1);
        Atomics.notify(this.count, 1);
        return m.message as ParserMessage;
      }
      if (performance.now() - started > STALL_MS) throw new Error('the parser thread stopped answering');
      Atomics.wait(this.count, 0, posted, 1000);
    }
  }
}
