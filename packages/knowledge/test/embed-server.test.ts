// The eval's real embedding model (eval/embed-server.ts: Universal Sentence Encoder lite from an npm package) behind
// the hybrid retriever. An eval-only install: without it this test is skipped and its name says how to install.
import path from 'node:path';
import { testdir } from '@habitat/testkit';
import { describe, expect, test } from 'vitest';
import { missing, startEmbedServer } from '../eval/embed-server.js';
import { addLearning, EmbeddingRetriever, openKnowledge, searchHybrid } from '../src/index.js';

const why = missing();
const realTest = why ? test.skip : test;
// Said on stderr too: a skipped test's name is not shown by the default reporter.
if (why) process.stderr.write(`embed-server.test.ts skipped: ${why}\n`);

describe('eval embedding server (a real model over /v1/embeddings)', () => {
  realTest(
    `speaks the OpenAI embeddings API and drives the hybrid search${why ? ` — skipped: ${why}` : ''}`,
    async () => {
      const server = await startEmbedServer();
      try {
        const post = (body: unknown) =>
          fetch(`${server.url}/embeddings`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
        const ok = (await (
          await post({ model: server.model, input: ['deploys roll out blue-green', 'x'] })
        ).json()) as {
          data: { index: number; embedding: number[] }[];
        };
        expect(ok.data.map((d) => [d.index, d.embedding.length])).toEqual([
          [0, 512],
          [1, 512],
        ]);
        const again = (await (await post({ input: 'deploys roll out blue-green' })).json()) as typeof ok;
        expect(again.data[0]!.embedding).toEqual(ok.data[0]!.embedding);
        const bad = await post({ input: [1, 2] });
        expect(bad.status).toBe(400);
        expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/input/);

        const root = testdir();
        const dir = path.join(root, 'knowledge');
        const { index } = await openKnowledge({ stateDir: path.join(root, '.habitat'), knowledgeDir: dir });
        const add = (text: string) => addLearning(index, dir, { text, provenance: { source: 'person' } });
        await add('Carts expire after 7 days in Redis; an untouched one is removed by its TTL.');
        await add('Docker builds reuse layers only when the lockfile is copied before the sources.');
        const retriever = new EmbeddingRetriever(index, { url: server.url, model: server.model });
        expect(await retriever.refresh()).toBe(2);
        const near = await retriever.nearestScored('container image build cache', 2);
        expect(near.every((n) => n.cosine > -1 && n.cosine <= 1.0001)).toBe(true);
        const hybrid = await searchHybrid(index, 'docker lockfile', { embeddings: retriever });
        expect(hybrid.mode).toBe('hybrid');
        expect(hybrid.hits[0]!.learning.body).toContain('lockfile');
        index.close();
      } finally {
        await server.close();
      }
    },
  );
});
