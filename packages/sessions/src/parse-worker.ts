/** Worker thread: parses and redacts session files, posting bounded chunks back to the thread that writes. */
import { parentPort, workerData } from 'node:worker_threads';
import { type ParseJob, parseJob } from './parse.js';
import { createRedactor } from './redact.js';

const {
  secrets,
  inflight: shared,
  maxInflight,
} = workerData as { secrets: string[]; inflight: SharedArrayBuffer; maxInflight: number };
const inflight = new Int32Array(shared);
const redactor = createRedactor({ secrets });
const port = parentPort;

port?.on('message', (job: ParseJob) => {
  try {
    const stats = parseJob(job, redactor, (chunk) => {
      // back-pressure: never more than maxInflight chunks waiting for the writer
      for (;;) {
        const n = Atomics.load(inflight, 0);
        if (n < maxInflight) break;
        Atomics.wait(inflight, 0, n, 1000);
      }
      Atomics.add(inflight, 0, 1);
      port.postMessage({ id: job.id, chunk });
    });
    port.postMessage({ id: job.id, stats });
  } catch (error) {
    port.postMessage({ id: job.id, error: (error as Error).message });
  }
});
