import { parseDuration } from '@habitat/config/core';
import { SessionsError } from './errors.js';
import { inputText } from './input-text.js';
import { and, leaf, or, type QueryNode, Ranker, type RankTuning } from './query-rank.js';
import { type DB, openDatabase } from './store.js';
import type {
  EventKind,
  EventRole,
  FileOp,
  FileTouch,
  Session,
  SessionEvent,
  SessionSource,
} from './types.js';
import { endsInStar, hasWordChar, wordMatches, wordsOf } from './words.js';
import type { SessionRow } from './writer.js';

/** Narrow sessions (and search hits) by what people ask for on the command line. */
export interface SessionFilter {
  source?: SessionSource;
  /** substring of the project / cwd */
  project?: string;
  /** sessions active at or after (Date, ISO date, or a duration ago such as `7d`, `12h`) */
  since?: Date | string;
  until?: Date | string;
  agent?: string;
  /** sessions that called this tool (case-insensitive) */
  tool?: string;
  /** sessions that read, wrote or edited a path containing this */
  file?: string;
  /** substring of a model id */
  model?: string;
  /** only sessions with at least one failed tool call */
  errors?: boolean;
}

export interface SearchOptions extends SessionFilter {
  limit?: number;
  /** markers around matched terms in snippets (default `«` `»`) */
  highlight?: [string, string];
  /** `relevance` (default): bm25 over the newest matches; `recent`: the newest matches first */
  sort?: 'relevance' | 'recent';
}

export interface SearchHit {
  sessionId: string;
  eventId: number;
  seq: number;
  time?: string;
  role: EventRole;
  kind: EventKind;
  toolName?: string;
  snippet: string;
  /** bm25 score: lower is better */
  score: number;
  title?: string;
  project?: string;
  source: SessionSource;
}

export interface SearchResult {
  /** `all`: every term matched (as a word, else as a prefix); `any`: the relaxed fallback (any term) */
  mode: 'all' | 'any' | 'none';
  terms: string[];
  hits: SearchHit[];
}

export type StatsGroup = 'day' | 'project' | 'model' | 'agent' | 'source';

export interface StatsRow {
  key: string;
  sessions: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  totalTokens: number;
  costUsd: number;
  toolCalls: number;
  toolErrors: number;
}

export interface StatsOptions extends SessionFilter {
  by?: StatsGroup;
  /** IANA zone for `by: 'day'` (default: this machine's, like `ccusage daily`) */
  timezone?: string;
}

/** What a session touched, summed up for `show`. */
export interface SessionDetail {
  session: Session;
  files: Array<{ path: string; ops: FileOp[] }>;
  commands: Array<{ command: string; eventId: number; seq: number }>;
  tools: Array<{ name: string; calls: number; errors: number }>;
  subagents: Session[];
}

/** A session row as stored: the writer's own type. */
type SessionRowDb = SessionRow;

interface EventRowDb {
  id: number;
  sid: number;
  seq: number;
  ts: number | null;
  role: EventRole;
  kind: EventKind;
  uuid: string | null;
  parent_uuid: string | null;
  sidechain: number;
  tool_name: string | null;
  tool_use_id: string | null;
  is_error: number;
  model: string | null;
  text: string | null;
  thinking: string | null;
  input: string | null;
}

/** What a hit's snippet and metadata are made from. */
interface HitRow {
  id: number;
  seq: number;
  ts: number | null;
  role: EventRole;
  kind: EventKind;
  tool_name: string | null;
  text: string | null;
  thinking: string | null;
  input: string | null;
  session_id: string;
  title: string | null;
  project: string | null;
  source: SessionSource;
}

/** Matches FTS5's bm25 ranks per search (newest first) when every word is rare (fewer matches than this). */
const SEARCH_WINDOW = 2000;

/** Read access to a sessions database (`<stateDir>/sessions.db`). */
export class SessionIndex {
  readonly db: DB;
  private readonly ranker: Ranker;

  /** `tuning` is for tests and benchmarks (see query-rank.ts). */
  constructor(db: DB, tuning: RankTuning = {}) {
    this.db = db;
    this.ranker = new Ranker(db, { exactBelow: SEARCH_WINDOW, ...tuning });
  }

  close(): void {
    this.db.close();
  }

  getSession(id: string): Session | undefined {
    const row = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as SessionRowDb | undefined;
    return row ? toSession(row) : undefined;
  }

  /** Sessions whose id starts with `prefix` (for ids typed by hand). */
  findSessions(prefix: string, limit = 10): Session[] {
    const rows = this.db
      .prepare('SELECT * FROM sessions WHERE id >= ? AND id < ? || char(1114111) ORDER BY id LIMIT ?')
      .all(prefix, prefix, limit) as SessionRowDb[];
    return rows.map(toSession);
  }

  /** A session's events in order; `fromSeq`/`limit` page through long sessions. */
  getEvents(sessionId: string, options: { fromSeq?: number; limit?: number } = {}): SessionEvent[] {
    const sid = this.sidOf(sessionId);
    if (sid === undefined) return [];
    const rows = this.db
      .prepare('SELECT * FROM events WHERE sid = ? AND seq >= ? ORDER BY seq LIMIT ?')
      .all(sid, options.fromSeq ?? 0, options.limit ?? -1) as EventRowDb[];
    if (rows.length === 0) return [];
    const first = rows[0]?.id ?? 0;
    const last = rows[rows.length - 1]?.id ?? 0;
    const files = new Map<number, FileTouch[]>();
    for (const t of this.db
      .prepare('SELECT event_id, path, op FROM touches WHERE sid = ? AND event_id BETWEEN ? AND ?')
      .all(sid, first, last) as Array<{ event_id: number; path: string; op: FileOp }>) {
      const list = files.get(t.event_id) ?? [];
      list.push({ path: t.path, op: t.op });
      files.set(t.event_id, list);
    }
    const commands = new Map<number, string[]>();
    for (const c of this.db
      .prepare('SELECT event_id, command FROM commands WHERE sid = ? AND event_id BETWEEN ? AND ?')
      .all(sid, first, last) as Array<{ event_id: number; command: string }>) {
      const list = commands.get(c.event_id) ?? [];
      list.push(c.command);
      commands.set(c.event_id, list);
    }
    return rows.map((r) => toEvent(r, sessionId, files.get(r.id) ?? [], commands.get(r.id) ?? []));
  }

  /** Files, commands, tools and subagents of a session. */
  getSessionDetail(id: string): SessionDetail | undefined {
    const row = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as SessionRowDb | undefined;
    if (!row) return undefined;
    const files = new Map<string, Set<FileOp>>();
    for (const t of this.db
      .prepare('SELECT path, op FROM touches WHERE sid = ? ORDER BY event_id')
      .all(row.sid) as Array<{ path: string; op: FileOp }>) {
      const ops = files.get(t.path) ?? new Set<FileOp>();
      ops.add(t.op);
      files.set(t.path, ops);
    }
    const commands = this.db
      .prepare(
        'SELECT c.command, c.event_id AS eventId, e.seq FROM commands c JOIN events e ON e.id = c.event_id WHERE c.sid = ? ORDER BY c.event_id',
      )
      .all(row.sid) as SessionDetail['commands'];
    const tools = this.db
      .prepare('SELECT name, calls, errors FROM tools WHERE sid = ? ORDER BY calls DESC, name')
      .all(row.sid) as SessionDetail['tools'];
    const subagents = (
      this.db
        .prepare('SELECT * FROM sessions WHERE parent_id = ? AND hidden = 0 ORDER BY first_ts')
        .all(row.id) as SessionRowDb[]
    ).map(toSession);
    return {
      session: toSession(row),
      files: [...files].map(([path, ops]) => ({ path, ops: [...ops] })),
      commands,
      tools,
      subagents,
    };
  }

  listSessions(filter: SessionFilter & { limit?: number; offset?: number } = {}): Session[] {
    const where = filterSql(filter);
    const rows = this.db
      .prepare(
        `SELECT * FROM sessions s ${where.sql ? `${where.sql} AND` : 'WHERE'} s.hidden = 0 ORDER BY coalesce(s.last_ts, 0) DESC, s.id LIMIT ? OFFSET ?`,
      )
      .all(...where.params, filter.limit ?? -1, filter.offset ?? 0) as SessionRowDb[];
    return rows.map(toSession);
  }

  /**
   * Search event text. Each term is matched on its own (quoted, so FTS syntax in a query is just text), all
   * terms required and ranked by bm25; when that finds nothing, every term as a prefix (`rate limit` finds
   * "rate-limited", and `rateLimits` through the joined form), then any term, then any term as a prefix.
   * A term typed with a trailing `*` (`deploy*`) is a prefix from the first pass.
   */
  search(query: string, options: SearchOptions = {}): SearchResult {
    const terms = splitTerms(query);
    if (terms.length === 0) return { mode: 'none', terms, hits: [] };
    // `deploy*` asks for a prefix as FTS5 spells it: "deployment" too, from the first pass on (quoted, the star
    // was dropped by the tokenizer and only "deploy" itself matched)
    const starred = terms.some(endsInStar);
    const exact = terms.map((t) => (endsInStar(t) ? leaf(t.replace(/\*+$/, ''), true) : leaf(t)));
    const strict = this.runSearch(and(...exact), options, terms, starred);
    if (strict.length > 0) return { mode: 'all', terms, hits: strict };
    if (terms.length > 1) {
      // Every word, inflected ("limited", "limits") or run together ("ratelimit"), before any single word: an
      // event with only the rarer word (sample_rate code for "rate limit") otherwise outranks one with both.
      // Only words of 3+ letters become prefixes (a short prefix expands to most of the vocabulary).
      const joined = wordsOf(terms.join('').toLowerCase()).join('');
      const each = and(...terms.map((t) => leaf(t, t.length >= 3)));
      const every = joined ? or(each, leaf(joined, true)) : each;
      const all = this.runSearch(every, options, [...terms, joined], true);
      if (all.length > 0) return { mode: 'all', terms, hits: all };
      // relaxed: any of the words, then any word as a prefix (prefix queries read every matching term: last resort)
      const any = this.runSearch(or(...exact), options, terms, false);
      if (any.length > 0) return { mode: 'any', terms, hits: any };
    }
    const relaxed = this.runSearch(or(...terms.map((t) => leaf(t, true))), options, terms, true);
    // one word found as a prefix ("deplo" in "deployment") is every word of the query found
    const mode = relaxed.length === 0 ? 'none' : terms.length === 1 ? 'all' : 'any';
    return { mode, terms, hits: relaxed };
  }

  stats(options: StatsOptions = {}): StatsRow[] {
    const by = options.by ?? 'day';
    const where = filterSql(options);
    const filtered = where.sql.length > 0;
    const rows = new Map<string, StatsRow & { sids: Set<number> }>();
    const get = (key: string) => {
      let r = rows.get(key);
      if (!r) {
        r = {
          key,
          sessions: 0,
          inputTokens: 0,
          outputTokens: 0,
          cacheReadTokens: 0,
          cacheCreationTokens: 0,
          totalTokens: 0,
          costUsd: 0,
          toolCalls: 0,
          toolErrors: 0,
          sids: new Set(),
        };
        rows.set(key, r);
      }
      return r;
    };
    const sessionJoin = filtered
      ? `JOIN sessions s ON s.sid = u.sid ${where.sql.replace(/^WHERE/, 'AND')}`
      : '';
    if (by === 'day') {
      const dayOf = dayFormatter(options.timezone);
      // quarter hours: every zone's offset is a multiple of 15 minutes, so a bucket never straddles a local day
      const buckets = this.db
        .prepare(
          `SELECT r.bucket, r.sid, r.input, r.output, r.cache_read, r.cache_creation, r.cost, r.calls, r.errors
           FROM rollup r ${filtered ? `JOIN sessions s ON s.sid = r.sid ${where.sql.replace(/^WHERE/, 'AND')}` : ''}`,
        )
        .raw()
        .all(...where.params) as Array<
        [number, number, number, number, number, number, number, number, number]
      >;
      for (const [bucket, sid, i, o, cr, cc, cost, calls, errors] of buckets) {
        const r = get(dayOf(bucket * 900_000));
        if (i || o || cr || cc) r.sids.add(sid);
        r.inputTokens += i;
        r.outputTokens += o;
        r.cacheReadTokens += cr;
        r.cacheCreationTokens += cc;
        r.costUsd += cost;
        r.toolCalls += calls;
        r.toolErrors += errors;
      }
    } else if (by === 'model') {
      const usage = this.db
        .prepare(
          `SELECT coalesce(u.model, 'unknown') AS k, u.sid AS sid, sum(u.input) AS i, sum(u.output) AS o, sum(u.cache_read) AS cr,
             sum(u.cache_creation) AS cc, sum(coalesce(u.cost, 0)) AS cost
           FROM usage u ${sessionJoin} GROUP BY k, u.sid`,
        )
        .raw()
        .all(...where.params) as Array<[string, number, number, number, number, number, number]>;
      for (const [k, sid, i, o, cr, cc, cost] of usage) {
        const r = get(k);
        r.sids.add(sid);
        r.inputTokens += i;
        r.outputTokens += o;
        r.cacheReadTokens += cr;
        r.cacheCreationTokens += cc;
        r.costUsd += cost;
      }
      const tools = this.db
        .prepare(
          `SELECT coalesce(e.model, 'unknown'), count(*) FROM events e ${filtered ? `JOIN sessions s ON s.sid = e.sid ${where.sql.replace(/^WHERE/, 'AND')}` : ''} WHERE e.kind = 'tool_use' GROUP BY 1`,
        )
        .raw()
        .all(...where.params) as Array<[string, number]>;
      for (const [k, calls] of tools) if (rows.has(k)) get(k).toolCalls += calls;
    } else {
      const col =
        by === 'project' ? "coalesce(s.project, '')" : by === 'agent' ? "coalesce(s.agent, '')" : 's.source';
      const list = this.db
        .prepare(
          `SELECT ${col} AS k, count(*) AS n, sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_creation_tokens),
             sum(coalesce(cost_usd, 0)), sum(tool_calls), sum(tool_errors)
           FROM sessions s ${where.sql} GROUP BY k`,
        )
        .raw()
        .all(...where.params) as Array<
        [string, number, number, number, number, number, number, number, number]
      >;
      for (const [k, n, i, o, cr, cc, cost, calls, errors] of list) {
        const r = get(k);
        r.sessions = n;
        r.inputTokens = i;
        r.outputTokens = o;
        r.cacheReadTokens = cr;
        r.cacheCreationTokens = cc;
        r.costUsd = cost;
        r.toolCalls = calls;
        r.toolErrors = errors;
      }
    }
    return [...rows.values()]
      .map(({ sids, ...r }) => ({
        ...r,
        sessions: r.sessions || sids.size,
        totalTokens: r.inputTokens + r.outputTokens + r.cacheReadTokens + r.cacheCreationTokens,
        costUsd: Math.round(r.costUsd * 1e6) / 1e6,
      }))
      .sort((a, b) =>
        by === 'day'
          ? a.key.localeCompare(b.key)
          : b.totalTokens - a.totalTokens || a.key.localeCompare(b.key),
      );
  }

  private runSearch(node: QueryNode, options: SearchOptions, terms: string[], prefix: boolean): SearchHit[] {
    const [open, close] = options.highlight ?? ['«', '»'];
    const where = filterSql(options);
    const limit = options.limit ?? 20;
    try {
      // FTS5's bm25 over the newest SEARCH_WINDOW matches when every word is rare; else the newest matches ranked
      // by the same formula without FTS5's whole-doclist IDF pass (query-rank.ts)
      const top = this.ranker
        .rank(node, {
          join: where.sql ? 'JOIN events e ON e.id = f.rowid JOIN sessions s ON s.sid = e.sid' : '',
          where: where.sql.replace(/^WHERE/, 'AND'),
          params: where.params,
          limit,
          ftsWindow: SEARCH_WINDOW,
          recent: options.sort === 'recent',
        })
        .map((r) => [r.id, r.score] as [number, number]);
      if (top.length === 0) return [];
      // snippets cut here from the stored text: a second FTS query per hit would expand prefix terms again each time
      // one statement for every hit, in rank order
      const metas = new Map(
        (
          this.db
            .prepare(
              `SELECT e.id, e.seq, e.ts, e.role, e.kind, e.tool_name, e.text, e.thinking, e.input, s.id AS session_id, s.title, s.project, s.source
               FROM json_each(?) j JOIN events e ON e.id = j.value JOIN sessions s ON s.sid = e.sid`,
            )
            .all(JSON.stringify(top.map(([id]) => id))) as HitRow[]
        ).map((r) => [r.id, r]),
      );
      const tokens = terms.flatMap((t) => wordsOf(t.toLowerCase()));
      const rows = top.map(([id, score]) => {
        const r = metas.get(id) as HitRow;
        return {
          ...r,
          score,
          snippet: snippetOf(
            [r.text, r.thinking, r.input === null ? null : inputText(r.input)],
            tokens,
            prefix,
            open,
            close,
          ),
        };
      });
      return rows.map((r) => ({
        sessionId: r.session_id,
        eventId: r.id,
        seq: r.seq,
        time: iso(r.ts),
        role: r.role,
        kind: r.kind,
        toolName: r.tool_name ?? undefined,
        snippet: r.snippet.replace(/\s+/g, ' '),
        score: r.score,
        title: r.title ?? undefined,
        project: r.project ?? undefined,
        source: r.source,
      }));
    } catch (error) {
      throw new SessionsError(
        'bad-query',
        `search failed for ${JSON.stringify(terms.join(' '))}: ${(error as Error).message}`,
      );
    }
  }

  private sidOf(id: string): number | undefined {
    return this.db.prepare('SELECT sid FROM sessions WHERE id = ?').pluck().get(id) as number | undefined;
  }
}

/** Open a sessions database for reading (created empty if it does not exist yet). */
export function openSessionIndex(dbPath: string): SessionIndex {
  return new SessionIndex(openDatabase(dbPath));
}

/**
 * About 16 words around the first matched term of the first field that has one, terms wrapped in `open`/`close`.
 * Matching follows the FTS tokenizer: letters and digits, case-insensitive; `prefix` for the relaxed search.
 */
export function snippetOf(
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
    // words up to the first match and 15 after it, not the whole field (tool output runs to megabytes)
    const words: RegExpExecArray[] = [];
    let first = -1;
    for (const m of wordMatches(field)) {
      words.push(m);
      if (first < 0 && matches(m[0])) first = words.length - 1;
      if (first >= 0 && words.length >= Math.max(0, first - 5) + 16) break;
    }
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

/** Words of a query as people type them; `"quoted phrases"` stay together. Terms with no letter or digit are dropped. */
export function splitTerms(query: string): string[] {
  const terms: string[] = [];
  for (const m of query.matchAll(/"([^"]+)"|(\S+)/g)) {
    const term = (m[1] ?? m[2] ?? '').trim();
    if (hasWordChar(term)) terms.push(term);
  }
  return terms;
}

function filterSql(f: SessionFilter): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (f.source) {
    clauses.push('s.source = ?');
    params.push(f.source);
  }
  if (f.project) {
    clauses.push("(s.project LIKE ? ESCAPE '\\' OR s.cwd LIKE ? ESCAPE '\\')");
    params.push(like(f.project), like(f.project));
  }
  if (f.since !== undefined) {
    clauses.push('s.last_ts >= ?');
    params.push(toMs(f.since, 'since'));
  }
  if (f.until !== undefined) {
    clauses.push('s.first_ts <= ?');
    params.push(toMs(f.until, 'until'));
  }
  if (f.agent) {
    clauses.push('s.agent = ?');
    params.push(f.agent);
  }
  if (f.model) {
    clauses.push("s.models LIKE ? ESCAPE '\\'");
    params.push(like(f.model));
  }
  if (f.errors) clauses.push('s.tool_errors > 0');
  if (f.tool) {
    clauses.push('EXISTS (SELECT 1 FROM tools t WHERE t.sid = s.sid AND t.name = ? COLLATE NOCASE)');
    params.push(f.tool);
  }
  if (f.file) {
    clauses.push("EXISTS (SELECT 1 FROM touches t WHERE t.sid = s.sid AND t.path LIKE ? ESCAPE '\\')");
    params.push(like(f.file));
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

function like(value: string): string {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A Date, an ISO date/time, or a duration ago (`30m`, `12h`, `7d`, `2w`). */
export function toMs(value: Date | string, what = 'time'): number {
  if (value instanceof Date) return value.getTime();
  // A duration ago (`90s`, `12h`, `1h30m`, `7d`), read by the one duration parser habitat has.
  if (/^\d+(\.\d+)?\s*[a-z]/i.test(value.trim())) {
    try {
      return Date.now() - parseDuration(value.replace(/min$/, 'm'));
    } catch {
      // not a duration: maybe a date
    }
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new SessionsError(
      'bad-option',
      `${what} "${value}" is not a date or duration: use e.g. 2026-01-31, 2026-01-31T12:00Z, 90s or 7d`,
    );
  return ms;
}

/** `YYYY-MM-DD` in the machine's zone, from Date's local fields. */
export function localDay(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getFullYear()).padStart(4, '0')}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function dayFormatter(timezone?: string): (ms: number) => string {
  // The machine's zone (the default) from Date's local fields: the first Intl.DateTimeFormat of a process costs
  // ~15 ms of ICU set-up, a quarter of a whole `sessions stats` process. A named zone needs Intl.
  const format =
    timezone === undefined
      ? localDay
      : (() => {
          const fmt = new Intl.DateTimeFormat('en-CA', {
            timeZone: timezone,
            year: 'numeric',
            month: '2-digit',
            day: '2-digit',
          });
          return (ms: number) => fmt.format(ms);
        })();
  const cache = new Map<number, string>();
  return (ms) => {
    let day = cache.get(ms);
    if (!day) {
      day = format(ms);
      cache.set(ms, day);
    }
    return day;
  };
}

function iso(ms: number | null): string | undefined {
  return ms === null || ms === undefined ? undefined : new Date(ms).toISOString();
}

function toSession(r: SessionRowDb): Session {
  return {
    id: r.id,
    source: r.source,
    path: r.path,
    project: r.project ?? undefined,
    cwd: r.cwd ?? undefined,
    branch: r.branch ?? undefined,
    title: r.title ?? undefined,
    firstAt: iso(r.first_ts),
    lastAt: iso(r.last_ts),
    models: r.models ? r.models.split(',') : [],
    tokens: {
      input: r.input_tokens,
      output: r.output_tokens,
      cacheRead: r.cache_read_tokens,
      cacheCreation: r.cache_creation_tokens,
    },
    costUsd: r.cost_usd ?? undefined,
    agent: r.agent ?? undefined,
    runId: r.run_id ?? undefined,
    parentId: r.parent_id ?? undefined,
    parentToolUseId: r.parent_tool_use_id ?? undefined,
    agentId: r.agent_id ?? undefined,
    events: r.events,
    toolCalls: r.tool_calls,
    toolErrors: r.tool_errors,
    malformed: r.malformed,
    unknown: r.unknown,
  };
}

function toEvent(r: EventRowDb, sessionId: string, files: FileTouch[], commands: string[]): SessionEvent {
  let input: unknown;
  if (r.input !== null) {
    try {
      input = JSON.parse(r.input);
    } catch {
      input = r.input;
    }
  }
  return {
    id: r.id,
    sessionId,
    seq: r.seq,
    time: iso(r.ts),
    role: r.role,
    kind: r.kind,
    text: r.text ?? undefined,
    thinking: r.thinking ?? undefined,
    toolName: r.tool_name ?? undefined,
    toolUseId: r.tool_use_id ?? undefined,
    input,
    isError: r.is_error === 1 ? true : undefined,
    model: r.model ?? undefined,
    uuid: r.uuid ?? undefined,
    parentUuid: r.parent_uuid ?? undefined,
    sidechain: r.sidechain === 1,
    files,
    commands,
  };
}
