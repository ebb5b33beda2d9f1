// A scripted server for the Anthropic Messages API, so the real `claude` binary runs offline in tests.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

/** One scripted model turn. */
export type Turn =
  | { text: string; usage?: Partial<Usage> }
  | { thinking: string; text?: string; usage?: Partial<Usage> }
  | { toolUse: { name: string; input: unknown }; text?: string; usage?: Partial<Usage> }
  | {
      error: {
        status: number;
        retryAfter?: number;
        headers?: Record<string, string>;
        message?: string;
        type?: string;
      };
    }
  | { headers: Record<string, string>; text: string; usage?: Partial<Usage> };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** true when this request consumed a scripted turn (the main agent loop) */
  scripted: boolean;
}

export interface ModelServer {
  url: string;
  requests: RecordedRequest[];
  /** scripted turns not yet served */
  remaining(): number;
  close(): Promise<void>;
}

export interface ModelServerOptions {
  /** usage reported for every turn without its own (deterministic) */
  usage?: Partial<Usage>;
  /** what to answer side requests (titles, summaries, quota checks) that do not drive the agent */
  sideText?: string;
  /** when the script is exhausted: repeat the last turn (default) or answer "done" */
  onExhausted?: 'repeat-last' | 'done';
}

const DEFAULT_USAGE: Usage = {
  input_tokens: 100,
  output_tokens: 20,
  cache_read_input_tokens: 50,
  cache_creation_input_tokens: 10,
};

/**
 * Start the server on 127.0.0.1. Requests that carry tools (the agent loop) consume the script in order;
 * other requests (Claude Code's side calls) get a short text answer. A function turn decides per request.
 */
export async function startModelServer(
  script: (Turn | ((request: RecordedRequest) => Turn))[],
  options: ModelServerOptions = {},
): Promise<ModelServer> {
  const queue = [...script];
  let last: Turn | ((request: RecordedRequest) => Turn) | undefined;
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
      } catch {
        // not JSON
      }
      const path = (req.url ?? '/').split('?')[0]!;
      const scripted = path.endsWith('/v1/messages') && Array.isArray(body.tools) && body.tools.length > 0;
      const record: RecordedRequest = {
        method: req.method ?? 'GET',
        path,
        headers: req.headers,
        body,
        scripted,
      };
      requests.push(record);
      if (path.endsWith('/count_tokens')) return json(res, 200, { input_tokens: 100 });
      if (!path.endsWith('/v1/messages'))
        return json(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no ${path}` } });
      let turn: Turn;
      if (scripted) {
        let next = queue.shift();
        if (next === undefined)
          next = options.onExhausted === 'done' ? { text: 'done' } : (last ?? { text: 'done' });
        last = next;
        turn = typeof next === 'function' ? next(record) : next;
      } else {
        turn = { text: options.sideText ?? 'ok' };
      }
      answer(res, body, turn, { ...DEFAULT_USAGE, ...options.usage });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    remaining: () => queue.length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(
  res: http.ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${id()}`, ...headers });
  res.end(JSON.stringify(value));
}

const id = () => randomBytes(12).toString('hex');

function answer(
  res: http.ServerResponse,
  body: Record<string, unknown>,
  turn: Turn,
  usageDefaults: Usage,
): void {
  if ('error' in turn) {
    const { status, retryAfter, headers = {}, message, type } = turn.error;
    const errorType =
      type ?? (status === 429 ? 'rate_limit_error' : status === 529 ? 'overloaded_error' : 'api_error');
    json(
      res,
      status,
      { type: 'error', error: { type: errorType, message: message ?? `scripted ${status}` } },
      { ...(retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {}), ...headers },
    );
    return;
  }
  const usage: Usage = { ...usageDefaults, ...('usage' in turn ? turn.usage : {}) };
  const model = typeof body.model === 'string' ? body.model : 'claude-sonnet-4-5';
  const blocks: Record<string, unknown>[] = [];
  if ('thinking' in turn)
    blocks.push({ type: 'thinking', thinking: turn.thinking, signature: `sig_${id()}` });
  if ('text' in turn && turn.text !== undefined) blocks.push({ type: 'text', text: turn.text });
  if ('toolUse' in turn)
    blocks.push({
      type: 'tool_use',
      id: `toolu_${id()}`,
      name: turn.toolUse.name,
      input: turn.toolUse.input,
    });
  const stopReason = 'toolUse' in turn ? 'tool_use' : 'end_turn';
  const message = { id: `msg_${id()}`, type: 'message', role: 'assistant', model, stop_sequence: null };
  const extraHeaders = 'headers' in turn ? turn.headers : {};
  if (!body.stream) {
    json(res, 200, { ...message, content: blocks, stop_reason: stopReason, usage }, extraHeaders);
    return;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'request-id': `req_${id()}`,
    ...extraHeaders,
  });
  const send = (event: string, data: unknown) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  send('message_start', {
    type: 'message_start',
    message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } },
  });
  blocks.forEach((block, index) => {
    if (block.type === 'text') {
      send('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'text', text: '' },
      });
      send('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'text_delta', text: block.text },
      });
    } else if (block.type === 'thinking') {
      send('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      });
      send('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'thinking_delta', thinking: block.thinking },
      });
      send('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'signature_delta', signature: block.signature },
      });
    } else {
      send('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
      });
      send('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) },
      });
    }
    send('content_block_stop', { type: 'content_block_stop', index });
  });
  send('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: usage.output_tokens },
  });
  send('message_stop', { type: 'message_stop' });
  res.end();
}
