// The socket's wire format, checked: NDJSON lines of bounded length, each a request object. Anything
// else is an error reply, never an exception (local agents can reach the socket).
import type { Request } from './socket.js';

/** Splits a byte stream into lines, holding at most `max` bytes of an unfinished line. */
export class LineReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;

  constructor(private readonly max: number) {}

  /** The complete lines in `chunk` (with what came before); `overflow` once a line passes `max`. */
  push(chunk: Buffer): { lines: string[]; overflow: boolean } {
    const lines: string[] = [];
    let start = 0;
    let nl = chunk.indexOf(10);
    while (nl >= 0) {
      if (!this.discarding) {
        const part = chunk.subarray(start, nl);
        if (this.pendingBytes + part.length > this.max) return { lines, overflow: this.overflow() };
        lines.push(Buffer.concat([...this.pending, part]).toString('utf8'));
      }
      this.pending = [];
      this.pendingBytes = 0;
      this.discarding = false;
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    const tail = chunk.subarray(start);
    if (this.pendingBytes + tail.length > this.max) return { lines, overflow: this.overflow() };
    if (tail.length > 0) {
      this.pending.push(Buffer.from(tail));
      this.pendingBytes += tail.length;
    }
    return { lines, overflow: false };
  }

  /** What is left without a newline (at end of input). */
  rest(): string {
    const text = Buffer.concat(this.pending).toString('utf8');
    this.pending = [];
    this.pendingBytes = 0;
    return text.trim();
  }

  private overflow(): true {
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = true;
    return true;
  }
}

/** A request, or why the line is not one. */
export function parseRequest(line: string): Request | string {
  const text = line.trim();
  if (!text) return 'empty request';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'a request is a JSON object: {"id": 1, "method": "status"}';
  const { id, method, params } = value as Record<string, unknown>;
  if (typeof method !== 'string' || !method) return 'a request needs a "method" string';
  if (id !== undefined && typeof id !== 'number' && typeof id !== 'string')
    return '"id" must be a number or a string';
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params)))
    return '"params" must be an object';
  return {
    ...(id !== undefined ? { id } : {}),
    method,
    ...(params ? { params: params as Record<string, unknown> } : {}),
  };
}
