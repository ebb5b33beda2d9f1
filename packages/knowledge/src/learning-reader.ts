// A reader thread of a large first build (readers.ts): stats, reads and parses its share of the learning files,
// a batch at a time, and posts their index rows to the thread that owns the database, which inserts meanwhile.
import { type MessagePort, workerData } from 'node:worker_threads';
import { type ReadEntry, readEntry } from './read-entry.js';
import type { ReaderMessage } from './readers.js';

interface ReaderData {
  /** this reader's files: its batches, one after another */
  files: string[];
  batch: number;
  stems: boolean;
  port: MessagePort;
  /** per reader: [2 * slot] batches posted, [2 * slot + 1] batches taken */
  counters: SharedArrayBuffer;
  slot: number;
  ahead: number;
}

const { files, batch, stems, port, counters, slot, ahead } = workerData as ReaderData;
const count = new Int32Array(counters);

function post(message: ReaderMessage): void {
  // at most `ahead` batches in front of the database thread: memory stays bounded
  for (;;) {
    const taken = Atomics.load(count, 2 * slot + 1);
    if (Atomics.load(count, 2 * slot) - taken < ahead) break;
    Atomics.wait(count, 2 * slot + 1, taken, 1000);
  }
  port.postMessage(message);
  // posted before counted: the database thread that sees the count can receive the message
  Atomics.add(count, 2 * slot, 1);
  Atomics.notify(count, 2 * slot);
}

try {
  for (let i = 0; i < files.length; i += batch) {
    const entries: ReadEntry[] = [];
    for (const file of files.slice(i, i + batch)) entries.push(readEntry(file, stems));
    post({ entries });
  }
} catch (error) {
  post({ error: (error as Error).stack ?? String(error) });
}
