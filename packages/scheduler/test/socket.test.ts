// The control socket takes hostile input from anything that can reach it (local agents can): every line
// gets an answer or the connection is closed, and the daemon stays up and bounded.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectDaemon, type Daemon, startDaemon } from '../src/index.js';
import { MAX_LINE } from '../src/socket.js';

let daemon: Daemon;
beforeAll(async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'habitat-sock-'));
  mkdirSync(path.join(root, 'agents'));
  writeFileSync(path.join(root, 'agents', 'a.yaml'), 'run: { command: ["true"] }\n');
  daemon = await startDaemon({ root, watch: false });
});
afterAll(() => daemon.stop(1000));

/** Send raw bytes, collect every reply line until the daemon closes or `settleMs` passes. */
function raw(bytes: string | Buffer, options: { end?: boolean; settleMs?: number } = {}): Promise<string[]> {
  return new Promise((resolve) => {
    const socket = net.connect(daemon.socketPath);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (text += c));
    const finish = () => resolve(text.split('\n').filter(Boolean));
    socket.on('close', finish);
    socket.on('error', () => {});
    socket.on('connect', () => {
      socket.write(bytes);
      if (options.end !== false) socket.end();
    });
    setTimeout(() => {
      socket.destroy();
    }, options.settleMs ?? 1500);
  });
}

const alive = async () => {
  const client = await connectDaemon(daemon.stateDir);
  try {
    return await client.request<{ pong: boolean }>('ping');
  } finally {
    client.close();
  }
};

describe('socket garbage', () => {
  test.each([
    ['null', 'a request is a JSON object'],
    ['42', 'a request is a JSON object'],
    ['"status"', 'a request is a JSON object'],
    ['[]', 'a request is a JSON object'],
    ['{}', 'a request needs a "method" string'],
    ['{"method": null}', 'a request needs a "method" string'],
    ['{"method": "status", "params": null}', '"params" must be an object'],
    ['{"method": "status", "id": {}}', '"id" must be a number or a string'],
    ['{"method": "nope"}', 'unknown method "nope"'],
    ['{"method": "trigger", "params": {"agent": 7}}', '"agent" is required'],
    ['{not json', 'not JSON'],
    ['\u0000\u00ff\u00fe', 'not JSON'],
  ])('%s gets an error reply and the daemon lives', async (line, message) => {
    const replies = await raw(`${line}\n`);
    expect(replies).toHaveLength(1);
    expect(JSON.parse(replies[0]!).error.message).toContain(message);
    expect(await alive()).toMatchObject({ pong: true });
  });

  test('a line over the cap is refused before it is buffered, and the connection closed', async () => {
    const before = process.memoryUsage().rss;
    const huge = Buffer.alloc(MAX_LINE * 64, 'x'); // 4 MiB without a newline
    const replies = await raw(huge, { end: false, settleMs: 3000 });
    expect(JSON.parse(replies[0]!).error.message).toMatch(/longer than/);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    expect(await alive()).toMatchObject({ pong: true });
  });

  test('half-open: a last request without a newline is answered before the close', async () => {
    const replies = await raw('{"id": 3, "method": "ping"}', { end: true });
    expect(JSON.parse(replies[0]!)).toMatchObject({ id: 3, result: { pong: true } });
  });

  test('many requests in one write, split across writes, and blank lines', async () => {
    const socket = net.connect(daemon.socketPath);
    const replies: string[] = [];
    let text = '';
    socket.setEncoding('utf8');
    await new Promise<void>((r) => socket.on('connect', () => r()));
    socket.on('data', (c: string) => {
      text += c;
    });
    socket.write('{"id":1,"method":"ping"}\n\n{"id":2,"me');
    await new Promise((r) => setTimeout(r, 50));
    socket.write('thod":"ping"}\n');
    await new Promise((r) => setTimeout(r, 300));
    socket.end();
    replies.push(...text.split('\n').filter(Boolean));
    expect(replies.map((l) => JSON.parse(l).id)).toEqual([1, 2]);
  });
});
