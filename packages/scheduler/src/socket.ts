// Control and live events on a unix socket in the state dir (owner-only): NDJSON requests and answers,
// and after `subscribe`, one line per daemon event.
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Daemon, DaemonEvent } from './daemon.js';
import { SchedulerError } from './errors.js';
import { nextRuns } from './status.js';
import { LineReader, parseRequest } from './wire.js';

export interface DaemonServer {
  close(): Promise<void>;
}

export interface Request {
  id?: number | string;
  method: string;
  params?: Record<string, unknown>;
}

/** Slow subscribers are dropped rather than let the daemon buffer without bound. */
const MAX_BUFFERED = 8 * 1024 * 1024;
/** A request line longer than this is refused before it is buffered (requests are a few hundred bytes). */
export const MAX_LINE = 64 * 1024;
const MAX_CONNECTIONS = 256;

export async function serveControl(daemon: Daemon, socketPath: string): Promise<DaemonServer> {
  // We hold the daemon lock, so a socket file here is a leftover of a killed daemon.
  if (existsSync(socketPath)) unlinkSync(socketPath);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const lines = new LineReader(MAX_LINE);
    let unsubscribe: (() => void) | undefined;
    const send = (value: unknown) => {
      if (socket.destroyed) return;
      if (socket.writableLength > MAX_BUFFERED) {
        socket.destroy();
        return;
      }
      socket.write(`${JSON.stringify(value)}\n`);
    };
    const answer = (line: string) => {
      if (!line.trim()) return;
      const request = parseRequest(line);
      if (typeof request === 'string') {
        send({ id: null, error: { code: 'bad-request', message: request } });
        return;
      }
      if (request.method === 'subscribe') {
        unsubscribe?.();
        const agent = request.params?.agent;
        const output = request.params?.output !== false;
        unsubscribe = daemon.onEvent((event: DaemonEvent) => {
          if (agent && event.agent !== agent) return;
          if (!output && event.event === 'run.output') return;
          send(event);
        });
        send({ id: request.id, result: { subscribed: true } });
        return;
      }
      try {
        send({ id: request.id, result: handle(daemon, request) });
      } catch (error) {
        const e = error as SchedulerError;
        send({ id: request.id, error: { code: e.code ?? 'failed', message: e.message } });
      }
    };
    socket.on('data', (chunk: Buffer) => {
      // Nothing a client sends may throw past here: one bad line must never take the daemon down.
      try {
        const { lines: complete, overflow } = lines.push(chunk);
        for (const line of complete) answer(line);
        if (overflow) {
          send({
            id: null,
            error: { code: 'bad-request', message: `request line longer than ${MAX_LINE} bytes` },
          });
          socket.end();
        }
      } catch (error) {
        send({ id: null, error: { code: 'failed', message: (error as Error).message } });
      }
    });
    socket.on('end', () => {
      // Half-open: the client is done sending; answer a last line that had no newline, then close.
      try {
        const rest = lines.rest();
        if (rest) answer(rest);
      } catch {
        // answered as far as possible
      }
      socket.end();
    });
    const done = () => {
      unsubscribe?.();
      sockets.delete(socket);
    };
    socket.on('close', done);
    socket.on('error', done);
  });
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    const previous = process.umask(0o177);
    server.once('error', (error) => {
      process.umask(previous);
      reject(
        existsSync(path.dirname(socketPath))
          ? error
          : new SchedulerError(
              'socket-path',
              `cannot listen on ${socketPath}: its directory was removed while the daemon started (rm -rf of the state dir?): run habitat up again`,
            ),
      );
    });
    server.listen(socketPath, () => {
      process.umask(previous);
      resolve();
    });
  });
  try {
    chmodSync(socketPath, 0o600);
  } catch (error) {
    // Removed since it was bound (rm -rf of the state dir): nothing left to tighten (the umask made it 0600
    // anyway). Failing here failed the start and freed the lock, and a second daemon could start beside it.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function str(params: Record<string, unknown> | undefined, key: string): string {
  const value = params?.[key];
  if (typeof value !== 'string' || !value) throw new SchedulerError('bad-request', `"${key}" is required`);
  return value;
}

function handle(daemon: Daemon, request: Request): unknown {
  const p = request.params;
  switch (request.method) {
    case 'ping':
      return { pong: true, pid: process.pid };
    case 'status':
      return daemon.status();
    case 'next':
      return nextRuns(daemon.status());
    case 'trigger':
      return { runId: daemon.trigger(str(p, 'agent')) };
    case 'pause':
      daemon.pause(str(p, 'agent'));
      return { ok: true };
    case 'resume':
      daemon.resume(str(p, 'agent'));
      return { ok: true };
    case 'cancel':
      daemon.cancel(str(p, 'runId'));
      return { ok: true };
    case 'history':
      return daemon.store.history(
        typeof p?.agent === 'string' ? p.agent : undefined,
        Math.min(10_000, Math.max(1, Math.trunc(Number(p?.limit ?? 50)) || 50)),
      );
    case 'accounts':
      return daemon.accounts();
    case 'stats':
      return daemon.stats(typeof p?.agent === 'string' ? p.agent : undefined);
    default:
      throw new SchedulerError('bad-request', `unknown method "${request.method}"`);
  }
}
