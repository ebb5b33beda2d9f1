// The few Docker Engine API calls a run makes (create, attach, wait, start, stop, remove), straight over the
// engine's Unix socket with node:http. Why not dockerode here: loading dockerode and docker-modem (with https,
// tls, zlib, readable-stream and debug) was ~50 ms of the ~200 ms of CPU a `habitat run` of a trivial Docker
// agent used, against ~30 ms for the whole `docker run --rm` (apps/cli/bench/docker-run.ts). An engine at
// another address (DOCKER_HOST tcp:// or ssh://, TLS) still goes through dockerode (docker.ts).
import type * as Http from 'node:http';
import { createConnection } from 'node:net';
import type { Duplex, Readable } from 'node:stream';

// Not `import http from 'node:http'`: an ESM import of node:http evaluates all its exports, and its lazy
// WebSocket getter loads undici (~23 ms of CPU and several MB of heap) for a client that never uses it.
const http = process.getBuiltinModule('node:http') as typeof Http;

/** The engine's Unix socket when DOCKER_HOST names one or is unset; undefined for any other address. */
export function engineSocket(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = env.DOCKER_HOST;
  if (!host) return '/var/run/docker.sock';
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  return undefined;
}

/** An engine error as dockerode reports one: the HTTP status and the engine's message. */
export class EngineError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(`(HTTP code ${statusCode}) ${message}`);
    this.statusCode = statusCode;
  }
}

const API = '/v1.41'; // Docker 20.10's API version; newer engines serve it too

export interface Engine {
  /** a request whose answer is JSON (or empty) */
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** the container's multiplexed stdout/stderr; with stdin, the connection is hijacked to write it too */
  attach(id: string, stdin: boolean): Promise<Duplex>;
  /** a GET whose answer is a stream (a container's logs), as it arrives; an error status rejects */
  stream(path: string): Promise<Readable>;
  /**
   * Wait for the container's next exit. Resolves once the engine has taken the wait (it sends the headers at
   * once, API >= 1.30), so a start that follows cannot exit unseen; `exited` is the exit status.
   */
  waitNextExit(id: string): Promise<{ exited: Promise<number> }>;
}

/** The body of an engine answer: JSON when it is JSON; an error status becomes an EngineError. */
function readAnswer<T>(res: Http.IncomingMessage): Promise<T> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.once('error', reject);
    res.once('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let value: unknown;
      try {
        value = text ? JSON.parse(text) : undefined;
      } catch {
        value = text;
      }
      const status = res.statusCode ?? 0;
      if (status >= 400) {
        const message =
          value && typeof value === 'object' && 'message' in value ? String(value.message) : text;
        reject(new EngineError(status, message));
      } else resolve(value as T);
    });
  });
}

export function engineAt(socketPath: string): Engine {
  // A connection of its own per request, no Agent: the Agent's server-name check runs net.isIP on the Host
  // header, whose first call compiles the IPv6 pattern (~6 ms); a run makes a handful of requests.
  const request = (method: string, path: string, headers: Http.OutgoingHttpHeaders = {}) =>
    http.request({
      createConnection: () => createConnection(socketPath),
      method,
      path: `${API}${path}`,
      headers: { host: 'docker', ...headers },
    });

  return {
    call: <T>(method: string, path: string, body?: unknown) =>
      new Promise<T>((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = request(
          method,
          path,
          payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        );
        req.once('error', reject);
        req.once('response', (res) => readAnswer<T>(res).then(resolve, reject));
        req.end(payload);
      }),

    attach: (id, stdin) =>
      new Promise<Duplex>((resolve, reject) => {
        const query = `stream=1&stdout=1&stderr=1${stdin ? '&stdin=1' : ''}`;
        // The engine answers 101 and hands over the connection (hijack): a duplex of the raw stream.
        const req = request('POST', `/containers/${id}/attach?${query}`, {
          connection: 'Upgrade',
          upgrade: 'tcp',
        });
        req.once('error', reject);
        req.once('upgrade', (_res, socket, head) => {
          if (head.length > 0) socket.unshift(head);
          resolve(socket);
        });
        // no upgrade: an error (e.g. 404), its message in the body
        req.once('response', (res) =>
          readAnswer(res).then(
            () =>
              reject(new EngineError(res.statusCode ?? 0, 'the engine did not hand over the attach stream')),
            reject,
          ),
        );
        req.end();
      }),

    stream: (path) =>
      new Promise<Readable>((resolve, reject) => {
        const req = request('GET', path);
        req.once('error', reject);
        req.once('response', (res) => {
          if ((res.statusCode ?? 0) >= 400) readAnswer(res).catch(reject);
          else resolve(res);
        });
        req.end();
      }),

    waitNextExit: (id) =>
      new Promise((resolve, reject) => {
        const req = request('POST', `/containers/${id}/wait?condition=next-exit`);
        req.once('error', reject);
        req.once('response', (res) => {
          const answer = readAnswer<{ StatusCode: number }>(res);
          if ((res.statusCode ?? 0) >= 400) answer.catch(reject);
          else resolve({ exited: answer.then((a) => a.StatusCode) });
        });
        req.end();
      }),
  };
}

/**
 * Split the engine's multiplexed stream (8-byte frames: stream 1 stdout / 2 stderr, 3 zero bytes, a big-endian
 * length, then that many bytes) into stdout and stderr chunks. Resolves when the stream ends.
 */
export function demultiplex(
  stream: Readable,
  onChunk: (which: 'stdout' | 'stderr', chunk: Buffer) => void,
): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  stream.on('data', (data: Buffer) => {
    pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const which = pending[0] === 2 ? 'stderr' : 'stdout';
      if (size > 0) onChunk(which, pending.subarray(8, 8 + size));
      pending = pending.subarray(8 + size);
    }
  });
  return new Promise((resolve) => {
    const done = () => resolve();
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
  });
}
