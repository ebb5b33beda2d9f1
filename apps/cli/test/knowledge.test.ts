// habitat knowledge end to end through the built CLI: scope boosts (another project's answer comes back,
// labelled), newer facts first with the older marked stale, empty briefs for unrelated tasks, and stats.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';

const run = promisify(execFile);
const cli = join(import.meta.dirname, '..', 'dist', 'index.js');
let root: string;

async function habitat(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, '-C', root, ...args], {
      env: { ...process.env, NO_COLOR: '1', HOME: root },
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
    const shown = [...(await habitat(...query)).stdout.matchAll(/\(relevance (\d+)%, evidence ([\d.]+)\)/g)];
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
    expect(brief.stdout.indexOf('eu-central-1; presign')).toBeGreaterThan(-1);
    expect(brief.stdout.indexOf('eu-central-1; presign')).toBeLessThan(brief.stdout.indexOf('[stale'));
    expect((await habitat('knowledge', 'context', '--task', 'bake sourdough bread')).stdout).toBe('');

    const stats = await habitat('knowledge', 'stats', '--json');
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ briefs: 0, neverServed: expect.any(Array) });
    expect((await habitat('knowledge', 'stats', '--since', 'soon')).code).toBe(2);
  });
});
