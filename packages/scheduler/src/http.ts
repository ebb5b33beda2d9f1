// A small JSON API over HTTP (`habitat up --http 127.0.0.1:7070`): trigger a run, read status, runs and
// accounts. Every request needs `Authorization: Bearer <token>` (HABITAT_HTTP_TOKEN, else a token
// generated once into <stateDir>/http.token, mode 0600). Loopback only unless `public` is asked for.
// Bad requests get a 4xx JSON error; nothing a client sends can throw out of a handler.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type * as Http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import path from 'node:path';
import type { Daemon } from './daemon.js';
import { SchedulerError } from './errors.js';
import { runFromRow } from './run-json.js';

// Not `import http from 'node:http'`: an ESM import of node:http evaluates all its exports, and its lazy
// WebSocket getter loads undici (~23 ms of CPU and several MB of heap) for a server that never uses it.
const http = process.getBuiltinModule('node:http') as typeof Http;

export const TOKEN_FILE = 'http.token';

export interface HttpOptions {
  /** `host:port` (port 0 picks a free one) */
  listen: string;
  /** allow a non-loopback address */
  public?: boolean;
  /** print a line for people (the warning for a public bind) */
  warn?: (message: string) => void;
}

export interface HttpServer {
  url: string;
  /** where the token came from: the environment, or the token file */
  tokenSource: 'env' | string;
  close(): Promise<void>;
}

/** Split `host:port` (`[::1]:7070` for IPv6). */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:\s]+)):(\d{1,5})$/i.exec(listen);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535)
    throw new SchedulerError('bad-request', `"${listen}" is not host:port (e.g. 127.0.0.1:7070)`);
  return { host: (m[1] ?? m[2])!, port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** HABITAT_HTTP_TOKEN, else the token file (created with a fresh random token on first use). */
export function httpToken(stateDir: string): { token: string; source: 'env' | string } {
  const fromEnv = process.env.HABITAT_HTTP_TOKEN;
  if (fromEnv) return { token: fromEnv, source: 'env' };
  const file = path.join(stateDir, TOKEN_FILE);
  if (!existsSync(file))
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  return { token: readFileSync(file, 'utf8').trim(), source: file };
}

const MAX_BODY = 64 * 1024;

/** The address, if it may be served: loopback, or anything with `public`. */
export function checkListen(options: Pick<HttpOptions, 'listen' | 'public'>): { host: string; port: number } {
  const address = parseListen(options.listen);
  if (!isLoopback(address.host) && !options.public)
    throw new SchedulerError(
      'bad-request',
      `${options.listen} is not a loopback address: serving the HTTP API beyond this machine must be asked for (public)`,
    );
  return address;
}

export async function serveHttp(daemon: Daemon, options: HttpOptions): Promise<HttpServer> {
  const { host, port } = checkListen(options);
  if (!isLoopback(host)) {
    options.warn?.(
      `warning: the habitat HTTP API listens on ${options.listen}, reachable beyond this machine; anyone with the token can start runs`,
    );
  }
  const { token, source } = httpToken(daemon.stateDir);
  const expected = Buffer.from(`Bearer ${token}`);
  const authorised = (header: string | undefined) => {
    const given = Buffer.from(header ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  const server = http.createServer((req, res) => {
    const send = (status: number, value: unknown) => {
      if (res.headersSent) return;
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(`${JSON.stringify(value)}\n`);
    };
    const fail = (status: number, code: string, message: string) =>
      send(status, { error: { code, message } });
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      try {
        if (!authorised(req.headers.authorization)) {
          res.setHeader('www-authenticate', 'Bearer');
          return fail(
            401,
            'unauthorized',
            'send Authorization: Bearer <token> (HABITAT_HTTP_TOKEN or <stateDir>/http.token)',
          );
        }
        if (size > MAX_BODY) return fail(413, 'too-large', `request bodies are at most ${MAX_BODY} bytes`);
        const url = new URL(req.url ?? '/', 'http://habitat');
        const route = url.pathname.replace(/\/+$/, '');
        const runs = /^\/v1\/agents\/([^/]+)\/runs$/.exec(route);
        if (runs) {
          if (req.method !== 'POST') return fail(405, 'method-not-allowed', 'use POST to start a run');
          const text = Buffer.concat(chunks).toString('utf8').trim();
          if (text) {
            try {
              JSON.parse(text);
            } catch {
              return fail(400, 'bad-request', 'the body must be JSON (or empty)');
            }
          }
          let name: string;
          try {
            name = decodeURIComponent(runs[1]!);
          } catch {
            return fail(400, 'bad-request', 'the agent name is not valid URL encoding');
          }
          const runId = daemon.trigger(name, 'http');
          return send(202, { runId, agent: name, trigger: 'http' });
        }
        if (req.method !== 'GET')
          return fail(405, 'method-not-allowed', `${req.method} ${route} is not served`);
        if (route === '/v1/status') return send(200, daemon.status());
        if (route === '/v1/accounts') return send(200, daemon.accounts());
        if (route === '/v1/runs') {
          const limit = Number(url.searchParams.get('limit') ?? 50);
          if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
            return fail(400, 'bad-request', 'limit is a whole number from 1 to 1000');
          // The same run object as `habitat history --json` (docs/json/run.schema.json), not the store's rows.
          return send(
            200,
            daemon.store.history(url.searchParams.get('agent') ?? undefined, limit).map(runFromRow),
          );
        }
        return fail(
          404,
          'not-found',
          `no ${route} (try /v1/status, /v1/runs, /v1/accounts, POST /v1/agents/<name>/runs)`,
        );
      } catch (error) {
        const e = error as SchedulerError;
        if (e.code === 'unknown-agent') return fail(404, e.code, e.message);
        if (e.code === 'bad-request') return fail(409, 'conflict', e.message);
        return fail(500, 'internal', (error as Error).message);
      }
    });
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable)
      socket.end(
        'HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n\r\n{"error":{"code":"bad-request","message":"malformed HTTP"}}\n',
      );
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => {});
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    tokenSource: source,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
