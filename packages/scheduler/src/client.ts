// Talking to a running daemon over its socket (with the daemon down, state-reader.ts reads its state directly).
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { DaemonEvent } from './daemon.js';
import { SchedulerError } from './errors.js';
import { lockOwner } from './lock.js';
import { checkSocketPath, SOCKET_FILE } from './state-dir.js';
/** How long a CLI call waits for the daemon's answer before saying it does not respond. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

export interface DaemonClient {
  request<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** live events; returns a function that stops them */
  subscribe(
    listener: (event: DaemonEvent) => void,
    options?: { agent?: string; output?: boolean },
  ): Promise<() => void>;
  onClose(listener: () => void): void;
  close(): void;
}

/** Connect to the daemon of `stateDir`; throws `SchedulerError('daemon-down')` if none answers. */
export function connectDaemon(
  stateDir: string,
  options: { timeoutMs?: number; requestTimeoutMs?: number } = {},
): Promise<DaemonClient> {
  const socketPath = path.join(stateDir, SOCKET_FILE);
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    try {
      checkSocketPath(socketPath);
    } catch (error) {
      reject(error);
      return;
    }
    if (!existsSync(socketPath)) {
      reject(
        new SchedulerError(
          'daemon-down',
          `no habitat daemon is running on ${stateDir} (start one with: habitat up)`,
        ),
      );
      return;
    }
    const socket = net.connect(socketPath);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new SchedulerError(
          'daemon-busy',
          `the habitat daemon on ${stateDir} does not accept connections: it may be stopped (SIGSTOP) or overloaded`,
        ),
      );
    }, options.timeoutMs ?? 2000);
    let nextId = 1;
    const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
    const listeners = new Set<(event: DaemonEvent) => void>();
    const closers = new Set<() => void>();
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
        if (!line.trim()) continue;
        let message: {
          id?: number;
          result?: unknown;
          error?: { code: string; message: string };
          event?: string;
        };
        try {
          message = JSON.parse(line);
        } catch {
          continue;
        }
        if (message.event) {
          for (const l of listeners) l(message as DaemonEvent);
        } else if (typeof message.id === 'number' && pending.has(message.id)) {
          const p = pending.get(message.id)!;
          pending.delete(message.id);
          if (message.error) p.reject(new SchedulerError(message.error.code as never, message.error.message));
          else p.resolve(message.result);
        }
      }
    });
    const onGone = () => {
      for (const p of pending.values())
        p.reject(new SchedulerError('daemon-down', 'the habitat daemon closed the connection'));
      pending.clear();
      for (const c of closers) c();
      closers.clear();
    };
    socket.on('close', onGone);
    socket.once('error', (error) => {
      clearTimeout(timer);
      const code = (error as NodeJS.ErrnoException).code;
      reject(
        code === 'EACCES' || code === 'EPERM'
          ? new SchedulerError(
              'permission',
              `permission denied on ${socketPath}: the daemon's state dir is owner-only and it runs as another user; run habitat as that user (or with sudo -u)`,
            )
          : new SchedulerError('daemon-down', `no habitat daemon answers on ${socketPath} (${code})`),
      );
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      const client: DaemonClient = {
        request: <T>(method: string, params?: Record<string, unknown>) =>
          new Promise<T>((res, rej) => {
            const id = nextId++;
            // A stopped (SIGSTOP) or wedged daemon must not hang the CLI: every answer has a deadline.
            const timer = setTimeout(() => {
              pending.delete(id);
              // A daemon that does not answer cannot be relied on for anything else on this connection
              // either; an open socket to it would also keep this process alive.
              socket.destroy();
              rej(
                new SchedulerError(
                  'daemon-busy',
                  `the habitat daemon on ${stateDir} did not answer "${method}" within ${requestTimeoutMs / 1000} s: it may be stopped (SIGSTOP) or overloaded (check it with: ps -o pid,stat,cmd -C node)`,
                ),
              );
            }, requestTimeoutMs);
            timer.unref?.();
            pending.set(id, {
              resolve: (v) => {
                clearTimeout(timer);
                (res as (v: unknown) => void)(v);
              },
              reject: (e) => {
                clearTimeout(timer);
                rej(e);
              },
            });
            socket.write(`${JSON.stringify({ id, method, ...(params ? { params } : {}) })}\n`);
          }),
        subscribe: async (listener, opts = {}) => {
          listeners.add(listener);
          await client.request('subscribe', opts);
          return () => listeners.delete(listener);
        },
        onClose: (listener) => closers.add(listener),
        close: () => {
          // A stopped peer never finishes the close: do not let it keep this process alive.
          socket.end();
          socket.unref();
        },
      };
      resolve(client);
    });
  });
}

/** Is a daemon holding this state dir? */
export function daemonRunning(stateDir: string): boolean {
  return lockOwner(stateDir) !== undefined && existsSync(path.join(stateDir, SOCKET_FILE));
}
