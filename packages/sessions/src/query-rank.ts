/**
 * How search ranks without paying for FTS5's bm25 on common words.
 *
 * FTS5's `bm25()` computes each phrase's IDF by walking the phrase's whole doclist once per query (`xQueryPhrase`):
 * at 1 GB a word in 20% of the events costs 5–10 ms per phrase, whatever the LIMIT. Here each phrase is first
 * probed (its newest `exactBelow` matches, a fraction of a millisecond). When every phrase has fewer matches than
 * that, or their estimated matches add up to at most `ftsBudget` rows, the query runs as it always did, FTS5's bm25
 * over the newest matches: the same hits and scores. Otherwise the newest `window` matches of the query are ranked
 * here by the same formula (k1 1.2, b 0.75, every column weight 1): term frequencies counted in the stored text with
 * the tokenizer's rules, each row's length from FTS5's own docsize table, the average from its totals record, and a
 * common phrase's document frequency estimated from how densely its newest matches lie (exact for the rare ones).
 */
import type { Statement } from 'better-sqlite3';
import type { DB } from './store.js';
import { tokenRuns } from './words.js';

/** One quoted query term as FTS5 reads it: its tokens, the last one a prefix when `prefix`. */
export interface Leaf {
  kind: 'leaf';
  /** the term as typed (quoted for FTS5) */
  term: string;
  prefix: boolean;
  tokens: string[];
}
export interface Group {
  kind: 'and' | 'or';
  items: QueryNode[];
}
export type QueryNode = Leaf | Group;

export function leaf(term: string, prefix = false): Leaf {
  return { kind: 'leaf', term, prefix, tokens: tokensOf(term) };
}
export const and = (...items: QueryNode[]): Group => ({ kind: 'and', items });
export const or = (...items: QueryNode[]): Group => ({ kind: 'or', items });

export interface RankTuning {
  /** a phrase with fewer matches than this is rare: FTS5's bm25 when every phrase is rare (default 2000) */
  exactBelow?: number;
  /** newest matches ranked here when some phrase is common (default 500; never fewer than the limit) */
  window?: number;
  /** most terms a prefix stands for (the most frequent of those read; default 64) */
  maxExpansion?: number;
  /**
   * FTS5's bm25 also when the words' estimated matches add up to at most this many rows (default 150,000): its IDF
   * pass then costs about what ranking 500 matches here does (~0.03 µs a row against ~10 µs a match, measured at
   * 256 MB and 1 GB); every word of the generated 1 GB corpus is above it on its own
   */
  ftsBudget?: number;
  /** tests: always FTS5's bm25 (`fts`, the query as it ran before this module) or always this module's (`own`) */
  path?: 'auto' | 'fts' | 'own';
}

export interface RankedRow {
  id: number;
  score: number;
}

export interface RankRequest {
  /** FROM/WHERE additions for filters: `join` after `events_fts f`, `where` and-ed to the MATCH */
  join: string;
  where: string;
  params: unknown[];
  limit: number;
  /** ranking FTS5 applies today, over this many newest matches */
  ftsWindow: number;
  /** the newest `limit` matches, newest first (scored all the same) */
  recent?: boolean;
}

/** The FTS5 query text of a node; `expand` may name the terms a one-token prefix leaf stands for. */
export function ftsMatch(node: QueryNode, expand?: (l: Leaf) => string[] | undefined, top = true): string {
  if (node.kind === 'leaf') {
    const terms = expand?.(node);
    if (terms) return terms.length === 1 ? quote(terms[0]!) : `(${terms.map(quote).join(' OR ')})`;
    return `${quote(node.term)}${node.prefix ? '*' : ''}`;
  }
  const text = node.items.map((i) => ftsMatch(i, expand, false)).join(node.kind === 'and' ? ' AND ' : ' OR ');
  return top || node.items.length === 1 ? text : `(${text})`;
}

function quote(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

export function leavesOf(node: QueryNode): Leaf[] {
  return node.kind === 'leaf' ? [node] : node.items.flatMap(leavesOf);
}

/** Prefixes standing for at most this many terms are expanded by seeking term by term (no counting). */
const SEEK_TERMS = 16;

/** Ranks searches on one database; keeps the prepared statements. */
export class Ranker {
  private readonly db: DB;
  private readonly exactBelow: number;
  private readonly window: number;
  private readonly maxExpansion: number;
  private readonly ftsBudget: number;
  private readonly path: 'auto' | 'fts' | 'own';
  private vocab = false;
  private usable: boolean | undefined;
  private readonly statements = new Map<string, Statement>();

  constructor(db: DB, tuning: RankTuning = {}) {
    this.db = db;
    this.exactBelow = tuning.exactBelow ?? 2000;
    this.window = tuning.window ?? 500;
    this.maxExpansion = tuning.maxExpansion ?? 64;
    this.ftsBudget = tuning.ftsBudget ?? 150_000;
    this.path = tuning.path ?? 'auto';
  }

  /**
   * The tables the own ranking reads are there: FTS5 keeps row lengths only without `columnsize=0`; an index made
   * without them is ranked by FTS5 as before.
   */
  private ownUsable(): boolean {
    this.usable ??=
      this.db
        .prepare("SELECT count(*) FROM sqlite_master WHERE name IN ('events_fts_docsize', 'events_fts_data')")
        .pluck()
        .get() === 2;
    return this.usable;
  }

  /** A prepared statement, kept: preparing costs more than running the small ones. */
  private sql(text: string): Statement {
    let st = this.statements.get(text);
    if (!st) {
      st = this.db.prepare(text);
      this.statements.set(text, st);
    }
    return st;
  }

  /** The best `limit` rows for `node`, best first (scores as bm25's: lower is better). */
  rank(node: QueryNode, req: RankRequest): RankedRow[] {
    if (this.path === 'fts' || !this.ownUsable()) return this.ftsRank(ftsMatch(node), req);
    const expansions = new Map<Leaf, string[]>();
    const expand = (l: Leaf) => expansions.get(l);
    for (const l of leavesOf(node))
      if (l.prefix && l.tokens.length === 1) expansions.set(l, this.expandPrefix(l.tokens[0]!));
    // a prefix that stands for no term matches nothing: an AND holding it is empty, an OR drops it
    const pruned = prune(node, (l) => expansions.get(l)?.length !== 0);
    if (!pruned) return [];
    // the leaves every match must hold: a lone one, or the direct leaves of an AND
    const required = new Set(
      pruned.kind === 'leaf'
        ? [pruned]
        : pruned.kind === 'and'
          ? pruned.items.filter((i) => i.kind === 'leaf')
          : [],
    );
    const probes = new Map<Leaf, Probe>();
    for (const l of leavesOf(pruned)) {
      const p = this.probe(ftsMatch(l, expand));
      if (p.count === 0 && required.has(l)) return []; // a word nothing holds
      probes.set(l, p);
    }
    if (req.recent)
      return this.ownRank(pruned, ftsMatch(pruned, expand), probes, req, req.limit).sort(
        (a, b) => b.id - a.id,
      );
    const rare = [...probes.values()].every((p) => p.count < this.exactBelow);
    // a prefix cut to its most frequent `maxExpansion` terms would lose the matches of the others: FTS5's own
    // prefix query finds them all
    const whole = [...expansions.values()].every((terms) => terms.length < this.maxExpansion);
    if (this.path === 'auto' && rare && whole && this.phraseWalkCostly(probes))
      // every match is known (all below exactBelow): the same window FTS5 would rank, scored here with exact counts
      return this.ownRank(pruned, ftsMatch(pruned, expand), probes, req, Math.max(req.ftsWindow, req.limit));
    if (this.path === 'auto' && (rare || this.rowsToCount(probes) <= this.ftsBudget))
      return this.ftsRank(ftsMatch(node), req);
    return this.ownRank(pruned, ftsMatch(pruned, expand), probes, req);
  }

  /**
   * A rare phrase of common words ("retry the migration": 28 matches, each word in ~190,000 rows at 1 GB): FTS5
   * finds its matches by walking every word's doclist with positions, and its bm25 would do that twice more (the
   * query, then the phrase's IDF), ~25 ms each. The probe already walked once and holds every match, so ranking
   * them here is cheaper when those walks cost more than scoring the matches (~`ftsBudget / window` rows a match;
   * measured ~440 at 1 GB, so a phrase whose own cost is within 2x of FTS5's two walks stays with FTS5).
   */
  private phraseWalkCostly(probes: Map<Leaf, Probe>): boolean {
    const phrases = [...probes.keys()].filter((l) => l.tokens.length > 1 && !l.prefix);
    if (phrases.length === 0) return false;
    const rows = this.totals().rows;
    const span = this.rowidSpan();
    let walk = 0;
    for (const l of phrases)
      for (const token of new Set(l.tokens)) walk += this.frequency(this.probe(quote(token)), rows, span);
    const matches = Math.max(...[...probes.values()].map((p) => p.count));
    return walk > this.ftsBudget && walk > (this.ftsBudget / this.window) * matches;
  }

  /** Today's query: FTS5's bm25 over the newest matches. */
  private ftsRank(match: string, req: RankRequest): RankedRow[] {
    return (
      this.sql(
        `SELECT id, score FROM (
             SELECT f.rowid AS id, f.rank AS score FROM events_fts f ${req.join}
             WHERE events_fts MATCH ? ${req.where}
             ORDER BY f.rowid DESC LIMIT ${req.ftsWindow})
           ORDER BY score LIMIT ?`,
      )
        .raw()
        .all(match, ...req.params, req.limit) as Array<[number, number]>
    ).map(([id, score]) => ({ id, score }));
  }

  /** The newest `window` matches, scored here by bm25's formula. */
  private ownRank(
    node: QueryNode,
    match: string,
    probes: Map<Leaf, Probe>,
    req: RankRequest,
    window = Math.max(this.window, req.limit),
  ): RankedRow[] {
    const lone = leavesOf(node);
    // one phrase and no filter: its probe already holds the newest matches
    const ids =
      lone.length === 1 && !req.where && window <= this.exactBelow
        ? probes.get(lone[0]!)!.ids.slice(0, window)
        : (this.sql(
            `SELECT f.rowid FROM events_fts f ${req.join} WHERE events_fts MATCH ? ${req.where}
               ORDER BY f.rowid DESC LIMIT ?`,
          )
            .pluck()
            .all(match, ...req.params, window) as number[]);
    if (ids.length === 0) return [];
    const totals = this.totals();
    const span = this.rowidSpan();
    const leaves = [...probes.keys()];
    const idf = leaves.map((l) => {
      const df = this.frequency(probes.get(l)!, totals.rows, span);
      const v = Math.log((totals.rows - df + 0.5) / (df + 0.5));
      return v <= 0 ? 1e-6 : v;
    });
    const avgdl = totals.tokens / totals.rows;
    // octet_length = length: the row is ASCII (SQLite counts in C), so the cheap regex counts exactly; the sizes
    // as hex text, not blobs (a Buffer per row costs more than decoding the hex here)
    const rows = this.sql(
      `SELECT e.id, hex(d.sz),
           coalesce(length(e.text), 0) + coalesce(length(e.thinking), 0) + coalesce(length(e.input), 0)
             = coalesce(octet_length(e.text), 0) + coalesce(octet_length(e.thinking), 0) + coalesce(octet_length(e.input), 0),
           e.text, e.thinking, e.input
         FROM json_each(?) j JOIN events e ON e.id = j.value JOIN events_fts_docsize d ON d.id = j.value`,
    )
      .raw()
      .all(JSON.stringify(ids)) as Array<
      [number, string, number, string | null, string | null, string | null]
    >;
    const counter = new TermCounter(leaves);
    const tf = new Array<number>(leaves.length);
    const scored: RankedRow[] = [];
    for (const [id, sz, ascii, ...columns] of rows) {
      const k = 1.2 * (0.25 + (0.75 * sumHexVarints(sz)) / avgdl);
      tf.fill(0);
      for (const c of columns) if (c) counter.add(c, ascii === 1, tf);
      let score = 0;
      for (let i = 0; i < leaves.length; i++) {
        const f = tf[i]!;
        if (f > 0) score += (idf[i]! * (f * 2.2)) / (f + k);
      }
      scored.push({ id, score: -score });
    }
    return scored.sort((a, b) => a.score - b.score || b.id - a.id).slice(0, req.limit);
  }

  /** Rows holding a phrase: counted when rare; else its newest matches lie in the last (max - lo) rowids, as densely everywhere. */
  private frequency(p: Probe, rows: number, span: { min: number; max: number }): number {
    if (p.count < this.exactBelow) return p.count;
    return Math.min(rows, (p.count * (span.max - span.min + 1)) / (span.max - p.lo + 1));
  }

  /** The rows FTS5's bm25 would walk for its IDFs: every phrase's matches. */
  private rowsToCount(probes: Map<Leaf, Probe>): number {
    const rows = this.totals().rows;
    const span = this.rowidSpan();
    let n = 0;
    for (const p of probes.values()) n += this.frequency(p, rows, span);
    return n;
  }

  /** A phrase's newest matches, up to `exactBelow` of them (newest first). */
  private probe(match: string): Probe {
    const ids = this.sql('SELECT rowid FROM events_fts WHERE events_fts MATCH ? ORDER BY rowid DESC LIMIT ?')
      .pluck()
      .all(match, this.exactBelow) as number[];
    return { count: ids.length, lo: ids[ids.length - 1] ?? 0, ids };
  }

  /**
   * The indexed terms a prefix stands for, the most frequent `maxExpansion` of them. A few terms are found by seeking
   * fts5vocab's instance table term by term (its first row only: ~0.3 ms a term); a prefix standing for more is
   * counted through the row table, which walks each term's whole doclist (6 ms for `session` at 1 GB), and keeps the
   * most frequent. FTS5's own prefix query would merge every matching doclist, for each query that uses it.
   */
  private expandPrefix(prefix: string): string[] {
    if (!this.vocab) {
      this.db.exec(
        `CREATE VIRTUAL TABLE IF NOT EXISTS temp.events_vocab USING fts5vocab(main, events_fts, row);
         CREATE VIRTUAL TABLE IF NOT EXISTS temp.events_terms USING fts5vocab(main, events_fts, instance);`,
      );
      this.vocab = true;
    }
    const upper = `${prefix}\u{10FFFF}`;
    const seek = this.sql('SELECT term FROM temp.events_terms WHERE term >= ? AND term < ? LIMIT 1').pluck();
    const few: string[] = [];
    // the next term after t: no term holds a control character, so t + U+0001 sorts right after t
    for (let t = seek.get(prefix, upper) as string | undefined; t !== undefined; ) {
      few.push(t);
      if (few.length > Math.min(this.maxExpansion, SEEK_TERMS)) break;
      t = seek.get(`${t}\u0001`, upper) as string | undefined;
    }
    if (few.length <= Math.min(this.maxExpansion, SEEK_TERMS)) return few;
    const terms = this.sql('SELECT term, doc FROM temp.events_vocab WHERE term >= ? AND term < ? LIMIT ?')
      .raw()
      .all(prefix, upper, this.maxExpansion * 8) as Array<[string, number]>;
    if (terms.length <= this.maxExpansion) return terms.map(([t]) => t);
    return terms
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, this.maxExpansion)
      .map(([t]) => t);
  }

  /** Rows and tokens in the index (FTS5's averages record: varints, rows then each column's total). */
  private totals(): { rows: number; tokens: number } {
    const block = this.sql('SELECT block FROM events_fts_data WHERE id = 1').pluck().get() as
      | Uint8Array
      | undefined;
    if (!block) return { rows: 1, tokens: 1 };
    const [rows, ...cols] = varints(block);
    return {
      rows: Math.max(1, rows ?? 1),
      tokens: Math.max(
        1,
        cols.reduce((a, b) => a + b, 0),
      ),
    };
  }

  private rowidSpan(): { min: number; max: number } {
    const [min, max] = this.db
      // two subqueries: min() and max() in one SELECT would scan the table instead of reading both ends
      .prepare(
        'SELECT coalesce((SELECT min(id) FROM events_fts_docsize), 0), coalesce((SELECT max(id) FROM events_fts_docsize), 0)',
      )
      .raw()
      .get() as [number, number];
    return { min, max };
  }
}

interface Probe {
  count: number;
  lo: number;
  ids: number[];
}

/** The node without the leaves `keep` refuses: an AND loses all, an OR the leaf; undefined when nothing is left. */
function prune(node: QueryNode, keep: (l: Leaf) => boolean): QueryNode | undefined {
  if (node.kind === 'leaf') return keep(node) ? node : undefined;
  const items = node.items.map((i) => prune(i, keep));
  if (node.kind === 'and')
    return items.every(Boolean) ? { kind: 'and', items: items as QueryNode[] } : undefined;
  const left = items.filter((i): i is QueryNode => i !== undefined);
  return left.length === 0 ? undefined : { kind: 'or', items: left };
}

/** SQLite varints (FTS5 writes its sizes with them): big-endian 7-bit groups, the ninth byte whole. */
function varints(b: Uint8Array): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < b.length) {
    let v = 0;
    let n = 0;
    for (;;) {
      const c = b[i++] ?? 0;
      if (n === 8) {
        v = v * 256 + c;
        break;
      }
      v = v * 128 + (c & 0x7f);
      n++;
      if (c < 0x80) break;
    }
    out.push(v);
  }
  return out;
}

/** The sum of the varints in a hex string (a docsize row: one token count per column). */
function sumHexVarints(hex: string): number {
  let simple = 0;
  for (let i = 0; i < hex.length; i += 2) {
    const c = Number.parseInt(hex.slice(i, i + 2), 16);
    if (c >= 0x80) return varints(Buffer.from(hex, 'hex')).reduce((a, x) => a + x, 0);
    simple += c;
  }
  return simple;
}

const TOKEN = '[\\p{L}\\p{N}\\p{Co}]';
const SEP = '[^\\p{L}\\p{N}\\p{Co}]+';
/** The combining marks unicode61 drops inside a token (sqlite3Fts5UnicodeIsdiacritic). */
const DIACRITICS = /[\u0300-\u0304\u0306-\u030c\u030f\u0311\u031b\u0323-\u0328\u032d\u032e\u0330\u0331]/g;
const FOLDABLE = /[\u00c0-\u024f\u1e00-\u1eff]|[\u0300-\u0331]/;

/** Fold text the way `unicode61 remove_diacritics 2` does for Latin letters: é → e (case is left to the regex). */
export function foldDiacritics(s: string): string {
  if (!FOLDABLE.test(s)) return s;
  return s.replace(/[\u00c0-\u024f\u1e00-\u1eff]/g, (c) => c.normalize('NFD')).replace(DIACRITICS, '');
}

/** A query term's tokens as the tokenizer makes them: runs of letters, digits and private-use characters, folded. */
export function tokensOf(term: string): string[] {
  return tokenRuns(foldDiacritics(term.toLowerCase()));
}

const escapeRe = (t: string) => t.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/**
 * Counts each leaf's instances in a column as FTS5 counts phrase instances (overlapping ones too). ASCII text has
 * [A-Za-z0-9] for token characters: one regex for every leaf at once, several times faster than Unicode classes;
 * other text is folded (é → e) and read with the tokenizer's classes, one leaf at a time.
 */
export class TermCounter {
  private readonly unicode: Array<RegExp | undefined>;
  /** one alternation of every leaf, a group each; undefined when two leaves could start at the same place */
  private readonly ascii: RegExp | undefined;
  private readonly asciiEach: Array<RegExp | undefined>;

  constructor(leaves: Leaf[]) {
    const tail = (l: Leaf, token: string) => (l.prefix ? '' : `(?!${token})`);
    this.unicode = leaves.map((l) =>
      l.tokens.length
        ? new RegExp(`(?<!${TOKEN})${l.tokens.map(escapeRe).join(SEP)}${tail(l, TOKEN)}`, 'giu')
        : undefined,
    );
    // a non-ASCII token is never in ASCII text
    const bodies = leaves.map((l) =>
      l.tokens.length && l.tokens.every((t) => /^[a-z0-9]+$/.test(t))
        ? `${l.tokens.join('[^A-Za-z0-9]+')}${tail(l, '[A-Za-z0-9]')}`
        : undefined,
    );
    this.asciiEach = bodies.map((b) => (b ? new RegExp(`(?<![A-Za-z0-9])${b}`, 'gi') : undefined));
    const firsts = leaves.map((l) => l.tokens[0] ?? '');
    const apart = firsts.every((a, i) =>
      firsts.every((b, j) => i === j || !(a.startsWith(b) || b.startsWith(a))),
    );
    this.ascii =
      apart && bodies.some(Boolean)
        ? new RegExp(`(?<![A-Za-z0-9])(?:${bodies.map((b) => `(${b ?? '(?!)'})`).join('|')})`, 'gi')
        : undefined;
  }

  /** Add each leaf's instances in `text` to `tf` (by leaf). */
  add(text: string, ascii: boolean, tf: number[]): void {
    if (ascii && this.ascii) {
      const re = this.ascii;
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        let g = 1;
        while (m[g] === undefined) g++;
        tf[g - 1]! += 1;
        re.lastIndex = m.index + 1;
      }
      return;
    }
    const s = ascii ? text : foldDiacritics(text);
    const each = ascii ? this.asciiEach : this.unicode;
    for (let i = 0; i < each.length; i++) {
      const re = each[i];
      if (!re) continue;
      re.lastIndex = 0;
      for (let m = re.exec(s); m; m = re.exec(s)) {
        tf[i]! += 1;
        re.lastIndex = m.index + 1;
      }
    }
  }
}
