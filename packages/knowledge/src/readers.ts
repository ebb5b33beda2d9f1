// The reading half of a large first build on another thread (learning-reader.ts): while this thread inserts one
// batch of rows, a reader stats, reads and parses the next ones. A first build on one thread was the sum of
// its waits and its work: on a cold page cache ~100 µs of I/O wait per file (100,000 files: ~10 s of a 17-20 s
// build), on a warm one reading and parsing were about half its CPU. On two threads they overlap, and the
// second core takes the parsing. Batches stay in name order: batch b is reader b % n's, taken in turn.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { ReadEntry } from './read-entry.js';

export type ReaderMessage = { entries: ReadEntry[] } | { error: string };

/**
 * Reader threads. One: reading and parsing then take the second core while this thread inserts. More keep more
 * reads in flight on a cold cache (four read 100,000 cold files in 4-6 s, one in 9-13 s), but each costs
 * ~30-45 MB of RSS (its heap, its malloc arena): four readers peaked at 290-390 MB, over the 300 MB budget.
 */
export const READERS = 1;
/** batches a reader may be ahead of the database thread */
const AHEAD = 4;
/** no batch for this long: the reader is stuck */
const STALL_MS = 5 * 60_000;

/** The reader thread's module beside this one (`dist/learning-reader.js`); absent when running from the sources. */
export function readerUrl(): URL | undefined {
  const url = new URL('./learning-reader.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : undefined;
}

/** Atomics.waitAsync (ES2024; the packages compile against ES2023's library) */
interface AtomicsWaitAsync {
  waitAsync(
    array: Int32Array,
    index: number,
    value: number,
    timeout: number,
  ): { async: false; value: string } | { async: true; value: Promise<string> };
}

export class Readers {
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly count: Int32Array;
  private readonly ended: (string | undefined)[] = [];

  constructor(url: URL, files: string[], options: { batch: number; stems: boolean; threads?: number }) {
    const { batch, stems } = options;
    const batches = Math.ceil(files.length / batch);
    const n = Math.max(1, Math.min(options.threads ?? READERS, batches));
    const counters = new SharedArrayBuffer(8 * n);
    this.count = new Int32Array(counters);
    for (let slot = 0; slot < n; slot++) {
      const mine: string[] = [];
      for (let b = slot; b < batches; b += n)
        for (const f of files.slice(b * batch, (b + 1) * batch)) mine.push(f);
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(url, {
        workerData: { files: mine, batch, stems, port: port2, counters, slot, ahead: AHEAD },
        transferList: [port2],
        // parsing allocates fast and briefly: a small young generation keeps each thread's RSS near its live heap
        resourceLimits: { maxYoungGenerationSizeMb: 4 },
        execArgv: [],
        stdout: false,
        stderr: false,
      });
      // a reader that dies without a word (out of memory) ends the wait for its batch
      worker.on('error', (error) => {
        this.ended[slot] ??= error.message;
      });
      worker.on('exit', (code) => {
        this.ended[slot] ??= `exited with code ${code}`;
      });
      // (not unref()ed: Atomics.waitAsync does not keep the event loop alive, a running reader does; close() ends it)
      this.workers.push(worker);
      this.ports.push(port1);
    }
  }

  /** Batch `b` (taken in order, 0, 1, 2, ...): its files as read. */
  async take(b: number): Promise<ReadEntry[]> {
    const slot = b % this.workers.length;
    const started = performance.now();
    for (;;) {
      const posted = Atomics.load(this.count, 2 * slot);
      const m = receiveMessageOnPort(this.ports[slot]!);
      if (m) {
        Atomics.add(this.count, 2 * slot + 1, 1);
        Atomics.notify(this.count, 2 * slot + 1);
        const message = m.message as ReaderMessage;
        if ('error' in message) throw new Error(`a knowledge reader thread failed: ${message.error}`);
        return message.entries;
      }
      if (this.ended[slot] !== undefined) {
        // (what it posted before it ended is taken first)
        if (Atomics.load(this.count, 2 * slot) !== posted) continue;
        throw new Error(`a knowledge reader thread ended early: ${this.ended[slot]}`);
      }
      if (performance.now() - started > STALL_MS)
        throw new Error('a knowledge reader thread stopped answering');
      // awaited, not blocking: the worker's error and exit events can arrive meanwhile
      const wait = (Atomics as unknown as AtomicsWaitAsync).waitAsync(this.count, 2 * slot, posted, 200);
      if (wait.async) await wait.value;
    }
  }

  close(): void {
    for (const worker of this.workers) void worker.terminate();
    for (const port of this.ports) port.close();
  }
}
