// Keeping the index in step with the files without reading them all on every call: a large knowledge base trusts
// the directory's mtime (adds, deletes and renames change it; habitat's own writes and editors that save by
// rename too), a small one checks every file. Every kind of change is made here as another process would make
// it, and after each one the index must hold exactly what the files say — and the read-only open used by the
// CLI's fast path must refuse to answer whenever a sync has something to do.
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { testdir } from '@habitat/testkit';
import { afterEach, describe, expect, test } from 'vitest';
import {
  addLearning,
  buildContext,
  formatLearning,
  type KnowledgeIndex,
  type Learning,
  openKnowledge,
  openKnowledgeIfCurrent,
  readLearnings,
  searchKnowledge,
} from '../src/index.js';

const open: KnowledgeIndex[] = [];
afterEach(() => {
  for (const index of open.splice(0)) index.close();
});
const keep = <T extends KnowledgeIndex | undefined>(index: T): T => {
  if (index) open.push(index);
  return index;
};

async function base(count: number) {
  const root = testdir();
  const dir = path.join(root, 'knowledge');
  const stateDir = path.join(root, '.habitat');
  const { index } = await openKnowledge({ stateDir, knowledgeDir: dir });
  for (let i = 0; i < count; i++)
    await addLearning(index, dir, {
      text: `Lesson ${i}: the service-${i} deploy needs the flag rollout-${i * 7} before the migration.`,
      provenance: { source: 'person' },
    });
  index.close();
  return { dir, stateDir };
}

/** What the files say: id -> title and body. */
async function truth(dir: string): Promise<Map<string, string>> {
  const { learnings } = await readLearnings(dir);
  return new Map(learnings.map((l) => [l.id, `${l.title}\n${l.body}`]));
}
const indexed = (index: KnowledgeIndex) => new Map(index.all().map((l) => [l.id, `${l.title}\n${l.body}`]));

/** As if the change was a while ago: the directory's mtime moved into the past (see RACY_MS). */
function age(dir: string): void {
  const past = Date.now() / 1000 - 10;
  utimesSync(dir, past, past);
}

const fileOf = (l: Learning) => l.file!;

describe('sync follows every kind of change', () => {
  for (const [name, sweepBelow] of [
    ['large (directory mtime)', 0],
    ['small (every file)', 2000],
  ] as const) {
    test(`${name}: edits by rename, adds, deletes, renames; in-place edits`, async () => {
      const { dir, stateDir } = await base(4);
      const opts = { stateDir, knowledgeDir: dir, sweepBelow };
      const first = keep((await openKnowledge(opts)).index);
      const learnings = first.all();
      age(dir);
      keep((await openKnowledge(opts)).index);
      const current = keep(openKnowledgeIfCurrent(opts));
      expect(current).toBeDefined();

      /** After a change: the fast path refuses, a sync brings the index to what the files say, then it answers. */
      const check = async (expected: Partial<Record<'added' | 'updated' | 'removed', number>>) => {
        age(dir);
        expect(keep(openKnowledgeIfCurrent(opts))).toBeUndefined();
        const { index, report } = await openKnowledge(opts);
        keep(index);
        expect(report).toMatchObject({ added: 0, updated: 0, removed: 0, ...expected });
        expect([...indexed(index).keys()].sort()).toEqual([...(await truth(dir)).keys()].sort());
        expect([...indexed(index)].sort()).toEqual([...(await truth(dir))].sort());
        const readOnly = keep(openKnowledgeIfCurrent(opts));
        expect(readOnly).toBeDefined();
        // the count kept in meta (size) is the rows' count
        expect(readOnly!.size()).toBe(readOnly!.count());
        for (const q of ['service-2 deploy flag', 'migration rollout', 'edited'])
          expect(searchKnowledge(readOnly!, q)).toEqual(searchKnowledge(index, q));
      };

      // An edit saved by rename (habitat's own writes, most editors): written to a temporary file, renamed over.
      const edited = learnings[0]!;
      const tmp = `${fileOf(edited)}.tmp`;
      writeFileSync(tmp, formatLearning({ ...edited, body: `${edited.body} Edited: use the canary pool.` }));
      renameSync(tmp, fileOf(edited));
      await check({ updated: 1 });

      // A file added by someone else (git pull).
      const added = { ...learnings[1]!, id: 'k-added001', title: 'Added by a pull: the queue needs a DLQ' };
      writeFileSync(path.join(dir, 'added-by-a-pull-added001.md'), formatLearning(added));
      await check({ added: 1 });

      // A file deleted.
      rmSync(fileOf(learnings[2]!));
      await check({ removed: 1 });

      // A file renamed (git mv): the same learning under a new path.
      renameSync(fileOf(learnings[3]!), path.join(dir, 'renamed-by-hand.md'));
      await check({ added: 1, removed: 1 });

      // An edit in place (the same inode; the directory does not change).
      const inPlace = fileOf(learnings[1]!);
      writeFileSync(
        inPlace,
        readFileSync(inPlace, 'utf8').replace('before the migration', 'after edited checks'),
      );
      if (sweepBelow === 0) {
        // A large knowledge base sees it at its next full sweep (every 10 minutes, `habitat knowledge index`).
        const stale = keep(openKnowledgeIfCurrent(opts));
        expect(stale).toBeDefined();
        const full = await openKnowledge({ ...opts, full: true });
        keep(full.index);
        expect(full.report).toMatchObject({ mode: 'swept', updated: 1 });
        expect(indexed(full.index)).toEqual(await truth(dir));
      } else await check({ updated: 1 });
    });
  }

  test('a change in the same timestamp tick as the last sweep is not missed (coarse mtimes)', async () => {
    const { dir, stateDir } = await base(3);
    const opts = { stateDir, knowledgeDir: dir, sweepBelow: 0 };
    // A file system whose timestamps have a resolution of a second: the directory's mtime is a whole second.
    const tick = Math.floor(Date.now() / 1000);
    utimesSync(dir, tick, tick);
    keep((await openKnowledge(opts)).index); // a sweep within that second records that mtime
    const text = readFileSync((await readLearnings(dir)).learnings[0]!.file!, 'utf8');
    writeFileSync(path.join(dir, 'late-k-late0001.md'), text.replace(/^id: .*$/m, 'id: k-late0001'));
    utimesSync(dir, tick, tick); // ... and a file added in the same second leaves it as it was
    expect(statSync(dir).mtimeMs).toBe(tick * 1000);
    expect(keep(openKnowledgeIfCurrent(opts))).toBeUndefined();
    const { index, report } = await openKnowledge(opts);
    keep(index);
    expect(report).toMatchObject({ mode: 'swept', added: 1 });
    expect(index.get('k-late0001')).toBeDefined();
  });
});

describe('two files with one id (a learning file copied by hand)', () => {
  test('the sync names both; deleting the copy serves the original again', async () => {
    const { dir, stateDir } = await base(3);
    const opts = { stateDir, knowledgeDir: dir };
    const original = (await readLearnings(dir)).learnings[0]!;
    const copy = path.join(dir, 'copy-of-a-lesson.md');
    writeFileSync(
      copy,
      readFileSync(fileOf(original), 'utf8').replaceAll('before the migration', 'zebracorn'),
    );
    let { index, report } = await openKnowledge(opts);
    expect(report.errors).toEqual([
      `${copy}: its id ${original.id} is also the id of ${fileOf(original)}; only this file's learning is served. Give one of them another id`,
    ]);
    expect(index.get(original.id)?.body).toContain('zebracorn');
    index.close();
    rmSync(copy);
    ({ index, report } = await openKnowledge(opts));
    keep(index);
    expect(report).toMatchObject({ removed: 1, errors: [] });
    // the original's file did not change, and its learning is served again (it was dropped with the copy before)
    expect(indexed(index)).toEqual(await truth(dir));
    expect(searchKnowledge(index, 'migration').map((h) => h.learning.id)).toContain(original.id);
    expect(keep(openKnowledgeIfCurrent(opts))).toBeDefined();
  });
});

describe('a learning file whose front matter breaks', () => {
  test('is named at its own line (the opening --- is line 1) on every read, not only by the sync that found it; its last good version is served until it parses', async () => {
    const { dir, stateDir } = await base(2);
    const learning = (await readLearnings(dir)).learnings[0]!;
    const file = fileOf(learning);
    const good = readFileSync(file, 'utf8');
    const text = good.replace(/^scope: (.*)$/m, 'scope: [$1');
    writeFileSync(file, text);
    // the unclosed [ itself, not the next line where YAML gave up
    const line = text.split('\n').findIndex((l) => l.startsWith('scope: [')) + 1;
    const first = await openKnowledge({ stateDir, knowledgeDir: dir });
    keep(first.index);
    expect(first.report.errors).toEqual([
      `${file}:${line}:8: front matter is not valid YAML: the list opened here with "[" is never closed: add the missing "]"`,
    ]);
    // a later sync reads nothing (the file did not change) and still knows
    const again = await openKnowledge({ stateDir, knowledgeDir: dir });
    keep(again.index);
    expect(again.report.errors).toEqual([]);
    expect(again.index.broken()).toEqual([{ file, id: learning.id, error: first.report.errors[0] }]);
    expect(again.index.get(learning.id)?.title).toBe(learning.title);
    // so does the fast path's read-only open
    const ro = keep(openKnowledgeIfCurrent({ stateDir, knowledgeDir: dir }));
    expect(ro?.broken().map((b) => b.file)).toEqual([file]);
    // fixed: nothing is said any more
    writeFileSync(file, good);
    const fixed = await openKnowledge({ stateDir, knowledgeDir: dir });
    keep(fixed.index);
    expect(fixed.index.broken()).toEqual([]);
  });

  test('deleted while broken, its last good version goes with it', async () => {
    const { dir, stateDir } = await base(2);
    const learning = (await readLearnings(dir)).learnings[0]!;
    const file = fileOf(learning);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^scope: (.*)$/m, 'scope: [$1'));
    keep((await openKnowledge({ stateDir, knowledgeDir: dir })).index);
    rmSync(file);
    const { index } = await openKnowledge({ stateDir, knowledgeDir: dir });
    keep(index);
    expect(index.get(learning.id)).toBeUndefined();
    expect(index.broken()).toEqual([]);
    expect(indexed(index)).toEqual(await truth(dir));
  });
});

describe('the read-only open', () => {
  test('answers as the read-write index does, with node:sqlite and with better-sqlite3; refuses what it cannot', async () => {
    const { dir, stateDir } = await base(6);
    const opts = { stateDir, knowledgeDir: dir };
    expect(
      openKnowledgeIfCurrent({ stateDir: path.join(stateDir, 'none'), knowledgeDir: dir }),
    ).toBeUndefined();
    const rw = keep((await openKnowledge(opts)).index);
    for (const sqlite of [undefined, 'better-sqlite3']) {
      if (sqlite) process.env.HABITAT_SQLITE = sqlite;
      try {
        const ro = keep(openKnowledgeIfCurrent(opts))!;
        expect(ro).toBeDefined();
        expect(ro.count()).toBe(6);
        for (const q of ['service-3 deploy', 'rollout migration flag', 'nothing like this'])
          expect(searchKnowledge(ro, q)).toEqual(searchKnowledge(rw, q));
        const task = { task: 'the service-1 deploy before the migration' };
        expect(buildContext(ro, task)).toEqual(buildContext(rw, task));
      } finally {
        delete process.env.HABITAT_SQLITE;
      }
    }
    // A learning removed through the API: the count kept in meta is dropped, and counted again.
    rw.remove(rw.all()[0]!.id);
    expect(keep(openKnowledgeIfCurrent(opts))!.size()).toBe(5);
    // An index of another layout is the read-write open's to rebuild.
    rw.db.pragma('user_version = 1');
    expect(openKnowledgeIfCurrent(opts)).toBeUndefined();
  });
});

/** The package's built reader thread (turbo builds the package before its tests); from the sources there is none. */
const readerModule = new URL('../dist/learning-reader.js', import.meta.url);

describe('a first build', () => {
  test.each([
    ['on this thread', undefined],
    ['with a reader thread', { url: readerModule, from: 1 }],
    ['with three reader threads', { url: readerModule, from: 1, threads: 3 }],
  ])(
    'of hundreds of files (rows first, FTS and indexes built once, %s) indexes what a file-by-file sync does',
    async (_, readers) => {
      const root = testdir();
      const dir = path.join(root, 'knowledge');
      const words = 'postgres redis deploy rollout cache queue worker token proxy region timeout retry'.split(
        ' ',
      );
      const learning = (i: number): Learning => ({
        id: `k-bulk${i.toString().padStart(4, '0')}`,
        title: `${words[i % 12]} lesson ${i} about ${words[(i * 5) % 12]}`,
        body: `The ${words[(i * 7) % 12]} of service-${i % 9} needs ${words[(i * 3) % 12]} set to ${i}.`,
        tags: [words[i % 5]!],
        scope: i % 2 ? { kind: 'org' } : { kind: 'project', name: `p${i % 3}` },
        status: i % 17 ? 'active' : 'pending',
        confidence: 0.5,
        provenance: [{ source: 'person', time: '2026-01-01T00:00:00.000Z' }],
        supersedes: [],
        conflictsWith: [],
        created: '2026-01-01T00:00:00.000Z',
        updated: `2026-01-01T00:${String(i % 60).padStart(2, '0')}:00.000Z`,
      });
      const stateA = path.join(root, 'a');
      const stateB = path.join(root, 'b');
      // B: one file first, so the rest arrive in a sync of a non-empty index (a row and its FTS entry at a time)
      const { writeFileSync: write, mkdirSync } = await import('node:fs');
      mkdirSync(dir, { recursive: true });
      write(path.join(dir, 'first-bulk0000.md'), formatLearning(learning(0)));
      keep((await openKnowledge({ stateDir: stateB, knowledgeDir: dir })).index);
      for (let i = 1; i < 320; i++) write(path.join(dir, `l-${i}.md`), formatLearning(learning(i)));
      // a copy under another name (the same id: one of the two is indexed), and a file that does not parse
      write(path.join(dir, 'zz-copy.md'), formatLearning({ ...learning(5), title: 'postgres copy of five' }));
      write(path.join(dir, 'broken.md'), '---\nid: [unclosed\n---\nbody\n');
      const a = await openKnowledge({ stateDir: stateA, knowledgeDir: dir, readers });
      const b = await openKnowledge({ stateDir: stateB, knowledgeDir: dir });
      keep(a.index);
      keep(b.index);
      // the copy is named with the file it shadows, in a first build as in a file-by-file sync
      const shadowed = expect.stringMatching(/zz-copy\.md: its id k-bulk0005 is also the id of .*l-5\.md;/);
      expect(a.report).toMatchObject({
        files: 322,
        added: 322,
        errors: expect.arrayContaining([expect.stringContaining('broken.md'), shadowed]),
      });
      expect(a.report.errors).toHaveLength(2);
      expect(b.report).toMatchObject({
        added: 321,
        errors: expect.arrayContaining([expect.stringContaining('broken.md'), shadowed]),
      });
      const rows = (index: KnowledgeIndex) =>
        index
          .all()
          .map((l) => JSON.stringify(l))
          .sort();
      expect(a.index.count()).toBe(320);
      expect(keep(openKnowledgeIfCurrent({ stateDir: stateA, knowledgeDir: dir }))!.size()).toBe(320);
      expect(rows(a.index)).toEqual(rows(b.index));
      expect(a.index.get('k-bulk0005')!.title).toBe('postgres copy of five'); // the last read, in name order
      for (const q of ['postgres rollout', 'service-3 timeout', 'redis', 'copy of five', 'nothing here'])
        expect(searchKnowledge(a.index, q, { includePending: true })).toEqual(
          searchKnowledge(b.index, q, { includePending: true }),
        );
      const indexes = (index: KnowledgeIndex) =>
        index.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name").all();
      expect(indexes(a.index)).toEqual(indexes(b.index));
      expect(indexes(a.index)).toContainEqual({ name: 'learnings_status' });
    },
  );
});

describe('a first build into a file of its own', () => {
  const write = (dir: string, n: number, from = 0) => {
    mkdirSync(dir, { recursive: true });
    for (let i = from; i < from + n; i++)
      writeFileSync(
        path.join(dir, `l-${i}.md`),
        formatLearning({
          id: `k-aside${i}`,
          title: `lesson ${i} about the rollout`,
          body: `service-${i} needs the flag.`,
          tags: [],
          scope: { kind: 'org' },
          status: 'active',
          confidence: 0.5,
          provenance: [{ source: 'person', time: '2026-01-01T00:00:00.000Z' }],
          supersedes: [],
          conflictsWith: [],
          created: '2026-01-01T00:00:00.000Z',
          updated: '2026-01-01T00:00:00.000Z',
        }),
      );
  };

  test('replaces an empty index: renamed over it in WAL mode, the old WAL gone, no build file left', async () => {
    const root = testdir();
    const dir = path.join(root, 'knowledge');
    const stateDir = path.join(root, '.habitat');
    const file = path.join(stateDir, 'knowledge.db');
    // an index that exists and holds nothing (a sync of an empty directory)
    keep((await openKnowledge({ stateDir, knowledgeDir: dir })).index).close();
    const before = statSync(file).ino;
    // a build file of a process that is gone (killed half way) is cleaned up
    writeFileSync(`${file}.build-999999999`, 'half a build');
    write(dir, 450);
    const { index, report } = await openKnowledge({ stateDir, knowledgeDir: dir });
    keep(index);
    expect(report).toMatchObject({ files: 450, added: 450, errors: [] });
    expect(statSync(file).ino).not.toBe(before); // a new file
    expect(readdirSync(stateDir).filter((n) => n.includes('.build-'))).toEqual([]);
    expect(index.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(index.count()).toBe(450);
    expect(searchKnowledge(index, 'service-17')[0]?.learning.id).toBe('k-aside17');
    // the renamed index is written to as any other: a new file, then the read-only open answers
    write(dir, 1, 450);
    expect((await index.sync(dir, { full: true })).added).toBe(1);
    expect(index.get('k-aside450')?.title).toBe('lesson 450 about the rollout');
    index.close();
    const again = keep(openKnowledgeIfCurrent({ stateDir, knowledgeDir: dir, sweepBelow: 10_000 }));
    expect(again?.size()).toBe(451);
  });

  test('an index with a served record is rebuilt in place, the record kept', async () => {
    const root = testdir();
    const dir = path.join(root, 'knowledge');
    const stateDir = path.join(root, '.habitat');
    const first = keep((await openKnowledge({ stateDir, knowledgeDir: dir })).index);
    first.db
      .prepare("INSERT INTO briefs (time, tokens, learnings) VALUES ('2026-01-01T00:00:00Z', 10, 0)")
      .run();
    const ino = statSync(path.join(stateDir, 'knowledge.db')).ino;
    first.close();
    write(dir, 300);
    const { index, report } = await openKnowledge({ stateDir, knowledgeDir: dir });
    keep(index);
    expect(report.added).toBe(300);
    expect(statSync(path.join(stateDir, 'knowledge.db')).ino).toBe(ino);
    expect(index.db.prepare('SELECT count(*) AS n FROM briefs').get()).toEqual({ n: 1 });
    expect(index.count()).toBe(300);
  });

  test('a reader thread that fails fails the sync with its reason and leaves the index as it was', async () => {
    const root = testdir();
    const dir = path.join(root, 'knowledge');
    const stateDir = path.join(root, '.habitat');
    write(dir, 300);
    const broken = path.join(root, 'broken-reader.mjs');
    writeFileSync(broken, "throw new Error('no disk today');\n");
    const url = new URL(`file://${broken}`);
    await expect(openKnowledge({ stateDir, knowledgeDir: dir, readers: { url, from: 1 } })).rejects.toThrow(
      /reader thread .*no disk today/,
    );
    expect(readdirSync(stateDir).filter((n) => n.includes('.build-'))).toEqual([]);
    const { index, report } = await openKnowledge({ stateDir, knowledgeDir: dir });
    keep(index);
    expect(report.added).toBe(300);
    expect(index.count()).toBe(300);
  });
});

test('naming the files that do not parse (every search and context does) reads an index of them, not every file', async () => {
  const { dir, stateDir } = await base(3);
  writeFileSync(path.join(dir, 'broken.md'), '---\nid: [unclosed\n---\nbody\n');
  const { index } = await openKnowledge({ stateDir, knowledgeDir: dir });
  keep(index);
  expect(index.broken().map((b) => path.basename(b.file))).toEqual(['broken.md']);
  const plan = index.db
    .prepare('EXPLAIN QUERY PLAN SELECT path, id, error FROM files WHERE error IS NOT NULL ORDER BY path')
    .all() as { detail: string }[];
  expect(plan.map((p) => p.detail).join('\n')).toMatch(/USING INDEX files_broken/);
});
