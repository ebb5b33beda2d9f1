// The hybrid retriever against a real HTTP server on loopback speaking the OpenAI embeddings API.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { testdir } from '@habitat/testkit';
import { afterEach, describe, expect, test } from 'vitest';
import {
  addLearning,
  buildContext,
  buildContextHybrid,
  openKnowledge,
  searchHybrid,
  searchKnowledge,
} from '../src/index.js';

// A stand-in model: each dimension is a concept, so paraphrases with no word in common land close together.
const CONCEPTS = [
  ['cart', 'carts', 'basket', 'shopping'],
  ['expire', 'expires', 'vanished', 'disappear', 'gone', 'ttl'],
  ['feed', 'posts', 'articles'],
  ['page', 'pages', 'paging', 'since_id'],
  ['docker', 'image', 'layer', 'layers', 'build'],
  ['invoices', 'commits', 'cron', 'login', 'deploys', 'warehouse'],
];
function vectorOf(text: string): number[] {
  const words = text.toLowerCase().match(/[a-z_]+/g) ?? [];
  return CONCEPTS.map((group) => words.filter((w) => group.includes(w)).length + 0.01);
}

let server: Server | undefined;
afterEach(() => server?.close());

async function embeddingsServer(): Promise<{ url: string; requests: { input: string[]; auth?: string }[] }> {
  const requests: { input: string[]; auth?: string }[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
        res.writeHead(404).end();
        return;
      }
      const { input, model } = JSON.parse(body) as { input: string[]; model: string };
      requests.push({ input, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          model,
          data: input.map((t, index) => ({ object: 'embedding', index, embedding: vectorOf(t) })),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/v1`, requests };
}

describe('hybrid retrieval: BM25 + an OpenAI-compatible /v1/embeddings endpoint, fused by RRF', () => {
  test('finds a paraphrase BM25 misses, caches vectors, and falls back to BM25 with a warning', async () => {
    const root = testdir();
    const dir = path.join(root, 'knowledge');
    const { index } = await openKnowledge({ stateDir: path.join(root, '.habitat'), knowledgeDir: dir });
    const add = (text: string) => addLearning(index, dir, { text, provenance: { source: 'person' } });
    const cart = await add('Carts expire after 7 days in Redis; an untouched one is removed by its TTL.');
    await add('The feed API pages with since_id; paging by time skips late posts.');
    await add('Docker builds reuse layers only when the lockfile is copied before the sources.');
    const { url, requests } = await embeddingsServer();
    const embeddings = { url, model: 'stand-in', apiKey: 'local-test-key' };

    const query = 'shopping basket vanished';
    expect(searchKnowledge(index, query)).toEqual([]);
    const hybrid = await searchHybrid(index, query, { embeddings });
    expect(hybrid.mode).toBe('hybrid');
    expect(hybrid.warning).toBeUndefined();
    expect(hybrid.hits[0]!.learning.id).toBe(cart.learning.id);
    // One request embedded the three learnings, one the query; the key went as a bearer token.
    expect(requests.map((r) => r.input.length)).toEqual([3, 1]);
    expect(requests[0]!.auth).toBe('Bearer local-test-key');

    // Cached: the next search embeds only its query; an edited learning is embedded again.
    await searchHybrid(index, 'feed paging', { embeddings });
    expect(requests.map((r) => r.input.length)).toEqual([3, 1, 1]);
    await addLearning(index, dir, {
      text: 'Docker image layers are cached per builder; CI builders start cold.',
      provenance: { source: 'person' },
    });
    await searchHybrid(index, 'docker layers', { embeddings });
    expect(requests.map((r) => r.input.length)).toEqual([3, 1, 1, 1, 1]);

    // The endpoint goes away: BM25 alone, said in a warning.
    server!.close();
    server = undefined;
    const down = await searchHybrid(index, 'feed paging since_id', { embeddings });
    expect(down.mode).toBe('bm25');
    expect(down.warning).toMatch(/embeddings unavailable .*BM25 only/);
    expect(down.hits[0]!.learning.body).toContain('since_id');
    index.close();
  });

  test('the brief, agreement rule: a lexical match the model turns down gets in when the embeddings agree; nothing without a lexical match', async () => {
    const root = testdir();
    const dir = path.join(root, 'knowledge');
    const { index } = await openKnowledge({ stateDir: path.join(root, '.habitat'), knowledgeDir: dir });
    const add = (text: string) => addLearning(index, dir, { text, provenance: { source: 'person' } });
    const cart = await add('Carts expire after 7 days in Redis; an untouched one is removed by its TTL.');
    await add('The feed API pages with since_id; paging by time skips late posts.');
    const { url } = await embeddingsServer();
    const embeddings = { url, model: 'stand-in' };
    // The rule of session 3 (the default is the fitted dense model, next test).
    const agreementRule = { denseModel: false };
    // Two words of five in common: the brief's model says no on its own, the evidence cut says yes.
    const task = 'shopping carts gone from redis';
    const lexical = buildContext(index, { task });
    expect(lexical.hits).toEqual([]);
    expect(searchKnowledge(index, task)[0]!.learning.id).toBe(cart.learning.id);
    const hybrid = await buildContextHybrid(index, { task, embeddings, rule: agreementRule });
    expect(hybrid.mode).toBe('hybrid');
    expect(hybrid.context.hits.map((h) => h.learning.id)).toEqual([cart.learning.id]);
    // One word of four: below the evidence cut, which agreement no longer lowers by default (the eval's real
    // model showed it let in false briefs); the knobs still can.
    const weak = 'basket vanished from redis';
    expect(
      (await buildContextHybrid(index, { task: weak, embeddings, rule: agreementRule })).context.hits,
    ).toEqual([]);
    const lowered = await buildContextHybrid(index, {
      task: weak,
      embeddings,
      rule: { ...agreementRule, denseAgreement: 0.6, denseTop: 3, denseMinCosine: -1 },
    });
    expect(lowered.context.hits.map((h) => h.learning.id)).toEqual([cart.learning.id]);
    // The cosine cut from the config (knowledge.embeddings.minCosine): above the neighbour's, no agreement.
    expect(
      (await buildContextHybrid(index, { task, embeddings: { ...embeddings, minCosine: 0.999 } })).context
        .hits,
    ).toEqual([]);
    // No lexical match at all, no brief; an unrelated task stays empty.
    expect(
      (await buildContextHybrid(index, { task: 'shopping basket vanished', embeddings, rule: agreementRule }))
        .context.hits,
    ).toEqual([]);
    expect(
      (await buildContextHybrid(index, { task: 'bake sourdough bread', embeddings })).context.markdown,
    ).toBe('');
    server!.close();
    server = undefined;
    const down = await buildContextHybrid(index, { task, embeddings });
    expect(down.mode).toBe('bm25');
    expect(down.warning).toMatch(/embeddings unavailable/);
    expect(down.context.hits).toEqual([]);
    index.close();
  });

  test('the brief, dense model: the dense rank and z-score decide with the lexical features; no lexical match, no brief', async () => {
    const root = testdir();
    const dir = path.join(root, 'knowledge');
    const { index } = await openKnowledge({ stateDir: path.join(root, '.habitat'), knowledgeDir: dir });
    const add = (text: string) => addLearning(index, dir, { text, provenance: { source: 'person' } });
    const cart = await add('Carts expire after 7 days in Redis; an untouched one is removed by its TTL.');
    await add('The feed API pages with since_id; paging by time skips late posts.');
    await add('Docker builds reuse layers only when the lockfile is copied before the sources.');
    await add('Redis keys of the feed cache are namespaced per partner.');
    // Unrelated learnings: the dense z-score is a learning's cosine against the whole knowledge base's.
    for (const text of [
      'Invoices are numbered per year.',
      'Commits to main must be signed.',
      'Cron schedules are UTC unless a timezone is set.',
      'Login codes are valid for 5 minutes.',
      'Deploys go through Argo CD.',
      'The warehouse is BigQuery.',
    ])
      await add(text);
    const { url } = await embeddingsServer();
    const embeddings = { url, model: 'stand-in' };
    const task = 'shopping carts gone from redis';
    expect(buildContext(index, { task }).hits).toEqual([]);
    const hybrid = await buildContextHybrid(index, { task, embeddings });
    expect(hybrid.mode).toBe('hybrid');
    expect(hybrid.context.hits.map((h) => h.learning.id)).toEqual([cart.learning.id]);
    // The same lexical match, but the dense retriever puts the feed-cache learning nearest: no brief.
    expect(
      (
        await buildContextHybrid(index, { task: 'redis keys for the feed pages', embeddings })
      ).context.hits.map((h) => h.learning.id),
    ).not.toContain(cart.learning.id);
    expect(
      (await buildContextHybrid(index, { task: 'shopping basket vanished', embeddings })).context.hits,
    ).toEqual([]);
    expect(
      (await buildContextHybrid(index, { task: 'bake sourdough bread', embeddings })).context.markdown,
    ).toBe('');
    // A cosine cut of one's own model in the config keeps the agreement rule.
    expect(
      (await buildContextHybrid(index, { task, embeddings: { ...embeddings, minCosine: 0.999 } })).context
        .hits,
    ).toEqual([]);
    index.close();
  });
});
