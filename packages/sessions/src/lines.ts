import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK = 1 << 20;

/**
 * Read complete lines of a file from `start`, in 1 MiB chunks (memory bounded by the longest line).
 * Calls `onLine` with each line. A last line without a newline is passed only if it parses as JSON
 * (a complete record); otherwise it is left for the next read. Returns the byte offset read up to.
 */
export function readLines(path: string, start: number, onLine: (line: string) => void): number {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    // pieces of a line longer than a chunk, joined once its end is found (no quadratic re-copying)
    let carry: Buffer[] = [];
    let carryLength = 0;
    let position = start;
    let consumed = start;
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, position);
      if (n === 0) break;
      position += n;
      const chunk = buf.subarray(0, n);
      const cut = chunk.lastIndexOf(10);
      if (cut < 0) {
        carry.push(Buffer.from(chunk));
        carryLength += n;
        continue;
      }
      const data =
        carryLength > 0 ? Buffer.concat([...carry, chunk.subarray(0, cut)]) : chunk.subarray(0, cut);
      const text = data.toString('utf8');
      consumed += carryLength + cut + 1;
      carry = [];
      carryLength = 0;
      let from = 0;
      for (;;) {
        const nl = text.indexOf('\n', from);
        const line = nl < 0 ? text.slice(from) : text.slice(from, nl);
        if (line.length > 0) onLine(line);
        if (nl < 0) break;
        from = nl + 1;
      }
      if (cut + 1 < n) {
        carry.push(Buffer.from(chunk.subarray(cut + 1)));
        carryLength = n - cut - 1;
      }
    }
    if (carryLength > 0) {
      const tail = Buffer.concat(carry).toString('utf8').trim();
      if (tail && isCompleteJson(tail)) {
        onLine(tail);
        consumed += carryLength;
      }
    }
    return consumed;
  } finally {
    closeSync(fd);
  }
}

function isCompleteJson(text: string): boolean {
  if (!text.startsWith('{') || !text.endsWith('}')) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
