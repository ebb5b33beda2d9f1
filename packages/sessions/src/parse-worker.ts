/**
 * The parser thread of a big index pass (see `pipeline.ts`): reads, parses and redacts the planned files in order
 * and posts their chunks; the thread that owns the database applies them meanwhile.
 */
import { type MessagePort, workerData } from 'node:worker_threads';
import type { ParseStats } from './claude.js';
import { type ParseJob, parseJob } from './parse.js';
import type { ParserMessage } from './pipeline.js';
import { createRedactor } from './redact.js';

interface ParserData {
  jobs: ParseJob[];
  secrets?: string[];
  port: MessagePort;
  /** [0] messages posted, [1] messages taken by the database thread */
  counters: SharedArrayBuffer;
  ahead: number;
}

const { jobs, secrets, port, counters, ahead } = workerData as ParserData;
const count = new Int32Array(counters);
const redactor = createRedactor({ secrets });

function post(message: ParserMessage): void {
  // stay at most `ahead` messages in front of the database thread (memory stays bounded)
  for (;;) {
    const taken = Atomics.load(count, 1);
    if (Atomics.load(count, 0) - taken < ahead) break;
    Atomics.wait(count, 1, taken, 1000);
  }
  port.postMessage(message);
  // posted before counted: the database thread that sees the count can receive the message
  Atomics.add(count, 0, 1);
  Atomics.notify(count, 0);
}

for (const job of jobs) {
  let stats: ParseStats;
  try {
    stats = parseJob(job, redactor, (chunk) => post({ job: job.id, chunk }));
  } catch (error) {
    post({ job: job.id, error: (error as Error).message ?? String(error) });
    continue;
  }
  post({ job: job.id, stats });
}
post({ job: -1, done: true });
