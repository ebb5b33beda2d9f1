// Keeping the index in step with the files without reading them all on every call: a large knowledge base trusts
// the directory's mtime (adds, deletes and renames change it; habitat's own writes and editors that save by
// rename too), a small one checks every file. Every kind of change is made here as another process would make
// it, and after each one the index must hold exactly what the files say — and the read-only open used by the
// CLI's fast path must refuse to answer whenever a sync has something to do.
import { readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
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
    // An index of another layout is the read-write open's to rebuild.
    rw.db.pragma('user_version = 1');
    expect(openKnowledgeIfCurrent(opts)).toBeUndefined();
  });
});
