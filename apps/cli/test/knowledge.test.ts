// habitat knowledge end to end through the built CLI: scope boosts (another project's answer comes back,
// labelled), newer facts first with the older marked stale, empty briefs for unrelated tasks, and stats.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';

const run = promisify(execFile);
const cli = join(import.meta.dirname, '..', 'dist', 'index.js');
let root: string;

async function habitat(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return habitatWith({}, ...args);
}

/** The CLI with extra environment (HABITAT_KNOWLEDGE_FAST=0: search and context through commander). */
async function habitatWith(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, '-C', root, ...args], {
      env: { ...process.env, NO_COLOR: '1', HOME: root, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'cli-knowledge-'));
  writeFileSync(join(root, 'habitat.yaml'), '{}\n');
});

describe('habitat knowledge', () => {
  test('add, search across projects, newer first, empty brief, stats', async () => {
    const add = (text: string, project: string) =>
      habitat('knowledge', 'add', text, '--project', project, '--json');
    expect((await add('The uploads bucket is in us-east-1; presign with that region.', 'uploads')).code).toBe(
      0,
    );
    const moved = await add(
      'The uploads bucket moved from us-east-1 to eu-central-1; presign with eu-central-1.',
      'uploads',
    );
    const outcome = JSON.parse(moved.stdout) as { outcome: string; conflicts: { reason: string }[] };
    expect(outcome.outcome).toBe('conflict');
    expect(outcome.conflicts[0]!.reason).toMatch(/changed from/);
    // list says which one is stale, as search does (it showed both as plain `active`)
    const listed = (await habitat('knowledge', 'list')).stdout.split('\n');
    expect(listed.find((l) => l.includes('is in us-east-1'))).toMatch(/active, stale: contradicted by k-/);
    expect(listed.find((l) => l.includes('moved from us-east-1'))).not.toContain('stale');
    await add('Stripe webhook verification needs the raw request body, not express.json().', 'billing');

    // Asked from another project: the billing learning still comes back, labelled with its project.
    const search = await habitat('knowledge', 'search', 'stripe webhook raw body', '--project', 'checkout');
    expect(search.code).toBe(0);
    expect(search.stdout).toContain('project:billing');

    // Raw scores are tiny BM25 products (they printed as 0.00): each is shown as a share of the best hit's.
    const query = ['knowledge', 'search', 'uploads bucket presign', '--project', 'uploads'];
    const hits = JSON.parse((await habitat(...query, '--json')).stdout) as {
      score: number;
      evidence: number;
    }[];
    expect(hits.length).toBeGreaterThan(1);
    // the match is labelled as the query's, not a second score of the learning beside `list`'s confidence
    const text = (await habitat(...query)).stdout;
    expect(text).not.toMatch(/evidence|confidence/);
    const shown = [...text.matchAll(/\(relevance (\d+)%, query match ([\d.]+)\)/g)];
    expect(shown.map((m) => Number(m[1]))).toEqual(
      hits.map((h) => Math.round((h.score / hits[0]!.score) * 100)),
    );
    expect(shown[0]![1]).toBe('100');
    expect(shown.map((m) => m[2])).toEqual(hits.map((h) => h.evidence.toFixed(2)));

    const brief = await habitat(
      'knowledge',
      'context',
      '--task',
      'which region to presign uploads bucket URLs',
    );
    expect(brief.stdout.indexOf('presign with eu-central-1')).toBeGreaterThan(-1);
    expect(brief.stdout.indexOf('presign with eu-central-1')).toBeLessThan(brief.stdout.indexOf('[stale'));
    // nothing relevant: stdout empty (a script pastes it as it is), and a person is told why
    for (const env of [{}, { HABITAT_KNOWLEDGE_FAST: '0' }] as Record<string, string>[]) {
      const none = await habitatWith(env, 'knowledge', 'context', '--task', 'bake sourdough bread');
      expect(none).toMatchObject({ code: 0, stdout: '' });
      expect(none.stderr).toMatch(
        /^no learning is relevant enough to brief for this task; .*knowledge search/,
      );
    }

    // `knowledge context` by hand is not a brief given to a run, and the text says what it counts
    expect((await habitat('knowledge', 'stats')).stdout).toMatch(/^0 brief\(s\) given to runs, 0 empty/);
    const stats = await habitat('knowledge', 'stats', '--json');
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ briefs: 0, neverServed: expect.any(Array) });
    expect((await habitat('knowledge', 'stats', '--since', 'soon')).code).toBe(2);
  });

  test('search and context answer the same with and without the fast path; bad flags still get usage errors', async () => {
    const full = { HABITAT_KNOWLEDGE_FAST: '0' };
    for (const args of [
      ['knowledge', 'search', 'uploads', 'bucket', 'region'],
      ['knowledge', 'search', 'stripe', 'webhook', '--project', 'checkout', '--json'],
      ['knowledge', 'search', 'uploads', '-n', '1', '--tags', 'none-such'],
      ['knowledge', 'context', '--task', 'presign uploads bucket URLs', '--project', 'uploads'],
      ['knowledge', 'context', '--task', 'presign uploads bucket URLs', '--budget', '60', '--json'],
    ]) {
      const fast = await habitat(...args);
      const slow = await habitatWith(full, ...args);
      expect(fast.code).toBe(0);
      expect(fast.stdout.length).toBeGreaterThan(0);
      expect(fast).toEqual(slow);
    }
    // What the fast path does not know goes to commander, which says what is wrong.
    const bad = await habitat('knowledge', 'search', 'bucket', '--limit', 'zero');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a whole number/);
    expect((await habitat('knowledge', 'context')).code).toBe(2);
    expect((await habitat('knowledge', 'search', '--help')).stdout).toMatch(
      /Usage: habitat knowledge search/,
    );
  });

  test('a learning file whose front matter breaks is named (file:line, what is served, the fix) by every search, context and lint, fast path or not', async () => {
    const own = mkdtempSync(join(tmpdir(), 'cli-knowledge-broken-'));
    writeFileSync(join(own, 'habitat.yaml'), '{}\n');
    const h = async (env: Record<string, string>, ...args: string[]) => {
      try {
        const r = await run(process.execPath, [cli, '-C', own, ...args], {
          env: { ...process.env, NO_COLOR: '1', HOME: own, ...env },
        });
        return { code: 0, ...r };
      } catch (error) {
        return error as { code: number; stdout: string; stderr: string };
      }
    };
    await h({}, 'knowledge', 'add', 'The payments bastion host needs the VPN before ssh works');
    const id = /k-\w+/.exec((await h({}, 'knowledge', 'list')).stdout)![0];
    const file = join(own, 'knowledge', readdirSync(join(own, 'knowledge')).find((f) => f.endsWith('.md'))!);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(/^scope: org$/m, 'scope: [org'));
    const line = text.split('\n').indexOf('scope: org') + 1;
    const warning = `warning: ${file}:${line}:8: front matter is not valid YAML: the list opened here with "[" is never closed: add the missing "]"; until it parses, the last good version of ${id} is served`;
    // the first call syncs and finds it; every later one answers from the index (the fast path) and says it too
    for (const env of [{}, {}, { HABITAT_KNOWLEDGE_FAST: '0' }] as Record<string, string>[]) {
      const search = await h(env, 'knowledge', 'search', 'bastion');
      expect(search.stdout).toContain(id);
      expect(search.stderr.split('\n').filter((l) => l.startsWith(warning))).toHaveLength(1);
      expect(
        (await h(env, 'knowledge', 'context', '--task', 'ssh to the payments bastion host')).stderr,
      ).toContain(warning);
    }
    const lint = await h({}, 'knowledge', 'lint');
    expect(lint.code).toBe(1);
    expect(lint.stderr).toContain(warning);
    expect(lint.stdout).toBe('1 problem(s) in 1 learning file(s) (above)\n');
    writeFileSync(file, text);
    expect(await h({}, 'knowledge', 'lint')).toMatchObject({
      code: 0,
      stderr: '',
      stdout: '1 learning file(s), all fine\n',
    });
    expect((await h({}, 'knowledge', 'search', 'bastion')).stderr).toBe('');
    // an id that names no learning says where the ids are
    for (const verb of ['show', 'retract', 'accept'])
      expect(await h({}, 'knowledge', verb, 'k-nosuch')).toMatchObject({
        code: 1,
        stderr: 'error no learning k-nosuch (`habitat knowledge list` shows the ids)\n',
      });
  });

  test('add --review-conflicts holds a contradicting learning as pending and says why', async () => {
    const first = await habitat(
      'knowledge',
      'add',
      'The nightly export of the billing ledger to the finance SFTP runs at 02:00 UTC.',
      '--project',
      'ledger',
      '--json',
    );
    const old = (JSON.parse(first.stdout) as { learning: { id: string } }).learning.id;
    const second = await habitat(
      'knowledge',
      'add',
      'The nightly export of the billing ledger to the finance SFTP runs at 04:30 UTC.',
      '--project',
      'ledger',
      '--review-conflicts',
    );
    expect(second.stdout).toMatch(/^conflict: k-/);
    expect(second.stdout).toContain(`contradicts ${old}`);
    expect(second.stdout).toContain('kept as pending for review');
  });

  test('a retracted learning is never served; search names it with the reason', async () => {
    const added = await habitat(
      'knowledge',
      'add',
      'Flush the CDN cache with the purge-all endpoint after each deploy of the marketing site.',
      '--json',
    );
    const id = (JSON.parse(added.stdout) as { learning: { id: string } }).learning.id;
    const task = ['knowledge', 'context', '--task', 'purge the CDN cache after a marketing site deploy'];
    expect((await habitat(...task)).stdout).toContain(id);
    const retract = await habitat(
      'knowledge',
      'retract',
      id,
      '--reason',
      'purge-all took the origin down; purge by tag instead',
    );
    expect(retract.stdout).toContain(`${id} retracted`);
    expect((await habitat(...task)).stdout).not.toContain(id);
    const search = await habitat('knowledge', 'search', 'CDN', 'cache', 'purge', 'deploy');
    expect(search.stdout).toContain(`retracted: ${id}`);
    expect(search.stdout).toContain('reason: purge-all took the origin down; purge by tag instead');
    expect(search.stdout).toContain('not served');
    expect((await habitat('knowledge', 'show', id)).stdout).toMatch(
      /retracted by person at .* reason: purge-all/,
    );
  });

  test('with knowledge.embeddings the brief counts the dense retriever; the endpoint down gives the lexical brief and a warning', async () => {
    // A stand-in model on loopback speaking the OpenAI embeddings API: each dimension a concept.
    const concepts = [
      ['cart', 'carts', 'basket', 'shopping'],
      ['expire', 'vanished', 'gone', 'ttl'],
      ['feed', 'posts', 'paging'],
      ['invoices', 'commits', 'cron', 'deploys', 'login', 'warehouse'],
    ];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const { input } = JSON.parse(body) as { input: string[] };
        const vector = (t: string) => {
          const words = t.toLowerCase().match(/[a-z_]+/g) ?? [];
          return concepts.map((g) => words.filter((w) => g.includes(w)).length + 0.01);
        };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: input.map((t, index) => ({ index, embedding: vector(t) })) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const saved = root;
    root = mkdtempSync(join(tmpdir(), 'cli-knowledge-embed-'));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      writeFileSync(
        join(root, 'habitat.yaml'),
        `knowledge:\n  embeddings:\n    url: ${url}\n    model: stand-in\n`,
      );
      const cart = await habitat(
        'knowledge',
        'add',
        'Carts expire after 7 days in Redis; an untouched one is removed by its TTL.',
        '--json',
      );
      const id = (JSON.parse(cart.stdout) as { learning: { id: string } }).learning.id;
      await habitat('knowledge', 'add', 'The feed API pages with since_id; paging by time skips late posts.');
      // Unrelated learnings: the dense model reads a learning's cosine against the whole knowledge base's.
      for (const text of [
        'Invoices are numbered per year.',
        'Commits to main must be signed.',
        'Cron schedules are UTC unless a timezone is set.',
        'Deploys go through Argo CD.',
        'Login codes are valid for 5 minutes.',
        'The warehouse is BigQuery.',
      ])
        await habitat('knowledge', 'add', text);
      // Two words in common: the brief's model turns it down alone; the dense retriever ranking it first lets it in.
      const task = ['knowledge', 'context', '--task', 'shopping carts gone from redis'];
      const hybrid = await habitat(...task);
      expect(hybrid.stderr).toBe('');
      expect(hybrid.stdout).toContain(id);
      // knowledge.embeddings.minCosine reaches the brief: a cut above the neighbour's cosine, no agreement.
      writeFileSync(
        join(root, 'habitat.yaml'),
        `knowledge:\n  embeddings:\n    url: ${url}\n    model: stand-in\n    minCosine: 0.999\n`,
      );
      expect((await habitat(...task)).stdout).toBe('');
      await new Promise((resolve) => server.close(resolve));
      const down = await habitat(...task);
      expect(down.code).toBe(0);
      expect(down.stderr).toMatch(/warning: embeddings unavailable/);
      expect(down.stdout).toBe('');
    } finally {
      root = saved;
      server.close();
    }
  });
});
