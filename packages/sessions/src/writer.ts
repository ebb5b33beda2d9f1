/**
 * Writing sessions happens in two halves:
 * - `SessionWriter` (anywhere): turns parser calls into redacted row tuples, numbers events, keeps the session's
 *   descriptive fields, and hands them out in bounded chunks;
 * - `Applier` (the thread that owns the database): inserts chunks, dedups usage, keeps totals and the rollup.
 */

import { costOf } from './prices.js';
import type { Redactor } from './redact.js';
import type { DB } from './store.js';
import type { EventKind, EventRole, FileTouch, SessionSource } from './types.js';
import { type KeyFilter, keyHash, keyInt, replaces, UsageSet } from './usage.js';

/** What a parser hands over for one event (times in ms since the epoch). */
export interface EventInput {
  ts?: number;
  role: EventRole;
  kind: EventKind;
  text?: string;
  thinking?: string;
  toolName?: string;
  toolUseId?: string;
  input?: unknown;
  isError?: boolean;
  model?: string;
  uuid?: string;
  parentUuid?: string;
  sidechain?: boolean;
  files?: FileTouch[];
  commands?: string[];
}

export interface UsageInput {
  /**
   * dedupe key of one API message (see `usageKeys` in claude.ts); records without one are always counted. Lines that
   * share a key are one message: the one kept is a main-chain line over a sidechain copy, then the larger total.
   */
  key?: string;
  /** message id + session: a sidechain replay of a message under another request id is the same message */
  replayKey?: string;
  sidechain?: boolean;
  ts: number;
  model?: string;
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
  /** the part of `cacheCreation` written to the 1-hour cache (priced higher than the 5-minute one) */
  cacheCreation1h?: number;
}

/** The session row as stored. */
export interface SessionRow {
  sid: number;
  id: string;
  source: SessionSource;
  path: string;
  project: string | null;
  cwd: string | null;
  branch: string | null;
  title: string | null;
  first_ts: number | null;
  last_ts: number | null;
  models: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_creation_tokens: number;
  cost_usd: number | null;
  agent: string | null;
  run_id: string | null;
  parent_id: string | null;
  parent_tool_use_id: string | null;
  agent_id: string | null;
  events: number;
  tool_calls: number;
  tool_errors: number;
  malformed: number;
  unknown: number;
  /** 1: the title was given (custom title, Cursor chat name), a summary does not replace it */
  titled: number;
  /** 1: not listed as a session of its own (a one-prompt "Warmup" sidechain); its usage still counts */
  hidden: number;
}

/** seq, ts, role, kind, uuid, parentUuid, sidechain, toolName, toolUseId, isError, model, text, thinking, input, files, commands */
export type EventTuple = [
  number,
  number | null,
  string,
  string,
  string | null,
  string | null,
  number,
  string | null,
  string | null,
  number,
  string | null,
  string | null,
  string | null,
  string | null,
  Array<[string, string]> | null,
  string[] | null,
];
/** key, ts, model, input, output, cacheRead, cacheCreation, replayKey, sidechain, cacheCreation1h */
export type UsageTuple = [
  string | null,
  number,
  string | null,
  number,
  number,
  number,
  number,
  string | null,
  number,
  number,
];

export interface Chunk {
  events: EventTuple[];
  usage: UsageTuple[];
  links: Array<[string, string]>;
  /** `summary` records: [leafUuid, text] (the session holding the leaf is the one they describe) */
  summaries: Array<[string, string]>;
  /** on the last chunk: the session row as the parser left it */
  row?: SessionRow;
}

/** uid, sid, ts, model, input, output, cacheRead, cacheCreation, sidechain, cacheCreation1h of a stored message */
type UsageHit = [number, number, number, string | null, number, number, number, number, number, number];

/** input, output, cacheRead, cacheCreation, cost, tool calls, tool errors of one quarter hour */
type Bucket = [number, number, number, number, number, number, number];

const CHUNK_EVENTS = 1000;
/** `keyHash` seeds: message keys and replay keys are hashed apart */
const KEY_SEED = 0x6b;
const REPLAY_SEED = 0x72;
const CHUNK_CHARS = 1 << 20;

/** Builds one session's rows from parser calls. */
export class SessionWriter {
  seq: number;
  /** the session id ccusage gives lines without `sessionId` (from the file's path) */
  fileSession = '';
  /** time for records that carry none (stream-json logs, Cursor): the run's or chat's start */
  fallbackTs?: number;
  /** the run's own reported cost (stream-json `result`), used when no usage cost is derivable */
  reportedCost?: number;
  readonly row: SessionRow;
  private readonly models: Set<string>;
  private readonly toolNames = new Map<string, string>();
  private chunk: Chunk = { events: [], usage: [], links: [], summaries: [] };
  private chars = 0;
  /** this file's API messages, one per key (a message is written as several lines while it streams) */
  private readonly messages = new UsageSet();

  constructor(
    row: SessionRow,
    nextSeq: number,
    private readonly redactor: Redactor,
    private readonly emit: (chunk: Chunk) => void,
  ) {
    this.row = row;
    this.seq = nextSeq;
    this.models = new Set(row.models ? row.models.split(',') : []);
  }

  get sid(): number {
    return this.row.sid;
  }

  event(e: EventInput): void {
    const row = this.row;
    let ts = e.ts;
    if (ts !== undefined && Number.isFinite(ts)) {
      if (row.first_ts === null || ts < row.first_ts) row.first_ts = ts;
      if (row.last_ts === null || ts > row.last_ts) row.last_ts = ts;
    } else ts = undefined;
    if (e.model) this.addModel(e.model);
    row.events++;
    let toolName = e.toolName;
    if (e.kind === 'tool_use' && toolName) {
      row.tool_calls++;
      if (e.toolUseId) this.toolNames.set(e.toolUseId, toolName);
    }
    if (e.kind === 'tool_result') {
      if (!toolName && e.toolUseId) toolName = this.toolNames.get(e.toolUseId);
      if (e.isError) row.tool_errors++;
    }
    const r = this.redactor;
    const text = e.text ? r.redact(e.text).text : null;
    const thinking = e.thinking ? r.redact(e.thinking).text : null;
    // wrappers such as <command-name> or <local-command-stdout> are not what the session is about
    if (!row.title && e.kind === 'prompt' && text && e.role === 'user') {
      const prompt = promptOf(text);
      if (prompt) row.title = titleOf(prompt);
    }
    let input: string | null = null;
    if (e.input !== undefined) {
      // one pass over the JSON text; only when it holds a secret, redact string by string so the JSON stays valid
      input = JSON.stringify(e.input);
      if (r.redact(input).count > 0) input = JSON.stringify(redactDeep(e.input, r));
    }
    const files = e.files?.length
      ? e.files.map((f): [string, string] => [r.redact(f.path).text, f.op])
      : null;
    const commands = e.commands?.length ? e.commands.map((c) => r.redact(c).text) : null;
    this.chunk.events.push([
      this.seq++,
      ts ?? null,
      e.role,
      e.kind,
      e.uuid ?? null,
      e.parentUuid ?? null,
      e.sidechain ? 1 : 0,
      toolName ?? null,
      e.toolUseId ?? null,
      e.isError ? 1 : 0,
      e.model ?? null,
      text,
      thinking,
      input,
      files,
      commands,
    ]);
    this.chars += (text?.length ?? 0) + (thinking?.length ?? 0) + (input?.length ?? 0);
    if (this.chunk.events.length >= CHUNK_EVENTS || this.chars >= CHUNK_CHARS) this.flush();
  }

  usage(u: UsageInput): void {
    if (u.model) this.addModel(u.model);
    const tuple: UsageTuple = [
      u.key ?? null,
      u.ts,
      u.model ?? null,
      u.input,
      u.output,
      u.cacheRead,
      u.cacheCreation,
      u.replayKey ?? null,
      u.sidechain ? 1 : 0,
      u.cacheCreation1h ?? 0,
    ];
    // keyed messages are handed over at the end, once each with the usage that wins
    if (tuple[0] === null) this.chunk.usage.push(tuple);
    else this.messages.add(tuple);
  }

  /** A `summary` record: it titles the session its `leafUuid` points into, wherever that is. */
  summary(leafUuid: string, text: string): void {
    this.chunk.summaries.push([leafUuid, this.redactor.redact(text).text]);
  }

  link(toolUseId: string, agentId: string): void {
    this.chunk.links.push([toolUseId, agentId]);
  }

  addModel(model: string): void {
    if (model.startsWith('<')) return; // `<synthetic>` placeholder messages
    if (!this.models.has(model)) {
      this.models.add(model);
      this.row.models = [...this.models].join(',');
    }
  }

  /** Hand over the last chunk with the session row. */
  finish(): void {
    // titles also come from summaries, custom titles and Cursor chat names: redact them like everything else
    if (this.row.title) this.row.title = this.redactor.redact(this.row.title).text;
    this.chunk.row = { ...this.row, cost_usd: this.reportedCost ?? this.row.cost_usd };
    for (const u of this.messages.values()) this.chunk.usage.push(u);
    this.flush();
  }

  private flush(): void {
    const chunk = this.chunk;
    this.chunk = { events: [], usage: [], links: [], summaries: [] };
    this.chars = 0;
    this.emit(chunk);
  }
}

/** Inserts chunks for one session at a time, on the thread that owns the database. */
export class Applier {
  readonly db: DB;
  private readonly stmts;
  private sid = 0;
  private base?: SessionRow;
  private added = { input: 0, output: 0, cacheRead: 0, cacheCreation: 0, cost: 0, priced: false };
  private buckets = new Map<number, Bucket>();
  /** on a cold build (the database held no usage): the usage keys written so far ("maybe seen") */
  seenKeys?: KeyFilter;
  /** the last event id given out (read from the database at the first event of a pass) */
  private lastId?: number;
  private tools = new Map<string, [number, number]>();

  constructor(db: DB) {
    this.db = db;
    this.stmts = {
      event: db.prepare(
        `INSERT INTO events (id, sid, seq, ts, role, kind, uuid, parent_uuid, sidechain, tool_name, tool_use_id, is_error, model, text, thinking, input)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      // ids are never given twice, also after the newest rows were deleted: the full-text index knows ids up to fts_max
      lastId: db
        .prepare(
          "SELECT max(coalesce((SELECT max(id) FROM events), 0), coalesce((SELECT value FROM meta WHERE key = 'fts_max'), 0))",
        )
        .pluck(),
      touch: db.prepare('INSERT INTO touches (sid, event_id, path, op) VALUES (?, ?, ?, ?)'),
      command: db.prepare('INSERT INTO commands (sid, event_id, command) VALUES (?, ?, ?)'),
      usage: db.prepare(
        'INSERT INTO usage (sid, ts, model, input, output, cache_read, cache_creation, cost, sidechain, cache_creation_1h) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      usageUpdate: db.prepare(
        'UPDATE usage SET sid = ?, ts = ?, model = ?, input = ?, output = ?, cache_read = ?, cache_creation = ?, cost = ?, sidechain = ?, cache_creation_1h = ? WHERE uid = ?',
      ),
      usageKey: db.prepare('INSERT OR IGNORE INTO usage_keys (hash, uid) VALUES (?, ?)'),
      usageByKey: db
        .prepare(
          'SELECT u.uid, u.sid, u.ts, u.model, u.input, u.output, u.cache_read, u.cache_creation, u.sidechain, u.cache_creation_1h FROM usage_keys k JOIN usage u ON u.uid = k.uid WHERE k.hash = ?',
        )
        .raw(),
      sessionTokens: db.prepare(
        `UPDATE sessions SET input_tokens = input_tokens + ?, output_tokens = output_tokens + ?, cache_read_tokens = cache_read_tokens + ?,
           cache_creation_tokens = cache_creation_tokens + ?, cost_usd = coalesce(cost_usd, 0) + ? WHERE sid = ?`,
      ),
      tool: db.prepare(
        `INSERT INTO tools (sid, name, calls, errors) VALUES (?, ?, ?, ?)
         ON CONFLICT (sid, name) DO UPDATE SET calls = calls + excluded.calls, errors = errors + excluded.errors`,
      ),
      rollup: db.prepare(
        `INSERT INTO rollup (bucket, sid, input, output, cache_read, cache_creation, cost, calls, errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (bucket, sid) DO UPDATE SET input = input + excluded.input, output = output + excluded.output,
           cache_read = cache_read + excluded.cache_read, cache_creation = cache_creation + excluded.cache_creation,
           cost = cost + excluded.cost, calls = calls + excluded.calls, errors = errors + excluded.errors`,
      ),
      link: db.prepare('INSERT OR REPLACE INTO agent_links (tool_use_id, agent_id, sid) VALUES (?, ?, ?)'),
      summary: db.prepare('INSERT OR REPLACE INTO summaries (leaf, text, sid) VALUES (?, ?, ?)'),
      toolName: db
        .prepare(
          "SELECT tool_name FROM events WHERE sid = ? AND tool_use_id = ? AND kind = 'tool_use' LIMIT 1",
        )
        .pluck(),
      select: db.prepare('SELECT * FROM sessions WHERE id = ?'),
      insert: db.prepare('INSERT INTO sessions (id, source, path) VALUES (?, ?, ?)'),
      maxSeq: db.prepare('SELECT coalesce(max(seq), -1) FROM events WHERE sid = ?').pluck(),
      update: db.prepare(
        `UPDATE sessions SET source=@source, path=@path, project=@project, cwd=@cwd, branch=@branch, title=@title,
          first_ts=@first_ts, last_ts=@last_ts, models=@models, input_tokens=@input_tokens, output_tokens=@output_tokens,
          cache_read_tokens=@cache_read_tokens, cache_creation_tokens=@cache_creation_tokens, cost_usd=@cost_usd,
          agent=@agent, run_id=@run_id, parent_id=@parent_id, parent_tool_use_id=@parent_tool_use_id, agent_id=@agent_id,
          events=@events, tool_calls=@tool_calls, tool_errors=@tool_errors, malformed=@malformed, unknown=@unknown,
          titled=@titled, hidden=@hidden
         WHERE sid=@sid`,
      ),
    };
  }

  /** The stored row of session `id` (created empty if new) and the next event number. */
  prepare(id: string, source: SessionSource, path: string): { row: SessionRow; nextSeq: number } {
    let row = this.stmts.select.get(id) as SessionRow | undefined;
    if (!row) {
      this.stmts.insert.run(id, source, path);
      row = this.stmts.select.get(id) as SessionRow;
    }
    return { row, nextSeq: (this.stmts.maxSeq.get(row.sid) as number) + 1 };
  }

  /** Start applying chunks of the session `row` (as returned by `prepare`). */
  begin(row: SessionRow): void {
    this.sid = row.sid;
    this.base = row;
    this.added = { input: 0, output: 0, cacheRead: 0, cacheCreation: 0, cost: 0, priced: false };
    this.buckets = new Map();
    this.tools = new Map();
  }

  /** Insert one chunk; on the last one, save the session row and return it. */
  apply(chunk: Chunk): SessionRow | undefined {
    const s = this.stmts;
    const sid = this.sid;
    for (const e of chunk.events) {
      const [, ts, , kind, , , , toolNameIn, toolUseId, isError] = e;
      let toolName = toolNameIn;
      if (kind === 'tool_result' && !toolName && toolUseId)
        toolName = (s.toolName.get(sid, toolUseId) as string | undefined) ?? null;
      this.lastId ??= s.lastId.get() as number;
      const id = ++this.lastId;
      s.event.run(
        id,
        sid,
        e[0],
        ts,
        e[2],
        kind,
        e[4],
        e[5],
        e[6],
        toolName,
        toolUseId,
        isError,
        e[10],
        e[11],
        e[12],
        e[13],
      );
      if (e[14]) for (const [path, op] of e[14]) s.touch.run(sid, id, path, op);
      if (e[15]) for (const c of e[15]) s.command.run(sid, id, c);
      if (kind === 'tool_use' && toolName) {
        this.tool(toolName)[0]++;
        if (ts !== null) this.bucket(ts)[5]++;
      } else if (kind === 'tool_result' && isError) {
        this.tool(toolName ?? 'unknown')[1]++;
        if (ts !== null) this.bucket(ts)[6]++;
      }
    }
    for (const u of chunk.usage) this.usage(u);
    for (const [toolUseId, agentId] of chunk.links) s.link.run(toolUseId, agentId, sid);
    for (const [leaf, text] of chunk.summaries) s.summary.run(leaf, text, sid);
    if (!chunk.row) return undefined;
    const base = this.base as SessionRow;
    const a = this.added;
    const row: SessionRow = {
      ...chunk.row,
      sid,
      input_tokens: base.input_tokens + a.input,
      output_tokens: base.output_tokens + a.output,
      cache_read_tokens: base.cache_read_tokens + a.cacheRead,
      cache_creation_tokens: base.cache_creation_tokens + a.cacheCreation,
      cost_usd: a.priced ? (base.cost_usd ?? 0) + a.cost : chunk.row.cost_usd,
    };
    for (const [bucket, v] of this.buckets) s.rollup.run(bucket, sid, ...v);
    for (const [name, [calls, errors]] of this.tools) s.tool.run(sid, name, calls, errors);
    s.update.run(row);
    return row;
  }

  /** Count one API message, unless the index already holds it (then keep whichever line wins). */
  private usage(u: UsageTuple): void {
    const s = this.stmts;
    const [key, ts, model, input, output, cacheRead, cacheCreation, replayKey, sidechain, cacheCreation1h] =
      u;
    const cost = model
      ? costOf(model, { input, output, cacheRead, cacheCreation, cacheCreation1h })
      : undefined;
    let hit: UsageHit | undefined;
    const k = key === null ? null : keyHash(key, KEY_SEED);
    const r = replayKey === null ? null : keyHash(replayKey, REPLAY_SEED);
    const kInt = k === null ? null : keyInt(k);
    const rInt = r === null ? null : keyInt(r);
    // a cold build knows every key it wrote: only a key seen before needs a look in the database
    const known = this.seenKeys;
    if (k !== null && (!known || known.has(k))) hit = s.usageByKey.get(kInt) as UsageHit | undefined;
    if (k !== null && !hit && r !== null && (!known || known.has(r))) {
      for (const h of s.usageByKey.all(rInt) as UsageHit[])
        if (sidechain === 1 || h[8] === 1) {
          hit = h;
          break;
        }
    }
    let uid: number;
    if (hit) {
      uid = hit[0];
      const existing: UsageTuple = [
        key,
        hit[2],
        hit[3],
        hit[4],
        hit[5],
        hit[6],
        hit[7],
        null,
        hit[8],
        hit[9],
      ];
      if (replaces(u, existing)) {
        const old = hit[3]
          ? costOf(hit[3], {
              input: hit[4],
              output: hit[5],
              cacheRead: hit[6],
              cacheCreation: hit[7],
              cacheCreation1h: hit[9],
            })
          : undefined;
        this.count(hit[1], hit[2], -hit[4], -hit[5], -hit[6], -hit[7], old === undefined ? undefined : -old);
        s.usageUpdate.run(
          this.sid,
          ts,
          model,
          input,
          output,
          cacheRead,
          cacheCreation,
          cost ?? null,
          sidechain,
          cacheCreation1h,
          uid,
        );
        this.count(this.sid, ts, input, output, cacheRead, cacheCreation, cost);
      }
    } else {
      uid = Number(
        s.usage.run(
          this.sid,
          ts,
          model,
          input,
          output,
          cacheRead,
          cacheCreation,
          cost ?? null,
          sidechain,
          cacheCreation1h,
        ).lastInsertRowid,
      );
      this.count(this.sid, ts, input, output, cacheRead, cacheCreation, cost);
    }
    if (k !== null) {
      s.usageKey.run(kInt, uid);
      known?.add(k);
    }
    if (r !== null) {
      s.usageKey.run(rInt, uid);
      known?.add(r);
    }
  }

  /** Add (or take back) one message's tokens in its session's totals and quarter hour. */
  private count(
    sid: number,
    ts: number,
    input: number,
    output: number,
    cacheRead: number,
    cacheCreation: number,
    cost: number | undefined,
  ): void {
    if (sid !== this.sid) {
      // a message first counted in a session written earlier: correct that session in place
      this.stmts.rollup.run(
        Math.floor(ts / 900_000),
        sid,
        input,
        output,
        cacheRead,
        cacheCreation,
        cost ?? 0,
        0,
        0,
      );
      this.stmts.sessionTokens.run(input, output, cacheRead, cacheCreation, cost ?? 0, sid);
      return;
    }
    const a = this.added;
    a.input += input;
    a.output += output;
    a.cacheRead += cacheRead;
    a.cacheCreation += cacheCreation;
    if (cost !== undefined) {
      a.cost += cost;
      a.priced = true;
    }
    const b = this.bucket(ts);
    b[0] += input;
    b[1] += output;
    b[2] += cacheRead;
    b[3] += cacheCreation;
    b[4] += cost ?? 0;
  }

  /** A writer whose chunks are applied right away (same thread). */
  inline(
    id: string,
    source: SessionSource,
    path: string,
    redactor: Redactor,
    setup?: (row: SessionRow) => void,
  ): SessionWriter {
    const { row, nextSeq } = this.prepare(id, source, path);
    setup?.(row);
    this.begin(row);
    return new SessionWriter({ ...row }, nextSeq, redactor, (chunk) => this.apply(chunk));
  }

  private bucket(ts: number): Bucket {
    const key = Math.floor(ts / 900_000);
    let b = this.buckets.get(key);
    if (!b) {
      b = [0, 0, 0, 0, 0, 0, 0];
      this.buckets.set(key, b);
    }
    return b;
  }

  private tool(name: string): [number, number] {
    let t = this.tools.get(name);
    if (!t) {
      t = [0, 0];
      this.tools.set(name, t);
    }
    return t;
  }
}

const KNOWLEDGE_BRIEF = '## What earlier sessions learned (habitat knowledge)';

/**
 * What a person asked, without what was put before it: habitat's knowledge brief (ends at its `---` rule) and injected
 * blocks (`<command-name>`, `<local-command-stdout>`, `<environment_context>`, `<user_instructions>`, `<skill>`, AGENTS.md
 * instructions, Claude Code's "Caveat:" preamble) are context. Undefined when nothing is left.
 */
export function promptOf(text: string): string | undefined {
  let t = text.trimStart();
  if (t.startsWith(KNOWLEDGE_BRIEF)) {
    const rule = t.indexOf('\n---\n');
    if (rule < 0) return undefined;
    t = t.slice(rule + 5).trimStart();
  }
  if (!t || t.startsWith('<') || t.startsWith('# AGENTS.md instructions for') || t.startsWith('Caveat: '))
    return undefined;
  return t;
}

function titleOf(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

function redactDeep(value: unknown, r: Redactor): unknown {
  if (typeof value === 'string') return value.length >= 4 ? r.redact(value).text : value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, r));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, r);
    return out;
  }
  return value;
}
