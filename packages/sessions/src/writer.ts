import { costOf } from './prices.js';
import type { Redactor } from './redact.js';
import type { DB } from './store.js';
import type { EventKind, EventRole, FileTouch, SessionSource } from './types.js';

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
  /** dedup key (`messageId:requestId`); records without one are always counted */
  key?: string;
  ts: number;
  model?: string;
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
}

/** The session row as the writer keeps it while a file is read. */
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
}

/** Prepared statements shared by every session written in one indexing pass. */
export class Writer {
  readonly db: DB;
  readonly redactor: Redactor;
  private readonly insertEvent;
  private readonly insertTouch;
  private readonly insertCommand;
  private readonly insertUsage;
  private readonly upsertTool;
  private readonly selectSession;
  private readonly insertSession;
  private readonly updateSession;
  private readonly maxSeq;
  private readonly upsertRollup;
  readonly insertLink: import('better-sqlite3').Statement;

  constructor(db: DB, redactor: Redactor) {
    this.db = db;
    this.redactor = redactor;
    this.insertEvent = db.prepare(
      `INSERT INTO events (sid, seq, ts, role, kind, uuid, parent_uuid, sidechain, tool_name, tool_use_id, is_error, model, text, thinking, input)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertTouch = db.prepare('INSERT INTO touches (sid, event_id, path, op) VALUES (?, ?, ?, ?)');
    this.insertCommand = db.prepare('INSERT INTO commands (sid, event_id, command) VALUES (?, ?, ?)');
    this.insertUsage = db.prepare(
      `INSERT OR IGNORE INTO usage (key, sid, ts, model, input, output, cache_read, cache_creation, cost) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.upsertTool = db.prepare(
      `INSERT INTO tools (sid, name, calls, errors) VALUES (?, ?, ?, ?)
       ON CONFLICT (sid, name) DO UPDATE SET calls = calls + excluded.calls, errors = errors + excluded.errors`,
    );
    this.selectSession = db.prepare('SELECT * FROM sessions WHERE id = ?');
    this.insertSession = db.prepare('INSERT INTO sessions (id, source, path) VALUES (?, ?, ?)');
    this.updateSession = db.prepare(
      `UPDATE sessions SET source=@source, path=@path, project=@project, cwd=@cwd, branch=@branch, title=@title,
        first_ts=@first_ts, last_ts=@last_ts, models=@models, input_tokens=@input_tokens, output_tokens=@output_tokens,
        cache_read_tokens=@cache_read_tokens, cache_creation_tokens=@cache_creation_tokens, cost_usd=@cost_usd,
        agent=@agent, run_id=@run_id, parent_id=@parent_id, parent_tool_use_id=@parent_tool_use_id, agent_id=@agent_id,
        events=@events, tool_calls=@tool_calls, tool_errors=@tool_errors, malformed=@malformed, unknown=@unknown
       WHERE sid=@sid`,
    );
    this.upsertRollup = db.prepare(
      `INSERT INTO rollup (bucket, sid, input, output, cache_read, cache_creation, cost, calls, errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (bucket, sid) DO UPDATE SET input = input + excluded.input, output = output + excluded.output,
         cache_read = cache_read + excluded.cache_read, cache_creation = cache_creation + excluded.cache_creation,
         cost = cost + excluded.cost, calls = calls + excluded.calls, errors = errors + excluded.errors`,
    );
    this.maxSeq = db.prepare('SELECT coalesce(max(seq), -1) AS s FROM events WHERE sid = ?').pluck();
    this.insertLink = db.prepare(
      'INSERT OR REPLACE INTO agent_links (tool_use_id, agent_id, sid) VALUES (?, ?, ?)',
    );
  }

  /** Start (or continue) writing the session `id`. */
  open(id: string, source: SessionSource, path: string): SessionWriter {
    let row = this.selectSession.get(id) as SessionRow | undefined;
    if (!row) {
      this.insertSession.run(id, source, path);
      row = this.selectSession.get(id) as SessionRow;
    }
    const nextSeq = (this.maxSeq.get(row.sid) as number) + 1;
    return new SessionWriter(this, row, nextSeq);
  }

  /** @internal */
  writeEvent(w: SessionWriter, e: EventInput): number {
    const r = this.redactor;
    const text = e.text ? r.redact(e.text).text : null;
    const thinking = e.thinking ? r.redact(e.thinking).text : null;
    let input: string | null = null;
    if (e.input !== undefined) {
      // one pass over the JSON text; only when it holds a secret, redact string by string so the JSON stays valid
      input = JSON.stringify(e.input);
      if (r.redact(input).count > 0) input = JSON.stringify(redactDeep(e.input, r));
    }
    const info = this.insertEvent.run(
      w.row.sid,
      w.seq++,
      e.ts ?? null,
      e.role,
      e.kind,
      e.uuid ?? null,
      e.parentUuid ?? null,
      e.sidechain ? 1 : 0,
      e.toolName ?? null,
      e.toolUseId ?? null,
      e.isError ? 1 : 0,
      e.model ?? null,
      text,
      thinking,
      input,
    );
    const id = Number(info.lastInsertRowid);
    if (e.files) for (const f of e.files) this.insertTouch.run(w.row.sid, id, r.redact(f.path).text, f.op);
    if (e.commands) for (const c of e.commands) this.insertCommand.run(w.row.sid, id, r.redact(c).text);
    return id;
  }

  /** @internal */
  writeUsage(w: SessionWriter, u: UsageInput, fallbackKey: string): boolean {
    const cost = u.model ? costOf(u.model, u) : undefined;
    const info = this.insertUsage.run(
      u.key ?? fallbackKey,
      w.row.sid,
      u.ts,
      u.model ?? null,
      u.input,
      u.output,
      u.cacheRead,
      u.cacheCreation,
      cost ?? null,
    );
    return info.changes > 0;
  }

  /** @internal */
  writeTool(w: SessionWriter, name: string, calls: number, errors: number): void {
    this.upsertTool.run(w.row.sid, name, calls, errors);
  }

  /** @internal */
  saveRollup(sid: number, buckets: Map<number, number[]>): void {
    for (const [bucket, v] of buckets) this.upsertRollup.run(bucket, sid, ...v);
  }

  /** @internal */
  saveSession(row: SessionRow): void {
    this.updateSession.run(row);
  }
}

/** Appends events and usage to one session and keeps its totals. */
export class SessionWriter {
  seq: number;
  /** time for records that carry none (stream-json logs): the run's start */
  fallbackTs?: number;
  private readonly models: Set<string>;
  private readonly toolNames = new Map<string, string>();
  private usageCount = 0;
  /** quarter-hour bucket -> [input, output, cacheRead, cacheCreation, cost, calls, errors] */
  private readonly buckets = new Map<number, number[]>();

  constructor(
    private readonly writer: Writer,
    readonly row: SessionRow,
    nextSeq: number,
  ) {
    this.seq = nextSeq;
    this.models = new Set(row.models ? row.models.split(',') : []);
  }

  get sid(): number {
    return this.row.sid;
  }

  event(e: EventInput): number {
    const row = this.row;
    if (e.ts !== undefined && Number.isFinite(e.ts)) {
      if (row.first_ts === null || e.ts < row.first_ts) row.first_ts = e.ts;
      if (row.last_ts === null || e.ts > row.last_ts) row.last_ts = e.ts;
    } else e.ts = undefined;
    if (e.model) this.addModel(e.model);
    row.events++;
    if (e.kind === 'tool_use' && e.toolName) {
      row.tool_calls++;
      if (e.ts !== undefined) this.bucket(e.ts)[5]++;
      if (e.toolUseId) this.toolNames.set(e.toolUseId, e.toolName);
      this.writer.writeTool(this, e.toolName, 1, 0);
    }
    if (e.kind === 'tool_result') {
      if (!e.toolName && e.toolUseId)
        e.toolName = this.toolNames.get(e.toolUseId) ?? this.lookupToolName(e.toolUseId);
      if (e.isError) {
        row.tool_errors++;
        if (e.ts !== undefined) this.bucket(e.ts)[6]++;
        this.writer.writeTool(this, e.toolName ?? 'unknown', 0, 1);
      }
    }
    if (!row.title && e.kind === 'prompt' && e.text)
      row.title = titleOf(this.writer.redactor.redact(e.text).text);
    return this.writer.writeEvent(this, e);
  }

  usage(u: UsageInput): void {
    const fallback = `${this.row.sid}#${this.seq}#${this.usageCount++}`;
    if (u.model) this.addModel(u.model);
    if (!this.writer.writeUsage(this, u, fallback)) return;
    const row = this.row;
    row.input_tokens += u.input;
    row.output_tokens += u.output;
    row.cache_read_tokens += u.cacheRead;
    row.cache_creation_tokens += u.cacheCreation;
    const cost = u.model ? costOf(u.model, u) : undefined;
    if (cost !== undefined) row.cost_usd = (row.cost_usd ?? 0) + cost;
    const b = this.bucket(u.ts);
    b[0] += u.input;
    b[1] += u.output;
    b[2] += u.cacheRead;
    b[3] += u.cacheCreation;
    b[4] += cost ?? 0;
  }

  private bucket(ts: number): [number, number, number, number, number, number, number] {
    const key = Math.floor(ts / 900_000);
    let b = this.buckets.get(key);
    if (!b) {
      b = [0, 0, 0, 0, 0, 0, 0];
      this.buckets.set(key, b);
    }
    return b as [number, number, number, number, number, number, number];
  }

  link(toolUseId: string, agentId: string): void {
    this.writer.insertLink.run(toolUseId, agentId, this.row.sid);
  }

  addModel(model: string): void {
    if (model.startsWith('<')) return; // `<synthetic>` placeholder messages
    if (!this.models.has(model)) {
      this.models.add(model);
      this.row.models = [...this.models].join(',');
    }
  }

  finish(): void {
    this.writer.saveRollup(this.row.sid, this.buckets);
    this.buckets.clear();
    this.writer.saveSession(this.row);
  }

  private lookupToolName(toolUseId: string): string | undefined {
    const row = this.writer.db
      .prepare("SELECT tool_name FROM events WHERE sid = ? AND tool_use_id = ? AND kind = 'tool_use' LIMIT 1")
      .get(this.row.sid, toolUseId) as { tool_name: string } | undefined;
    return row?.tool_name;
  }
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
