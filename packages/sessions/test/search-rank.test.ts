/**
 * Search ranking without FTS5's whole-doclist IDF pass (src/query-rank.ts), checked against FTS5's own bm25 on the
 * real transcripts in `<repo>/../shared/real-sessions` and on a generated corpus where every word is common.
 */
import { appendFileSync, globSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateCorpus } from '../bench/gen-corpus.js';
import { indexSessions } from '../src/index.js';
import { type SearchHit, SessionIndex, snippetOf } from '../src/query.js';
import { type RankTuning, tokensOf } from '../src/query-rank.js';
import { openDatabase } from '../src/store.js';

const real = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'real-sessions', 'claude');
let dir: string;
let realDb: string;
let genDb: string;
const open = (db: string, tuning: RankTuning = {}) => new SessionIndex(openDatabase(db), tuning);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'search-rank-'));
  realDb = join(dir, 'real.db');
  indexSessions({ dbPath: realDb, sources: { claude: [real], defaults: false } });
  // every word of the generated corpus is in ~20% of the events: the common-word path runs on it
  const corpus = join(dir, 'corpus');
  generateCorpus({ out: corpus, bytes: 3 << 20, files: 12, seed: 7 });
  genDb = join(dir, 'gen.db');
  indexSessions({ dbPath: genDb, sources: { claude: [corpus], defaults: false } });
  // then a session whose one event is about a docker container timeout, among thousands that name each word
  const [file] = globSync('projects/**/*.jsonl', { cwd: corpus });
  appendFileSync(
    join(corpus, file as string),
    `${JSON.stringify({
      type: 'user',
      sessionId: 'needle',
      uuid: 'needle-1',
      timestamp: '2026-11-30T12:00:00Z',
      cwd: '/w/needle',
      message: { role: 'user', content: 'docker container timeout: the docker container hit its timeout' },
    })}\n`,
  );
  indexSessions({ dbPath: genDb, sources: { claude: [corpus], defaults: false } });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Terms of the real index at every document frequency, from the vocabulary itself (no hand-picked words). */
function vocabulary(db: string, count: number): string[] {
  const ix = open(db);
  try {
    ix.db.exec('CREATE VIRTUAL TABLE IF NOT EXISTS temp.v USING fts5vocab(main, events_fts, row)');
    const terms = ix.db
      .prepare(
        "SELECT term FROM temp.v WHERE doc >= 3 AND length(term) >= 3 AND term GLOB '[a-z]*' ORDER BY doc DESC",
      )
      .pluck()
      .all() as string[];
    const step = Math.max(1, Math.floor(terms.length / count));
    return terms.filter((_, i) => i % step === 0).slice(0, count);
  } finally {
    ix.close();
  }
}

const ids = (hits: SearchHit[]) => hits.map((h) => h.eventId);

describe('on the real transcripts', () => {
  test('the own path computes FTS5 bm25 score for score when it counts every match (ids, order and scores)', () => {
    const terms = vocabulary(realDb, 60);
    const queries = [
      ...terms,
      // two words, a phrase, a prefix (runs the prefix fallback), words not all present (the OR fallback)
      ...terms.slice(0, 20).map((t, i) => `${t} ${terms[terms.length - 1 - i]}`),
      ...terms.slice(0, 10).map((t, i) => `"${t} ${terms[i + 1]}"`),
      ...terms.slice(0, 10).map((t) => `${t.slice(0, 4)}*`),
      ...terms.slice(0, 5).map((t) => `${t} zzqqxx`),
    ];
    const fts = open(realDb, { path: 'fts' });
    const own = open(realDb, { path: 'own', exactBelow: 1e9, window: 2000, maxExpansion: 1e6 });
    let compared = 0;
    try {
      for (const q of queries) {
        const a = fts.search(q, { limit: 100_000 });
        const b = own.search(q, { limit: 100_000 });
        expect(b.mode, q).toBe(a.mode);
        // equal scores may come in either order: compare the sorted (score, id) pairs and the scores in order
        expect(
          b.hits.map((h) => h.score),
          q,
        ).toEqual(a.hits.map((h) => expect.closeTo(h.score, 9)));
        expect(new Set(ids(b.hits)), q).toEqual(new Set(ids(a.hits)));
        if (a.hits.length > 0) expect(b.hits[0]?.score, q).toBeCloseTo(a.hits[0]?.score ?? 0, 9);
        compared += a.hits.length;
      }
    } finally {
      fts.close();
      own.close();
    }
    expect(compared).toBeGreaterThan(1000);
  });

  test('rare words (fewer matches than the window) get exactly the hits FTS5 bm25 gave, in every fallback', () => {
    const terms = vocabulary(realDb, 40);
    const queries = [
      ...terms,
      ...terms.slice(0, 10).map((t, i) => `${t} ${terms[i + 10]}`),
      ...terms.slice(0, 10).map((t) => `${t.slice(0, 3)}*`),
      'zzzz missing',
      '"quoted phrase"',
      'rate limit',
    ];
    const fts = open(realDb, { path: 'fts' });
    const auto = open(realDb);
    try {
      for (const q of queries) expect(auto.search(q), q).toEqual(fts.search(q));
    } finally {
      fts.close();
      auto.close();
    }
  });

  test('with frequencies estimated and the 500 window: FTS5 order for one word, its first hit for most pairs', () => {
    // every word counts as common here (exactBelow 5): df estimated from the density of its newest matches
    const terms = vocabulary(realDb, 80).slice(10);
    const fts = open(realDb, { path: 'fts' });
    const own = open(realDb, { exactBelow: 5, ftsBudget: 0 });
    let same = 0;
    let total = 0;
    try {
      for (const [i, t] of terms.entries()) {
        const single = [fts.search(t), own.search(t)];
        // one word: the IDF is a constant factor, so within the same matches the order must be the same
        if (single[0]!.hits.length < 500) expect(ids(single[1]!.hits), t).toEqual(ids(single[0]!.hits));
        const q = `${t} ${terms[(i * 7) % terms.length]}`;
        const [a, b] = [fts.search(q), own.search(q)];
        if (a.hits.length === 0) continue;
        total++;
        if (a.hits[0]?.eventId === b.hits[0]?.eventId) same++;
      }
    } finally {
      fts.close();
      own.close();
    }
    console.log(`two-word queries, estimated frequencies: FTS5's first hit kept in ${same} of ${total}`);
    expect(total).toBeGreaterThan(30);
    // two words of different rarity: the estimate may swap two close scores, rarely the first
    expect(same / total).toBeGreaterThanOrEqual(0.85); // 63 of 70 when written
  });

  test("sort recent: a query's newest matches, newest first, each with its bm25 score", () => {
    const fts = open(realDb, { path: 'fts' });
    const ix = open(realDb);
    try {
      for (const t of vocabulary(realDb, 20)) {
        const newest = ix.db
          .prepare('SELECT rowid FROM events_fts WHERE events_fts MATCH ? ORDER BY rowid DESC LIMIT 10')
          .pluck()
          .all(`"${t}"`);
        const recent = ix.search(t, { sort: 'recent', limit: 10 }).hits;
        expect(ids(recent), t).toEqual(newest);
        const scores = new Map(fts.search(t, { limit: 100_000 }).hits.map((h) => [h.eventId, h.score]));
        for (const h of recent)
          if (scores.has(h.eventId)) expect(h.score, t).toBeCloseTo(scores.get(h.eventId)!, 9);
      }
    } finally {
      fts.close();
      ix.close();
    }
  });

  test('snippets: the lazy word scan cuts what the whole-field scan cut', () => {
    const ix = open(realDb);
    try {
      const texts = ix.db
        .prepare('SELECT text FROM events WHERE text IS NOT NULL ORDER BY id LIMIT 1500')
        .pluck()
        .all() as string[];
      for (const [i, text] of texts.entries()) {
        const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
        const terms = [words[(i * 13) % Math.max(1, words.length)] ?? 'x'];
        for (const prefix of [false, true])
          expect(snippetOf([null, text], terms, prefix, '«', '»')).toBe(
            wholeFieldSnippet([null, text], terms, prefix, '«', '»'),
          );
      }
    } finally {
      ix.close();
    }
  });
});

describe('where every word is common (generated corpus)', () => {
  test('the event about the words is first, as with FTS5 bm25', () => {
    const fts = open(genDb, { path: 'fts' });
    // the corpus is 3 MB, not 1 GB: the thresholds scaled down with it (2000 → 100 matches, window 500 → 100)
    const auto = open(genDb, { exactBelow: 100, window: 100, ftsBudget: 0 });
    try {
      const needle = auto.db.prepare("SELECT id FROM events WHERE uuid = 'needle-1'").pluck().get();
      for (const q of ['docker timeout', 'timeout docker container', 'docker container']) {
        const [a, b] = [fts.search(q), auto.search(q)];
        expect(a.hits[0]?.eventId, q).toBe(needle);
        expect(b.hits[0]?.eventId, q).toBe(needle);
      }
      // the common path really ran: more matches than the exact path takes
      const n = auto.db
        .prepare(`SELECT count(*) FROM events_fts WHERE events_fts MATCH '"docker"'`)
        .pluck()
        .get() as number;
      expect(n).toBeGreaterThan(100);
    } finally {
      fts.close();
      auto.close();
    }
  });

  test('one common word over the same window: the same order as FTS5 bm25 (the IDF is a constant factor)', () => {
    const fts = open(genDb, { path: 'fts' });
    const own = open(genDb, { exactBelow: 100, window: 2000, ftsBudget: 0 });
    try {
      for (const q of ['docker', 'timeout', 'function', 'migration', 'the'])
        for (const filter of [{}, { tool: 'Bash' }, { errors: true }]) {
          const want = fts.search(q, { limit: 50, ...filter }).hits;
          expect(want.length, q).toBeGreaterThan(0);
          expect(ids(own.search(q, { limit: 50, ...filter }).hits), `${q} ${JSON.stringify(filter)}`).toEqual(
            ids(want),
          );
        }
    } finally {
      fts.close();
      own.close();
    }
  });

  test('a rare phrase of common words is ranked from its probe: FTS5 bm25 hits and scores without FTS5 ranking it', () => {
    const fts = open(genDb, { path: 'fts' });
    // scaled to ~2,500 events: a phrase's walk is costly past 200 rows of its words (150,000 at 1 GB)
    const auto = open(genDb, { window: 100, ftsBudget: 200 });
    // the default budget: the same phrases are cheap for FTS5 here, which ranks them as before
    const plain = open(genDb);
    const ran = new Map<SessionIndex, string[]>();
    for (const ix of [auto, plain]) {
      const prepare = ix.db.prepare.bind(ix.db);
      const sqls: string[] = [];
      ran.set(ix, sqls);
      ix.db.prepare = ((sql: string) => {
        sqls.push(sql);
        return prepare(sql);
      }) as typeof ix.db.prepare;
    }
    try {
      const count = (match: string) =>
        fts.db
          .prepare('SELECT count(*) FROM events_fts WHERE events_fts MATCH ?')
          .pluck()
          .get(match) as number;
      // three-word phrases as the corpus's texts hold them, kept when every word is common and the phrase is rare
      const texts = fts.db
        .prepare('SELECT text FROM events WHERE text IS NOT NULL ORDER BY id LIMIT 400')
        .pluck()
        .all() as string[];
      const phrases = new Set<string>(['container hit its timeout']);
      for (const text of texts) {
        const words = tokensOf(text).filter((w) => /^[a-z]{3,}$/.test(w));
        for (let i = 0; i + 3 <= words.length && phrases.size < 12; i += 5) {
          const phrase = words.slice(i, i + 3);
          const rarest = Math.min(...phrase.map((w) => count(`"${w}"`)));
          const n = count(`"${phrase.join(' ')}"`);
          if (rarest > 100 && n > 0 && n * 2 < rarest) phrases.add(phrase.join(' '));
        }
      }
      expect(phrases.size).toBeGreaterThan(5);
      for (const phrase of phrases) {
        const q = `"${phrase}"`;
        const want = fts.search(q).hits;
        expect(want.length, q).toBeGreaterThan(0);
        for (const got of [auto.search(q).hits, plain.search(q).hits]) {
          expect(ids(got), q).toEqual(ids(want));
          expect(got.map((h) => h.snippet)).toEqual(want.map((h) => h.snippet));
          for (const [i, h] of got.entries()) expect(h.score, q).toBeCloseTo(want[i]!.score, 9);
        }
      }
      // FTS5's bm25 (f.rank) never ran for the costly phrases; for the cheap ones it still does
      expect(ran.get(auto)!.filter((sql) => sql.includes('f.rank'))).toEqual([]);
      expect(ran.get(plain)!.some((sql) => sql.includes('f.rank'))).toBe(true);
    } finally {
      fts.close();
      auto.close();
      plain.close();
    }
  });

  test('common words whose matches add up to little (under ftsBudget rows) still get exactly FTS5 hits', () => {
    const fts = open(genDb, { path: 'fts' });
    // every word here is common for the probe (more than 100 matches), but the corpus holds ~2,500 events
    const auto = open(genDb, { exactBelow: 100 });
    try {
      for (const q of ['docker', 'error build', 'docker container timeout', 'sess*', 'zzzz missing'])
        expect(auto.search(q), q).toEqual(fts.search(q));
    } finally {
      fts.close();
      auto.close();
    }
  });

  test('an index without FTS5 row lengths (columnsize=0) is ranked by FTS5 as before', () => {
    const db = join(dir, 'nosize.db');
    const ix = open(db);
    try {
      ix.db.exec(`DROP TABLE events_fts;
        CREATE VIRTUAL TABLE events_fts USING fts5(text, thinking, input, content='events', content_rowid='id',
          tokenize='unicode61 remove_diacritics 2', columnsize=0);`);
      ix.db
        .prepare("INSERT INTO sessions (sid, id, source, path) VALUES (1, 's', 'claude', '/s.jsonl')")
        .run();
      const ins = ix.db.prepare(
        "INSERT INTO events (id, sid, seq, role, kind, text) VALUES (?, 1, ?, 'user', 'text', ?)",
      );
      for (let i = 1; i <= 30; i++) ins.run(i, i, i % 3 ? 'docker docker timeout' : 'docker');
      ix.db.exec("INSERT INTO events_fts (events_fts) VALUES ('rebuild')");
    } finally {
      ix.close();
    }
    const fts = open(db, { path: 'fts' });
    const auto = open(db, { exactBelow: 1, ftsBudget: 0 });
    try {
      expect(auto.search('docker timeout').hits.length).toBeGreaterThan(0);
      expect(auto.search('docker timeout')).toEqual(fts.search('docker timeout'));
    } finally {
      fts.close();
      auto.close();
    }
  });

  test('a prefix stands for its most frequent terms, at most maxExpansion of them', () => {
    const wide = open(genDb, { path: 'own', maxExpansion: 1e6, window: 1e9, exactBelow: 1e9 });
    const narrow = open(genDb, { maxExpansion: 1, exactBelow: 1, ftsBudget: 0 });
    try {
      wide.db.exec('CREATE VIRTUAL TABLE IF NOT EXISTS temp.v USING fts5vocab(main, events_fts, row)');
      // a prefix that is no word itself (else the exact stage answers) and stands for several
      const [prefix, top] = wide.db
        .prepare(
          `SELECT substr(term, 1, 4) AS p, max(term) FILTER (WHERE doc = (SELECT max(doc) FROM temp.v w WHERE substr(w.term, 1, 4) = substr(v.term, 1, 4)))
           FROM temp.v v WHERE length(term) > 4 AND term GLOB '[a-z]*' GROUP BY p
           HAVING count(*) >= 3 AND p NOT IN (SELECT term FROM temp.v) ORDER BY sum(doc) DESC LIMIT 1`,
        )
        .raw()
        .get() as [string, string];
      const all = wide.search(`${prefix}*`, { limit: 100_000 });
      const some = narrow.search(`${prefix}*`, { limit: 100_000 });
      expect(some.mode).toBe('all'); // a one-word query found as a prefix
      expect(some.hits.length).toBeGreaterThan(0);
      expect(some.hits.length).toBeLessThan(all.hits.length);
      const text = wide.db
        .prepare(
          "SELECT coalesce(text, '') || ' ' || coalesce(thinking, '') || ' ' || coalesce(input, '') FROM events WHERE id = ?",
        )
        .pluck();
      for (const h of some.hits)
        expect((text.get(h.eventId) as string).toLowerCase().split(/[^\p{L}\p{N}]+/u)).toContain(top);
    } finally {
      wide.close();
      narrow.close();
    }
  });
});

test('a rare phrase next to a prefix of more than 64 terms keeps every match FTS5 finds (the prefix is not cut)', () => {
  // 300 events name the phrase's words and 160 terms starting with `zq`; two hold the phrase, one of them with a
  // `zq` term that is among the 64 most frequent, one with a term found once (cut from a 64-term expansion)
  const corpus = join(dir, 'prefix-corpus');
  mkdirSync(join(corpus, 'projects', 'p'), { recursive: true });
  const texts = [
    'please retry the migration now, see zqneedle',
    'then retry the migration, see zqaa1x',
    ...Array.from(
      { length: 300 },
      (_, i) =>
        `the retry of the migration step ${i} is logged as zq${String(i % 80).padStart(3, 'a')}x and zq${String((i * 7) % 80).padStart(3, 'b')}y`,
    ),
  ];
  const lines = texts.map((content, i) =>
    JSON.stringify({
      type: 'user',
      sessionId: 'prefix',
      uuid: `prefix-${i}`,
      timestamp: new Date(Date.UTC(2026, 10, 30, 12, 0, i)).toISOString(),
      cwd: '/w/prefix',
      message: { role: 'user', content },
    }),
  );
  writeFileSync(join(corpus, 'projects', 'p', 'prefix.jsonl'), `${lines.join('\n')}\n`);
  const db = join(dir, 'prefix.db');
  indexSessions({ dbPath: db, sources: { claude: [corpus], defaults: false } });
  const fts = open(db, { path: 'fts' });
  // scaled as above: the phrase's three words (~300 rows each) make its walk costly past 200 rows
  const auto = open(db, { window: 100, ftsBudget: 200 });
  try {
    for (const q of ['"retry the migration" zq*', '"retry the migration" zqn*', '"retry the migration"']) {
      const want = fts.search(q).hits;
      const got = auto.search(q).hits;
      expect(want.length, q).toBeGreaterThan(0);
      expect(ids(got), q).toEqual(ids(want));
      for (const [i, h] of got.entries()) expect(h.score, q).toBeCloseTo(want[i]!.score, 9);
    }
    expect(fts.search('"retry the migration" zq*').hits).toHaveLength(2);
  } finally {
    fts.close();
    auto.close();
  }
});

/** The snippet as cut before the lazy scan (every word of the field first): the reference for the test above. */
function wholeFieldSnippet(
  fields: Array<string | null>,
  terms: string[],
  prefix: boolean,
  open: string,
  close: string,
): string {
  const wanted = new Set(terms);
  const matches = (word: string) => {
    const w = word.toLowerCase();
    if (wanted.has(w)) return true;
    if (prefix) for (const t of terms) if (w.startsWith(t)) return true;
    return false;
  };
  for (const field of fields) {
    if (!field) continue;
    const words = [...field.matchAll(/[\p{L}\p{N}]+/gu)];
    const first = words.findIndex((m) => matches(m[0]));
    if (first < 0) continue;
    const from = Math.max(0, first - 5);
    const to = Math.min(words.length, from + 16);
    const start = words[from]?.index ?? 0;
    const last = words[to - 1];
    const end = last ? (last.index ?? 0) + last[0].length : field.length;
    let out = '';
    let cursor = start;
    for (let i = from; i < to; i++) {
      const m = words[i];
      if (!m || !matches(m[0])) continue;
      const at = m.index ?? 0;
      out += `${field.slice(cursor, at)}${open}${m[0]}${close}`;
      cursor = at + m[0].length;
    }
    out += field.slice(cursor, end);
    return `${start > 0 ? '…' : ''}${out}${end < field.length ? '…' : ''}`.replace(/\s+/g, ' ');
  }
  return (fields.find((f) => f) ?? '').slice(0, 120).replace(/\s+/g, ' ');
}
