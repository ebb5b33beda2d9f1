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
    let carry: Buffer | undefined;
    let position = start;
    let consumed = start;
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, position);
      if (n === 0) break;
      position += n;
      let data = buf.subarray(0, n);
      if (carry) {
        data = Buffer.concat([carry, data]);
        carry = undefined;
      }
      const cut = data.lastIndexOf(10);
      if (cut < 0) {
        carry = Buffer.from(data);
        continue;
      }
      const text = data.toString('utf8', 0, cut);
      consumed += cut + 1;
      let from = 0;
      for (;;) {
        const nl = text.indexOf('\n', from);
        const line = nl < 0 ? text.slice(from) : text.slice(from, nl);
        if (line.length > 0) onLine(line);
        if (nl < 0) break;
        from = nl + 1;
      }
      if (cut + 1 < data.length) carry = Buffer.from(data.subarray(cut + 1));
    }
    if (carry && carry.length > 0) {
      const tail = carry.toString('utf8').trim();
      if (tail && isCompleteJson(tail)) {
        onLine(tail);
        consumed += carry.length;
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
