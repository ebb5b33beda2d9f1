import { readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SessionEvent } from '@habitat/sessions';
import { testdir } from '@habitat/testkit';
import { describe, expect, test } from 'vitest';
import {
  addLearning,
  BRIEF_COEFFICIENTS,
  briefFeatures,
  briefProbability,
  buildContext,
  contradiction,
  extractMarkers,
  extractOffline,
  formatLearning,
  type KnowledgeIndex,
  knowledgeStats,
  openKnowledge,
  parseLearning,
  parseModelLearnings,
  passagesOf,
  readCanonical,
  recordBrief,
  retractedHits,
  searchKnowledge,
  setStatus,
  supersede,
  writeTest,
} from '../src/index.js';

async function kb() {
  const root = testdir();
  const dir = path.join(root, 'knowledge');
  const { index } = await openKnowledge({ stateDir: path.join(root, '.habitat'), knowledgeDir: dir });
  return { root, dir, index };
}

const add = (
  index: KnowledgeIndex,
  dir: string,
  text: string,
  extra: Partial<Parameters<typeof addLearning>[2]> = {},
) => addLearning(index, dir, { text, provenance: { source: 'person' }, ...extra });

describe('the store: markdown files are the truth', () => {
  test('a learning is a file with front matter, and the index follows edits and deletions', async () => {
    const { dir, index, root } = await kb();
    const { learning } = await add(
      index,
      dir,
      'Postgres 16 rejects md5 auth by default; set password_encryption=scram-sha-256.',
      { tags: ['postgres'] },
    );
    const file = path.join(dir, readdirSync(dir)[0]!);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^---\nid: k-[a-z2-7]{8}\ntitle: Postgres 16 rejects md5 auth by default/);
    expect(text).toContain('scram-sha-256');
    // A person edits the file in git: the next sync picks it up.
    writeFileSync(file, text.replace(/scram-sha-256\.\n$/, 'scram-sha-256 (edited by hand).\n'));
    const reopened = await openKnowledge({ stateDir: path.join(root, '.habitat'), knowledgeDir: dir });
    expect(reopened.report.updated).toBe(1);
    expect(reopened.index.get(learning.id)!.body).toContain('edited by hand');
    // Edited in place to the same size with its mtime set back: the ctime still tells.
    const before = statSync(file);
    writeFileSync(file, readFileSync(file, 'utf8').replace('edited by hand', 'EDITED by hand'));
    utimesSync(file, before.atime, before.mtime);
    expect(statSync(file).size).toBe(before.size);
    expect((await reopened.index.sync(dir, { full: true })).updated).toBe(1);
    expect(reopened.index.get(learning.id)!.body).toContain('EDITED by hand');
    rmSync(file);
    expect((await reopened.index.sync(dir)).removed).toBe(1);
    expect(reopened.index.get(learning.id)).toBeUndefined();
    index.close();
    reopened.index.close();
  });

  test('habitat-written files read by the fast reader exactly as by YAML + zod; anything else falls back', () => {
    const base = {
      id: 'k-abcdefgh',
      title: 'x',
      body: 'A body.',
      tags: ['a', 'b c'],
      scope: { kind: 'project' as const, name: 'billing' },
      status: 'pending' as const,
      confidence: 0.65,
      provenance: [
        { source: 'extracted' as const, sessionId: 's1', eventIds: [3, 4], time: '2026-01-01T00:00:00.000Z' },
        { source: 'person' as const, time: '2026-01-02T00:00:00.000Z', redactions: 2 },
      ],
      supersedes: [],
      conflictsWith: ['k-zzzzzzzz'],
      created: '2026-01-01T00:00:00.000Z',
      updated: '2026-01-03T00:00:00.000Z',
      validUntil: '2027-01-01',
    };
    const titles = [
      'Plain title',
      'Use `pnpm`, not npm: it matters',
      "It's 'quoted' and \"double\"",
      '#hash first',
      '42',
      'true',
      '- dash',
      'a: b',
      'ends with colon:',
      'unicode ✓ “smart” quotes',
      'tab\there',
      '[bracket',
    ];
    for (const title of titles) {
      const learning = { ...base, title };
      const text = formatLearning(learning);
      expect(readCanonical(text, 'f.md') ?? parseLearning(text, 'f.md')).toEqual(parseLearning(text, 'f.md'));
    }
    expect(readCanonical(formatLearning(base), 'f.md')).toEqual(parseLearning(formatLearning(base), 'f.md'));
    // Hand-edited: a comment, a flow list. The fast reader declines; the full parser reads them.
    const hand = '---\nid: k-1\ntitle: Hand # note\ntags: [a, b]\ncreated: 2026-01-01\n---\nBody.\n';
    expect(readCanonical(hand, 'h.md')).toBeUndefined();
    expect(parseLearning(hand, 'h.md')).toMatchObject({ title: 'Hand', tags: ['a', 'b'] });
  });

  test("document frequencies from FTS5's term table equal counting the matches, after edits and deletions", async () => {
    const { dir, index } = await kb();
    const a = await add(index, dir, 'Retries of the billing webhook need an idempotency key per delivery.');
    await add(index, dir, 'The webhook gateway retries deliveries three times with backoff.');
    await add(index, dir, 'Café menus are rendered server-side; retries are idempotent.');
    index.remove(a.learning.id);
    await add(index, dir, 'Webhooks retried by the gateway carry the same delivery id.');
    const counted = (term: string) =>
      (
        index.db.prepare('SELECT count(*) AS n FROM fts WHERE fts MATCH ?').get(`"${term}"`) as {
          n: number;
        }
      ).n;
    for (const term of [
      'webhook',
      'webhooks',
      'retries',
      'retried',
      'delivery',
      'billing',
      'café',
      'cafe',
      'absent',
    ])
      expect([term, index.documentFrequency(term)]).toEqual([term, counted(term)]);
    expect(index.documentFrequency('retries', 1)).toBe(1);
  });

  test('a learning indexed without its stems (a large first build) ranks exactly as one with them', async () => {
    const { dir, index } = await kb();
    const a = await add(index, dir, 'Retries of the billing webhook need an idempotency key per delivery.');
    await add(index, dir, 'The webhook gateway retries deliveries three times with backoff.');
    const query = 'billing webhook retried twice, idempotency';
    const withStems = searchKnowledge(index, query);
    index.put({ ...index.get(a.learning.id)! }, { stems: false });
    expect(index.db.prepare('SELECT stems FROM learnings WHERE id = ?').get(a.learning.id)).toEqual({
      stems: '',
    });
    const without = searchKnowledge(index, query);
    expect(without.map((h) => [h.learning.id, h.evidence, h.score])).toEqual(
      withStems.map((h) => [h.learning.id, h.evidence, h.score]),
    );
  });

  test('an index of an older layout is rebuilt from the files; the served record survives', async () => {
    const { root, dir, index } = await kb();
    const l = await add(
      index,
      dir,
      'Presigned upload URLs expire after 15 minutes; refresh them for long uploads.',
    );
    recordBrief(index, buildContext(index, { task: 'presigned upload URLs expire' }), { runId: 'r1' });
    index.db.exec('ALTER TABLE learnings DROP COLUMN stems');
    index.db.pragma('user_version = 1');
    index.close();
    const { index: again, report } = await openKnowledge({
      stateDir: path.join(root, '.habitat'),
      knowledgeDir: dir,
    });
    expect(report).toMatchObject({ added: 1, updated: 0, removed: 0 });
    expect(searchKnowledge(again, 'presigned upload expire')[0]!.learning.id).toBe(l.learning.id);
    expect(knowledgeStats(again, { runId: 'r1' }).run).toHaveLength(1);
    again.close();
  });

  test('a large knowledge base syncs by the directory: nothing read while it is unchanged', async () => {
    const { dir, index, root } = await kb();
    for (let i = 0; i < 5; i++)
      await add(index, dir, `Lesson number ${i}: service-${i} needs flag ${i * 7}.`);
    const stateDir = path.join(root, '.habitat');
    const opts = { stateDir, knowledgeDir: dir, sweepBelow: 2 };
    // The directory appeared after the index was opened: one sweep; then our own writes keep it in step.
    const first = await openKnowledge(opts);
    expect(first.report.mode).toBe('swept');
    await add(first.index, dir, 'Lesson number 6: the queue needs a dead-letter topic.');
    first.index.close();
    const again = await openKnowledge(opts);
    expect(again.report.mode).toBe('skipped');
    expect(again.index.count()).toBe(6);
    // A file added by someone else (git pull) changes the directory: a sweep reads it.
    const other = readdirSync(dir).find((n) => n.endsWith('.md'))!;
    writeFileSync(
      path.join(dir, 'pulled-k-pulled01.md'),
      readFileSync(path.join(dir, other), 'utf8').replace(/^id: .*$/m, 'id: k-pulled01'),
    );
    // (as if the pull was a while ago: a sweep within RACY_MS of a change does not trust the mtime, sync.test.ts)
    const past = Date.now() / 1000 - 10;
    utimesSync(dir, past, past);
    const pulled = await openKnowledge(opts);
    expect(pulled.report).toMatchObject({ mode: 'swept', added: 1 });
    expect(pulled.index.get('k-pulled01')).toBeDefined();
    expect((await openKnowledge(opts)).report.mode).toBe('skipped');
    // A full sweep on request, or once sweepMs has passed, sees edits in place.
    expect((await openKnowledge({ ...opts, full: true })).report.mode).toBe('swept');
    expect((await openKnowledge({ ...opts, sweepMs: 0 })).report.mode).toBe('swept');
    index.close();
  });
});

describe('capture', () => {
  test('secrets are redacted before anything is written, and counted in provenance', async () => {
    const { dir, index } = await kb();
    const token = `ghp_${'a1B2c3D4e5F6g7H8i9J0'.repeat(2).slice(0, 36)}`;
    const { learning, redactions } = await add(
      index,
      dir,
      `Deploys need the GitHub token: ${token}. Also API_SECRET=hunter2hunter2 in .env and the configured one conf-secret-value-1.`,
      { secrets: ['conf-secret-value-1'] },
    );
    const written = readFileSync(learning.file!, 'utf8');
    expect(written).not.toContain(token);
    expect(written).not.toContain('hunter2hunter2');
    expect(written).not.toContain('conf-secret-value-1');
    expect(redactions).toBe(3);
    expect(learning.provenance[0]!.redactions).toBe(3);
  });

  test('a near-duplicate merges (confirmation raises confidence); a contradiction links both ways and the older is stale', async () => {
    const { dir, index } = await kb();
    const first = await add(index, dir, 'The staging API rate limit is 100 requests per minute per token.');
    const again = await add(index, dir, 'Staging API: rate limit is 100 requests per minute per token', {
      provenance: { source: 'explicit', agent: 'feed' },
    });
    expect(again.outcome).toBe('merged');
    expect(again.learning.id).toBe(first.learning.id);
    expect(again.learning.provenance).toHaveLength(2);
    expect(again.learning.confidence).toBeGreaterThan(first.learning.confidence);
    const contra = await add(
      index,
      dir,
      'The staging API rate limit was raised: now 300 requests per minute per token.',
      { provenance: { source: 'person', time: new Date(Date.now() + 1000).toISOString() } },
    );
    expect(contra.outcome).toBe('conflict');
    expect(contra.learning.status).toBe('active');
    expect(contra.learning.conflictsWith).toEqual([first.learning.id]);
    expect(index.get(first.learning.id)!.conflictsWith).toEqual([contra.learning.id]);
    expect(readFileSync(first.learning.file!, 'utf8')).toContain(contra.learning.id);
    expect(index.count()).toBe(2);
    // The newer fact first; the older one marked stale, right after it.
    const brief = buildContext(index, { task: 'staging API rate limit per token' });
    expect(brief.hits.map((h) => h.learning.id)).toEqual([contra.learning.id, first.learning.id]);
    expect(brief.hits[1]!.stale).toMatchObject({ by: contra.learning.id, reason: 'newer' });
    expect(brief.markdown).toMatch(/\[stale: contradicted by k-/);
    // Or held back for review.
    const held = await add(
      index,
      dir,
      'The staging API rate limit is no longer per token: 500 per minute per app.',
      {
        onConflict: 'pending',
        provenance: { source: 'person', time: new Date(Date.now() + 2000).toISOString() },
      },
    );
    expect(held.outcome).toBe('conflict');
    expect(held.learning.status).toBe('pending');
  });

  test('a brief does not repeat the title its body starts with', async () => {
    const { dir, index } = await kb();
    const { learning } = await add(
      index,
      dir,
      'Postgres 16 rejects md5 auth by default; set password_encryption=scram-sha-256 before migrating.',
    );
    const brief = buildContext(index, { task: 'postgres 16 md5 auth password_encryption' });
    expect(brief.hits.map((h) => h.learning.id)).toEqual([learning.id]);
    expect(brief.markdown).toContain(`**${learning.title}** — `);
    expect(brief.markdown).toContain('scram-sha-256 before migrating');
    expect(brief.markdown.split('rejects md5 auth').length - 1).toBe(1);
  });

  test('a stale fact is never served without the newer learning that replaces it', async () => {
    const { dir, index } = await kb();
    const old = await add(index, dir, 'The Android app supports Android 5 and later (minSdkVersion 21).', {
      provenance: { source: 'person', time: '2025-01-01T00:00:00.000Z' },
    });
    const newer = await add(
      index,
      dir,
      "The Android app's minSdkVersion was raised from 21 to 26; phones below Android 8 get no updates.",
      { provenance: { source: 'person', time: '2026-01-01T00:00:00.000Z' } },
    );
    expect(newer.outcome).toBe('conflict');
    // The task's words match the older wording; the newer one comes with it, first.
    const brief = buildContext(index, { task: 'which Android versions does the app support' });
    expect(brief.hits.map((h) => h.learning.id)).toEqual([newer.learning.id, old.learning.id]);
    expect(brief.hits[1]!.stale?.by).toBe(newer.learning.id);
  });

  test('moved from X to Y, no longer: detected as contradictions; a learning past validUntil is stale', async () => {
    const { dir, index } = await kb();
    const old = await add(index, dir, 'The uploads bucket is in us-east-1; presign with that region.', {
      provenance: { source: 'person', time: '2025-01-01T00:00:00.000Z' },
    });
    const moved = await add(
      index,
      dir,
      'The uploads bucket moved from us-east-1 to eu-central-1; presign with eu-central-1.',
      { provenance: { source: 'person', time: '2025-06-01T00:00:00.000Z' } },
    );
    expect(moved.conflicts?.[0]?.reason).toMatch(/changed from "us-east-1"/);
    const unrelated = await add(index, dir, 'Thumbnails are cached by the CDN for one hour.');
    expect(unrelated.outcome).toBe('added');
    const expiring = await add(index, dir, 'The holiday freeze blocks deploys to production until January.', {
      validUntil: '2020-01-10',
    });
    const hits = searchKnowledge(index, 'holiday deploy freeze production');
    expect(hits[0]!.learning.id).toBe(expiring.learning.id);
    expect(hits[0]!.stale).toMatchObject({ reason: 'expired' });
    expect(readFileSync(expiring.learning.file!, 'utf8')).toContain('validUntil: 2020-01-10');
    expect(old.learning.id).not.toBe(moved.learning.id);
  });

  test('a newer learning of the same scope on the same subject goes first; the older is marked to be checked', async () => {
    const { dir, index } = await kb();
    const at = (date: string) => ({
      provenance: { source: 'person' as const, time: `${date}T12:00:00.000Z` },
    });
    const project = { kind: 'project' as const, name: 'shop' };
    const old = await add(
      index,
      dir,
      'Order confirmation emails are rendered by the Handlebars templates in shop-mailer.',
      {
        ...at('2025-01-10'),
        scope: project,
      },
    );
    // The change is said in words the contradiction rules do not know: nothing is linked on add.
    const newer = await add(
      index,
      dir,
      'Order confirmation emails: shop-mailer renders React Email components, built in CI before deploys.',
      { ...at('2025-09-01'), scope: project },
    );
    expect(newer.outcome).toBe('added');
    const brief = buildContext(index, {
      task: 'change the order confirmation email template',
      project: 'shop',
    });
    expect(brief.hits.map((h) => h.learning.id)).toEqual([newer.learning.id, old.learning.id]);
    expect(brief.hits[1]!.stale).toMatchObject({ reason: 'older', by: newer.learning.id });
    expect(brief.markdown).toContain(
      `[older: ${newer.learning.id} of 2025-09-01 is about the same and newer`,
    );
    // Search ranks as before (the mark is the brief's), and another scope's learning is not "newer" for it.
    expect(searchKnowledge(index, 'order confirmation email template').every((h) => !h.stale)).toBe(true);
    const other = await kb();
    await add(
      other.index,
      other.dir,
      'Order confirmation emails are rendered by the Handlebars templates in shop-mailer.',
      {
        ...at('2025-01-10'),
        scope: project,
      },
    );
    await add(
      other.index,
      other.dir,
      'Order confirmation emails: shop-mailer renders React Email components, built in CI before deploys.',
      { ...at('2025-09-01'), scope: { kind: 'project', name: 'marketing' } },
    );
    const across = buildContext(other.index, {
      task: 'change the order confirmation email template',
      project: 'shop',
    });
    expect(across.hits.length).toBeGreaterThan(0);
    expect(across.hits.every((h) => !h.stale)).toBe(true);
  });

  test('the newer statement of a fact is found by its subject even when the task says it the old way', async () => {
    const { dir, index } = await kb();
    const at = (date: string) => ({
      provenance: { source: 'person' as const, time: `${date}T12:00:00.000Z` },
      scope: { kind: 'project' as const, name: 'orders' },
    });
    for (const [i, text] of [
      'The orders API paginates with cursors, never offsets.',
      'orders-worker retries a failed payment capture three times.',
      'Refund requests go through the refunds queue.',
      'The orders database runs Postgres 16 with logical replication to the warehouse.',
    ].entries())
      await add(index, dir, text, at(`2025-0${i + 1}-02`));
    const old = await add(index, dir, 'A nightly pg_dump of the orders database goes into orders-backups.', {
      ...at('2025-05-01'),
      title: 'Restore the orders database from the nightly pg_dump',
    });
    // Said in other words, with no change word: found by the older one's subject, not by the task's words.
    const newer = await add(
      index,
      dir,
      'pgBackRest archives the WAL of the orders database continuously into orders-backups; any second of the last 14 days can be brought back.',
      { ...at('2025-12-01'), title: 'orders database backups and restores: pgBackRest, point in time' },
    );
    expect(newer.outcome).toBe('added');
    expect(searchKnowledge(index, "restore yesterday's pg_dump")[0]!.learning.id).toBe(old.learning.id);
    const brief = buildContext(index, { task: "restore yesterday's pg_dump", project: 'orders' });
    expect(brief.hits.map((h) => h.learning.id)).toEqual([newer.learning.id, old.learning.id]);
    expect(brief.hits[1]!.stale).toMatchObject({ reason: 'older', by: newer.learning.id });
  });

  test('every briefed learning is checked for a newer statement, not only the leading ones', async () => {
    const { dir, index } = await kb();
    const at = (date: string) => ({
      provenance: { source: 'person' as const, time: `${date}T12:00:00.000Z` },
      scope: { kind: 'project' as const, name: 'orders' },
    });
    for (const [i, text] of [
      'The orders API paginates with cursors, never offsets: an offset page skips rows inserted meanwhile.',
      'orders-worker retries a failed payment capture three times, then parks the order for a person.',
      'Refund requests go through the refunds queue, never a direct call to the payment provider.',
      'Order exports for finance are CSV files with a byte order mark so Excel opens them.',
    ].entries())
      await add(index, dir, text, at(`2025-0${i + 1}-02`));
    const old = await add(index, dir, 'A nightly pg_dump of the database goes into the backups bucket.', {
      ...at('2025-05-01'),
      title: 'Restore the database from the nightly pg_dump',
    });
    // Shares no word with the task: only a search by the older one's subject finds it.
    const newer = await add(
      index,
      dir,
      'pgBackRest archives the WAL continuously into the backups bucket; any second of the last 14 days can be brought back.',
      { ...at('2025-12-01'), title: 'Database backups and restores: pgBackRest, point in time' },
    );
    // A task about five things; the old backup fact is briefed after the three leading ones, and still comes
    // with the newer statement right before it.
    const task =
      'Orders chores. Page the orders API with cursors. Retry a failed payment capture. Send refund requests to the refunds queue. Write the finance CSV export for Excel. Check that the nightly pg_dump ran.';
    // Without feedback expansion, which in a base this small pulls every learning into the results: the newer one
    // is then found only by the search for the older one's subject.
    const tuning = { feedbackDocs: 0 };
    const leadingOnly = buildContext(index, {
      task,
      project: 'orders',
      tuning,
      rule: { subjectSearches: 3 },
    });
    expect(leadingOnly.hits.map((h) => h.learning.id)).not.toContain(newer.learning.id);
    const brief = buildContext(index, { task, project: 'orders', tuning });
    const all = brief.hits.map((h) => h.learning.id);
    expect(all.indexOf(old.learning.id)).toBeGreaterThanOrEqual(3);
    expect(all.indexOf(newer.learning.id)).toBe(all.indexOf(old.learning.id) - 1);
    expect(brief.hits[all.indexOf(old.learning.id)]!.stale).toMatchObject({
      reason: 'older',
      by: newer.learning.id,
    });
  });

  test('on add, the same subject with another value is proposed as a conflict', async () => {
    const { dir, index } = await kb();
    const at = (date: string) => ({
      provenance: { source: 'person' as const, time: `${date}T12:00:00.000Z` },
      scope: { kind: 'project' as const, name: 'mobile' },
    });
    for (const [i, text] of [
      'The Android app is built with Gradle 8 on the CI runners.',
      'iOS builds are signed with fastlane match.',
      'Crash reports of the app go to Sentry.',
      'The app bundle must stay under 150 MB for the Play Store.',
    ].entries())
      await add(index, dir, text, at(`2025-0${i + 1}-02`));
    const old = await add(
      index,
      dir,
      'Release trains of the mobile apps leave every 14 days, cut on Tuesday.',
      {
        ...at('2025-05-01'),
      },
    );
    const newer = await add(
      index,
      dir,
      'Mobile release trains: the branch is cut every 7 days on Wednesday evening.',
      {
        ...at('2026-01-10'),
        onConflict: 'pending',
      },
    );
    expect(newer.outcome).toBe('conflict');
    expect(newer.conflicts?.[0]).toMatchObject({ learning: { id: old.learning.id } });
    expect(newer.learning.status).toBe('pending');
    expect(index.get(old.learning.id)!.conflictsWith).toEqual([newer.learning.id]);
    // A learning of the same project on another subject that also has numbers is not a conflict.
    const other = await add(index, dir, 'Sentry keeps crash reports for 90 days.', at('2026-02-01'));
    expect(other.outcome).toBe('added');
  });

  test("the brief's model: more evidence, more distinct terms and the asker's own scope raise the probability", () => {
    const hit = (evidence: number, matched: number, scopeMatch: 'project' | 'other') => ({
      learning: {} as never,
      score: 1,
      evidence,
      matched,
      snippet: '',
      scopeMatch,
    });
    const p = (h: ReturnType<typeof hit>) => briefProbability(briefFeatures([h], 0));
    expect(p(hit(0.6, 3, 'project'))).toBeGreaterThan(p(hit(0.3, 3, 'project')));
    expect(p(hit(0.4, 3, 'project'))).toBeGreaterThan(p(hit(0.4, 1, 'project')));
    expect(p(hit(0.4, 2, 'project'))).toBeGreaterThan(p(hit(0.4, 2, 'other')));
    expect(BRIEF_COEFFICIENTS.cut).toBeGreaterThan(0);
  });

  test('a change said in the title counts; a change word about something else does not', () => {
    const older = {
      title: 'Logs are shipped with Fluentd',
      body: 'Every node runs a Fluentd daemonset that ships container logs to the logging cluster.',
    };
    expect(
      contradiction(older, {
        title: 'Log shipping moved from Fluentd to Vector',
        body: 'Every node runs a Vector daemonset now; its config lives in the platform repo.',
      }),
    ).toMatch(/changed from "Fluentd"/);
    expect(
      contradiction(older, {
        title: 'Container logs: no longer shipped by a daemonset',
        body: 'Each node pushes container logs to the logging cluster through the OpenTelemetry collector.',
      }),
    ).toBe('the newer says the old fact is gone');
    expect(
      contradiction(older, {
        title: 'Container logs go through the OpenTelemetry collector',
        body: 'We stopped running the Fluentd daemonset: every node pushes container logs to the logging cluster through the collector.',
      }),
    ).toBe('the newer says the old fact is gone');
    // Same subject, but what was replaced is not something the older one says.
    expect(
      contradiction(older, {
        title: 'New disks for the nodes that ship logs',
        body: 'Every node that ships container logs to the logging cluster got NVMe disks; the SATA disks were replaced last week.',
      }),
    ).toBeUndefined();
  });

  test('superseding is explicit and takes the old learning out of search', async () => {
    const { dir, index } = await kb();
    const old = await add(index, dir, 'Build the agent image with docker build on the coordinator host.');
    const newer = await add(
      index,
      dir,
      'Build agent images in CI and docker load them onto hosts; never build on the coordinator.',
    );
    await supersede(index, dir, old.learning.id, newer.learning.id);
    const hits = searchKnowledge(index, 'build the agent image');
    expect(hits.map((h) => h.learning.id)).toEqual([newer.learning.id]);
    // Who superseded or retracted it, and when, stays in the file.
    expect(index.get(old.learning.id)!.provenance.at(-1)).toMatchObject({
      action: 'superseded',
      source: 'person',
    });
    const retracted = await setStatus(index, dir, newer.learning.id, 'retracted', {
      source: 'person',
      agent: 'ops',
    });
    expect(readFileSync(retracted.file!, 'utf8')).toMatch(/action: retracted/);
    expect(
      readCanonical(readFileSync(retracted.file!, 'utf8'), retracted.file!)?.provenance.at(-1),
    ).toMatchObject({
      action: 'retracted',
      agent: 'ops',
    });
    expect(searchKnowledge(index, 'build the agent image')).toEqual([]);
  });

  test('a retraction is visible: never in a brief, named by retractedHits with its reason (redacted)', async () => {
    const { dir, index } = await kb();
    const l = await add(
      index,
      dir,
      'Rotate the staging database password by editing the Vault secret directly.',
    );
    const task = 'rotate the staging database password in Vault';
    expect(buildContext(index, { task }).hits.map((h) => h.learning.id)).toEqual([l.learning.id]);
    await setStatus(
      index,
      dir,
      l.learning.id,
      'retracted',
      { source: 'person', reason: 'use the rotation job; the old one was hunter2-staging-pw' },
      { secrets: ['hunter2-staging-pw'] },
    );
    expect(buildContext(index, { task }).hits).toEqual([]);
    expect(searchKnowledge(index, task)).toEqual([]);
    const named = retractedHits(index, task);
    expect(named.map((r) => r.learning.id)).toEqual([l.learning.id]);
    expect(named[0]!.reason).toMatch(/^use the rotation job; the old one was /);
    expect(named[0]!.reason).not.toContain('hunter2-staging-pw');
    expect(readFileSync(index.get(l.learning.id)!.file!, 'utf8')).not.toContain('hunter2-staging-pw');
    // Only strong matches are named: an unrelated query mentions nothing.
    expect(retractedHits(index, 'staging deploy pipeline')).toEqual([]);
  });
});

describe('retrieval', () => {
  test('the snippet marks the matched word only, not the punctuation around it (QA session 5)', async () => {
    const { dir, index } = await kb();
    await add(index, dir, 'Presigned S3 uploads: set the region, then sign (region-bound URLs expire).');
    const [hit] = searchKnowledge(index, 'region presigned');
    expect(hit!.snippet).toBe(
      '«Presigned» S3 uploads: set the «region», then sign («region»-bound URLs expire).',
    );
    index.close();
  });

  test('what people type: several words match separately, FTS syntax never crashes, scope boosts', async () => {
    const { dir, index } = await kb();
    const a = await add(
      index,
      dir,
      'Twitter API: when x-rate-limit-remaining drops below 5, sleep until x-rate-limit-reset.',
      { tags: ['twitter'] },
    );
    await add(index, dir, 'Cursor stores composer sessions in state.vscdb under cursorDiskKV.', {
      scope: { kind: 'project', name: 'sessions' },
    });
    await add(index, dir, 'The feed agent must post threads oldest first.', {
      scope: { kind: 'agent', name: 'feed' },
    });
    expect(searchKnowledge(index, 'how do I deal with twitter rate limits?')[0]!.learning.id).toBe(
      a.learning.id,
    );
    for (const q of ['"unbalanced', 'AND OR NOT', 'x-rate-limit*', 'col:val (', '^NEAR/3'])
      expect(() => searchKnowledge(index, q)).not.toThrow();
    // Scope raises the score, it does not filter: another project's strong match is still found, labelled.
    const other = searchKnowledge(index, 'cursor composer sessions', { project: 'other' });
    const own = searchKnowledge(index, 'cursor composer sessions', { project: 'sessions' });
    expect(other.map((h) => h.scopeMatch)).toEqual(['other']);
    expect(own.map((h) => h.scopeMatch)).toEqual(['project']);
    expect(own[0]!.score).toBeGreaterThan(other[0]!.score);
    expect(searchKnowledge(index, 'post threads oldest first', { agent: 'feed' })[0]!.scopeMatch).toBe(
      'agent',
    );
    const brief = buildContext(index, { task: 'where cursor keeps composer sessions', project: 'other' });
    expect(brief.markdown).toContain('project sessions');
  });

  test('context is a short brief of what is relevant, within budget, and empty when nothing is', async () => {
    const { dir, index } = await kb();
    for (const text of [
      'Billing deploys need the invoice feature flag toggled before the ledger migration runs.',
      'Billing rollouts go behind a canary for an hour; watch the refund error rate.',
      'The billing schema check must pass before deploy or the ledger job crashes at start.',
      'Search reindexing takes 40 minutes; schedule it outside office hours.',
      'Uploads larger than 5 GB need multipart; the proxy cuts single PUTs at 5 GB.',
      'Email bounces spike when the SPF record lacks the new relay host.',
      'Metrics scrapes time out at 10s when the exporter runs on a busy core.',
      'The queue worker drops jobs when Redis evicts keys: set maxmemory-policy noeviction.',
    ])
      await add(index, dir, text);
    await add(
      index,
      dir,
      'Twitter sync: fetch the home timeline with since_id, not by time, or tweets are missed.',
    );
    const brief = buildContext(index, { task: 'sync the twitter home timeline', budgetTokens: 200 });
    expect(brief.markdown).toContain('since_id');
    expect(brief.tokens).toBeLessThanOrEqual(200);
    expect(brief.hits.every((h) => /twitter|timeline/i.test(h.learning.body))).toBe(true);
    expect(buildContext(index, { task: 'bake sourdough bread' }).markdown).toBe('');
    const big = buildContext(index, {
      task: 'deploy billing: feature flag, canary, schema check',
      budgetTokens: 300,
    });
    expect(big.tokens).toBeLessThanOrEqual(300);
    expect(big.hits.length).toBeGreaterThan(1);
    expect(big.hits.every((h) => /billing/i.test(h.learning.body))).toBe(true);
  });
});

describe('what the briefs cost', () => {
  test('each brief is recorded with its run, learnings and tokens; stats show use and the never served', async () => {
    const { dir, index } = await kb();
    const feed = await add(index, dir, 'The feed API pages with since_id; paging by time skips late posts.');
    const unused = await add(
      index,
      dir,
      'Redis evicts keys under memory pressure unless maxmemory-policy is noeviction.',
    );
    const first = buildContext(index, { task: 'page through the feed API with since_id' });
    expect(first.served.map((s) => s.id)).toEqual([feed.learning.id]);
    expect(first.served[0]!.tokens).toBeGreaterThan(5);
    recordBrief(index, first, { runId: 'run-1', agent: 'feed' });
    recordBrief(index, buildContext(index, { task: 'bake sourdough bread' }), {
      runId: 'run-2',
      agent: 'baker',
    });
    const stats = knowledgeStats(index, { runId: 'run-1' });
    expect(stats).toMatchObject({ briefs: 2, emptyBriefs: 1, tokens: first.tokens });
    expect(stats.served.map((u) => [u.id, u.served])).toEqual([[feed.learning.id, 1]]);
    expect(stats.neverServed.map((u) => u.id)).toEqual([unused.learning.id]);
    expect(stats.run).toEqual([
      expect.objectContaining({
        runId: 'run-1',
        learnings: [{ id: feed.learning.id, tokens: first.served[0]!.tokens }],
      }),
    ]);
    expect(knowledgeStats(index, { since: '2999-01-01' }).briefs).toBe(0);
  });

  test('a long task (a whole prompt) is judged passage by passage', async () => {
    const { dir, index } = await kb();
    const lesson = await add(
      index,
      dir,
      'The feed API pages with since_id; paging by time skips late posts.',
    );
    const prompt = [
      'You are the sync agent for the partner content platform and you run every hour on the coordinator.',
      'Read the configuration from the repository, check the credentials, and report progress in the team channel.',
      'Fetch new posts from the feed API page by page with since_id and store them.',
      'Write a short summary of what changed, open a pull request with the summary, and wait for review comments.',
    ].join('\n');
    expect(passagesOf(prompt).length).toBeGreaterThan(1);
    expect(buildContext(index, { task: prompt }).hits.map((h) => h.learning.id)).toEqual([
      lesson.learning.id,
    ]);
  });
});

describe('the brief of a short prompt with one relevant sentence (QA session 3, item 1)', () => {
  // The knowledge dir QA had: two twitter learnings next to two others, all org-wide but the payments one.
  async function qaKb() {
    const { dir, index } = await kb();
    const ids = [
      await add(
        index,
        dir,
        'The twitter API returns 429 when more than 300 requests are sent in 15 minutes; wait for the x-rate-limit-reset header before retrying',
        { tags: ['twitter', 'api'] },
      ),
      await add(
        index,
        dir,
        'The twitter API now allows 900 requests per 15 minutes for the v2 search endpoint, no longer 300',
        { tags: ['twitter', 'api'] },
      ),
    ].map((r) => r.learning.id);
    await add(
      index,
      dir,
      'Running pnpm install with --frozen-lockfile fails on CI when the lockfile was written by pnpm 9; regenerate it with the pinned walrusbanana',
      { tags: ['ci'] },
    );
    await add(
      index,
      dir,
      'The payments staging database is reached only through the VPN bastion at bastion.internal; direct connections time out',
      { scope: { kind: 'project', name: 'payments' } },
    );
    return { index, twitter: ids.sort() };
  }
  const briefed = (index: KnowledgeIndex, task: string) =>
    buildContext(index, { task })
      .hits.map((h) => h.learning.id)
      .sort();

  test('the relevant sentence alone briefs both twitter learnings', async () => {
    const { index, twitter } = await qaKb();
    expect(briefed(index, 'Stay under the twitter API rate limit.')).toEqual(twitter);
  });

  test('so does the same sentence after two others no learning knows, on one line, on lines or in paragraphs', async () => {
    const { index, twitter } = await qaKb();
    const sentences = [
      'You maintain the feed.',
      'Every hour, fetch new tweets from the twitter API, dedupe them and store them in the archive.',
      'Stay under the twitter API rate limit.',
    ];
    for (const sep of [' ', '\n', '\n\n']) {
      const task = sentences.join(sep);
      expect(passagesOf(task)).toContain('Stay under the twitter API rate limit.');
      expect(briefed(index, task)).toEqual(twitter);
    }
  });

  test('a task about something else still gets an empty brief', async () => {
    const { index } = await qaKb();
    expect(briefed(index, 'Fix the flaky upload test. Then write the release notes.')).toEqual([]);
  });
});

describe('extraction', () => {
  const ev = (id: number, e: Partial<SessionEvent>): SessionEvent => ({
    id,
    sessionId: 's',
    seq: id,
    role: 'assistant',
    kind: 'text',
    sidechain: false,
    files: [],
    commands: [],
    ...e,
  });

  test('markers, a failed command followed by the fix that worked, and a rate-limit discovery', () => {
    const events = [
      ev(1, { role: 'user', kind: 'prompt', text: 'Fix the build. Record lessons as LEARNED: lines.' }),
      ev(2, { kind: 'tool_use', toolName: 'Bash', toolUseId: 't1', commands: ['npm test'] }),
      ev(3, {
        role: 'tool',
        kind: 'tool_result',
        toolUseId: 't1',
        isError: true,
        text: 'npm ERR! missing script: test',
      }),
      ev(4, {
        kind: 'tool_use',
        toolName: 'Bash',
        toolUseId: 't2',
        commands: ['pnpm test --filter @habitat/runner'],
      }),
      ev(5, { role: 'tool', kind: 'tool_result', toolUseId: 't2', isError: false, text: 'ok' }),
      ev(6, { kind: 'tool_use', toolName: 'WebFetch', toolUseId: 't3' }),
      ev(7, {
        role: 'tool',
        kind: 'tool_result',
        toolUseId: 't3',
        text: 'HTTP 429 Too Many Requests\nretry-after: 60',
      }),
      ev(8, { text: 'LEARNED: this repo uses pnpm workspaces; npm scripts are not defined at the root.' }),
    ];
    const candidates = extractOffline(events);
    expect(candidates.map((c) => c.source)).toEqual(['explicit', 'heuristic', 'heuristic']);
    expect(candidates[0]!.body).toBe(
      'this repo uses pnpm workspaces; npm scripts are not defined at the root.',
    );
    expect(candidates[1]!.body).toContain('`npm test` failed (npm ERR! missing script: test)');
    expect(candidates[1]!.body).toContain('`pnpm test --filter @habitat/runner` worked');
    expect(candidates[2]!.tags).toEqual(['rate-limit']);
    expect(candidates[2]!.eventIds).toEqual([7]);
  });

  test('a prompt that mentions LEARNED: is not itself a learning', () => {
    expect(
      extractOffline([
        ev(1, { role: 'user', kind: 'prompt', text: 'LEARNED: write lessons like this one please' }),
      ]),
    ).toEqual([]);
    expect(extractMarkers('noise\n - LEARNED: the cache key includes the lockfile hash\n')).toEqual([
      'the cache key includes the lockfile hash',
    ]);
  });

  test('LEARNED: anywhere in a line; ordinary pacing text is not a rate-limit lesson', () => {
    expect(extractMarkers('Done. LEARNED: the feed API pages with since_id, not by time.')).toEqual([
      'the feed API pages with since_id, not by time.',
    ]);
    expect(extractMarkers('UNLEARNED: nothing here to keep at all')).toEqual([]);
    const pacing = extractOffline([
      ev(1, { kind: 'text', text: 'x-rate-limit-remaining: 42, staying well under the rate limit.' }),
      ev(2, { role: 'tool', kind: 'tool_result', toolUseId: 't', text: 'rate limit: 300 per 15 minutes' }),
    ]);
    expect(pacing).toEqual([]);
    const hit = extractOffline([ev(1, { kind: 'text', text: 'We hit the rate limit on the search API.' })]);
    expect(hit.map((c) => c.tags)).toEqual([['rate-limit']]);
  });

  test('the write test: generalizable, non-obvious, actionable, novel', () => {
    const good = {
      title: 'Stripe webhooks need the raw body',
      body: 'Mount express.raw() on the webhook route; express.json() breaks signature verification.',
    };
    expect(writeTest(good)).toEqual([]);
    expect(writeTest({ title: 'Tests', body: 'Always write tests for your code.' })).toContain('non-obvious');
    expect(
      writeTest({
        title: 'The session',
        body: 'In this session I just looked at the logs of the service for a while.',
      }),
    ).toEqual(expect.arrayContaining(['generalizable', 'actionable']));
    expect(writeTest(good, { prompts: [`${good.title}. ${good.body}`] })).toEqual(['novel']);
  });

  test("a model's answer is validated; junk is an error, not a learning", () => {
    expect(
      parseModelLearnings(
        '```json\n{"learnings":[{"title":"Pin pnpm","body":"pnpm 12 needs pmOnFail: ignore for frozen installs.","tags":["pnpm"]}]}\n```',
      ),
    ).toHaveLength(1);
    expect(() => parseModelLearnings('I could not find anything')).toThrow(/without a JSON object/);
    expect(() => parseModelLearnings('{"learnings":[{"title":"x"}]}')).toThrow();
  });
});
