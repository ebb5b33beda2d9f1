// An optional dense retriever: any OpenAI-compatible `/v1/embeddings` endpoint (Ollama, llama.cpp's server,
// vLLM, a cloud API), fused with BM25 by reciprocal rank. Vectors are cached in the index (per model, keyed by a
// hash of the learning's text, so an edit re-embeds only that learning); when the endpoint is down or answers
// badly, search is BM25 alone and says so in a warning.
import { createHash } from 'node:crypto';
import { BRIEF_COEFFICIENTS_DENSE } from './brief-coefficients-dense.js';
import { type DenseProfile, denseProfile } from './brief-model.js';
import {
  buildContext,
  type Context,
  type ContextOptions,
  DENSE_MIN_COSINE,
  DENSE_TOP,
  passagesOf,
} from './context.js';
import type { KnowledgeIndex } from './index-db.js';
import { fuse, type SearchOptions, searchKnowledge } from './search.js';
import type { KnowledgeHit, Learning } from './types.js';

export interface EmbeddingsConfig {
  /** the API base (`http://127.0.0.1:11434/v1`) or the full `/v1/embeddings` URL */
  url: string;
  model: string;
  /** sent as `Authorization: Bearer` (read it from the environment, never from a committed file) */
  apiKey?: string;
  /** per request (default 10 s) */
  timeoutMs?: number;
  /** texts per request when embedding the knowledge base (default 64) */
  batch?: number;
  /** the dense ranking's weight in the search's fusion (default DENSE_WEIGHT) */
  denseWeight?: number;
  /** the cosine at which the dense top hit vouches for a lexical hit in the brief (default DENSE_MIN_COSINE) */
  minCosine?: number;
}

const VECTORS = `CREATE TABLE IF NOT EXISTS vectors (
  id TEXT NOT NULL, model TEXT NOT NULL, hash TEXT NOT NULL, vec BLOB NOT NULL, PRIMARY KEY (id, model)
)`;

function endpointOf(url: string): string {
  const base = url.replace(/\/+$/, '');
  if (base.endsWith('/embeddings')) return base;
  return base.endsWith('/v1') ? `${base}/embeddings` : `${base}/v1/embeddings`;
}

const textOf = (l: Learning) => `${l.title}\n${l.body}`;
const hashOf = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 16);

function normalise(v: number[]): Float32Array {
  const out = Float32Array.from(v);
  let norm = 0;
  for (const x of out) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < out.length; i++) out[i]! /= norm;
  return out;
}

/** Call the endpoint for a batch of texts; throws with what went wrong. */
async function embed(config: EmbeddingsConfig, input: string[]): Promise<Float32Array[]> {
  const response = await fetch(endpointOf(config.url), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}),
    },
    body: JSON.stringify({ model: config.model, input }),
    signal: AbortSignal.timeout(config.timeoutMs ?? 10_000),
  });
  if (!response.ok)
    throw new Error(`${endpointOf(config.url)} answered ${response.status} ${response.statusText}`.trim());
  const body = (await response.json()) as { data?: { embedding?: unknown; index?: number }[] };
  const data = body.data;
  if (!Array.isArray(data) || data.length !== input.length)
    throw new Error(`${endpointOf(config.url)} answered without one embedding per input`);
  const sorted = [...data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  return sorted.map((d) => {
    if (!Array.isArray(d.embedding) || !d.embedding.every((x) => typeof x === 'number'))
      throw new Error(`${endpointOf(config.url)} answered an embedding that is not a list of numbers`);
    return normalise(d.embedding as number[]);
  });
}

/** A dense retriever over the index's active learnings; `refresh` embeds what is new or changed. */
export class EmbeddingRetriever {
  private vectors: { id: string; vec: Float32Array }[] | undefined;

  constructor(
    private readonly index: KnowledgeIndex,
    readonly config: EmbeddingsConfig,
  ) {
    index.db.exec(VECTORS);
  }

  /** Embed learnings that have no vector for this model, or whose text changed. Returns how many. */
  async refresh(): Promise<number> {
    const have = new Map(
      (
        this.index.db.prepare('SELECT id, hash FROM vectors WHERE model = ?').all(this.config.model) as {
          id: string;
          hash: string;
        }[]
      ).map((r) => [r.id, r.hash]),
    );
    const todo = this.index
      .all({ status: 'active' })
      .map((l) => ({ id: l.id, text: textOf(l), hash: hashOf(textOf(l)) }))
      .filter((l) => have.get(l.id) !== l.hash);
    const put = this.index.db.prepare(
      'INSERT OR REPLACE INTO vectors (id, model, hash, vec) VALUES (?, ?, ?, ?)',
    );
    const size = this.config.batch ?? 64;
    for (let i = 0; i < todo.length; i += size) {
      const batch = todo.slice(i, i + size);
      const vecs = await embed(
        this.config,
        batch.map((b) => b.text),
      );
      this.index.db.transaction(() => {
        for (const [j, b] of batch.entries())
          put.run(b.id, this.config.model, b.hash, Buffer.from(vecs[j]!.buffer));
      })();
    }
    if (todo.length) this.vectors = undefined;
    return todo.length;
  }

  private load(): { id: string; vec: Float32Array }[] {
    this.vectors ??= (
      this.index.db.prepare('SELECT id, vec FROM vectors WHERE model = ?').all(this.config.model) as {
        id: string;
        vec: Buffer;
      }[]
    ).map((r) => ({
      id: r.id,
      vec: new Float32Array(r.vec.buffer, r.vec.byteOffset, r.vec.byteLength / 4),
    }));
    return this.vectors;
  }

  /** Ids of the learnings nearest to the query (cosine), best first. */
  async nearest(query: string, limit: number): Promise<string[]> {
    return (await this.nearestScored(query, limit)).map((s) => s.id);
  }

  /** The learnings nearest to the query with their cosine, best first. */
  async nearestScored(query: string, limit: number): Promise<{ id: string; cosine: number }[]> {
    const [q] = await embed(this.config, [query]);
    const scored = this.load()
      .filter((v) => v.vec.length === q!.length)
      .map((v) => {
        let dot = 0;
        for (let i = 0; i < v.vec.length; i++) dot += v.vec[i]! * q![i]!;
        return { id: v.id, dot };
      });
    scored.sort((a, b) => b.dot - a.dot);
    return scored.slice(0, limit).map((s) => ({ id: s.id, cosine: s.dot }));
  }
}

export interface HybridResult {
  hits: KnowledgeHit[];
  /** set when the embeddings endpoint could not be used and the hits are BM25 alone */
  warning?: string;
  mode: 'hybrid' | 'bm25';
}

/** BM25 and the embedding retriever fused by reciprocal rank; BM25 alone, with a warning, when the endpoint fails. */
function unavailable(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  const reason =
    e.name === 'TimeoutError'
      ? 'timed out'
      : `${e.message}${e.cause ? ` (${e.cause.code ?? e.cause.message})` : ''}`;
  return `embeddings unavailable (${reason}); results are BM25 only`;
}

const retrieverOf = (index: KnowledgeIndex, embeddings: EmbeddingsConfig | EmbeddingRetriever) =>
  embeddings instanceof EmbeddingRetriever ? embeddings : new EmbeddingRetriever(index, embeddings);

/**
 * The brief with the dense retriever's opinion: a lexical hit the embeddings rank first for a passage gets in on
 * the plain evidence cut when the brief's model says no (see DENSE_AGREEMENT). The brief stays lexical at heart (a
 * dense score alone is not calibrated across models), and is the plain brief, with a warning, when the endpoint
 * fails.
 */
export async function buildContextHybrid(
  index: KnowledgeIndex,
  options: ContextOptions & { embeddings: EmbeddingsConfig | EmbeddingRetriever },
): Promise<{ context: Context; warning?: string; mode: 'hybrid' | 'bm25' }> {
  const { embeddings, ...rest } = options;
  const retriever = retrieverOf(index, embeddings);
  const near = new Map<string, Set<string>>();
  const profiles = new Map<string, DenseProfile>();
  // The fitted dense model (brief-coefficients-dense.ts), unless the caller asks for the agreement rule, or set
  // `knowledge.embeddings.minCosine` (a cosine cut of their own model: that rule, as configured).
  const agreement = rest.rule?.denseModel === false || retriever.config.minCosine !== undefined;
  const denseModel = agreement ? undefined : (rest.denseModel ?? BRIEF_COEFFICIENTS_DENSE);
  try {
    await retriever.refresh();
    const top = rest.rule?.denseTop ?? DENSE_TOP;
    const min = rest.rule?.denseMinCosine ?? retriever.config.minCosine ?? DENSE_MIN_COSINE;
    for (const passage of passagesOf(rest.task)) {
      const scored = await retriever.nearestScored(passage, Number.POSITIVE_INFINITY);
      profiles.set(passage, denseProfile(scored));
      near.set(
        passage,
        new Set(
          scored
            .slice(0, top)
            .filter((n) => n.cosine >= min)
            .map((n) => n.id),
        ),
      );
    }
  } catch (error) {
    return { context: buildContext(index, rest), warning: unavailable(error), mode: 'bm25' };
  }
  const none = new Set<string>();
  return {
    context: buildContext(index, {
      ...rest,
      agreed: (p) => near.get(p) ?? none,
      ...(denseModel ? { denseModel, dense: (p: string) => profiles.get(p) } : {}),
    }),
    mode: 'hybrid',
  };
}

/**
 * Weight of the dense ranking in the search's reciprocal-rank fusion (BM25's is 1): enough to reorder neighbours of
 * the lexical ranking and to surface dense-only hits when BM25 finds little, not to outvote it. On the eval's tuning
 * half with a real model (Universal Sentence Encoder lite) nDCG@10 was 0.841 at weight 1, 0.939 at 0.1, 0.945 at
 * 0.05, 0.928 lexical alone.
 */
export const DENSE_WEIGHT = 0.05;

export async function searchHybrid(
  index: KnowledgeIndex,
  query: string,
  options: SearchOptions & {
    embeddings: EmbeddingsConfig | EmbeddingRetriever;
    /** weight of the dense ranking in the fusion, BM25's being 1 (default DENSE_WEIGHT) */
    denseWeight?: number;
  },
): Promise<HybridResult> {
  const limit = options.limit ?? 10;
  const { embeddings, denseWeight, ...rest } = options;
  const lexical = searchKnowledge(index, query, { ...rest, limit: limit * 3 });
  const retriever = retrieverOf(index, embeddings);
  try {
    await retriever.refresh();
    const dense = await retriever.nearest(query, limit * 3);
    const weight = denseWeight ?? retriever.config.denseWeight ?? DENSE_WEIGHT;
    return { hits: fuse(index, lexical, dense, weight).slice(0, limit), mode: 'hybrid' };
  } catch (error) {
    return { hits: lexical.slice(0, limit), mode: 'bm25', warning: unavailable(error) };
  }
}
