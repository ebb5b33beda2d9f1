/**
 * Cursor 3.x and `cursor-agent` keep conversations outside `state.vscdb`, under `~/.cursor`:
 * - `projects/<sanitized cwd>/agent-transcripts/<uuid>/<uuid>.jsonl`: one `{ role, message: { content } }` a line
 *   (text and `tool_use` blocks; the user's words wrapped in `<user_query>`), no timestamps;
 * - `chats/<md5(cwd)>/<uuid>/meta.json` (`{ cwd, createdAtMs, updatedAtMs }`) and `store.db` (`meta(key, hex JSON)`:
 *   `{ agentId, name, createdAt, lastUsedModel }`, `blobs(id, data)`). On some machines that is the only copy.
 */
import { existsSync, globSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { describeToolCall, noteUnknown, type ParseStats } from './claude.js';
import { readLines } from './lines.js';
import type { SessionWriter } from './writer.js';

type Json = Record<string, unknown>;

export interface AgentChat {
  cwd?: string;
  createdAt?: number;
  updatedAt?: number;
  store?: string;
}

/** `<uuid>` -> what `chats/*\/<uuid>/` says about it. */
export function readAgentChats(dotCursor: string): Map<string, AgentChat> {
  const chats = new Map<string, AgentChat>();
  const root = join(dotCursor, 'chats');
  if (!existsSync(root)) return chats;
  for (const rel of globSync('*/*/', { cwd: root })) {
    const dir = join(root, rel);
    const chat: AgentChat = {};
    try {
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Json;
      if (typeof meta.cwd === 'string') chat.cwd = meta.cwd;
      if (typeof meta.createdAtMs === 'number') chat.createdAt = meta.createdAtMs;
      if (typeof meta.updatedAtMs === 'number') chat.updatedAt = meta.updatedAtMs;
    } catch {
      // no meta.json: the store may still say something
    }
    if (existsSync(join(dir, 'store.db'))) chat.store = join(dir, 'store.db');
    chats.set(basename(dir), chat);
  }
  return chats;
}

/** A transcript JSONL (read on from `start`). */
export function parseAgentTranscript(
  path: string,
  start: number,
  w: SessionWriter,
  startLine: number,
): ParseStats {
  const stats: ParseStats = { offset: start, lines: startLine, malformed: 0, unknown: 0 };
  stats.offset = readLines(path, start, (line) => {
    stats.lines++;
    let r: Json;
    try {
      r = JSON.parse(line) as Json;
    } catch {
      stats.malformed++;
      return;
    }
    if (!message(r, w)) noteUnknown(stats, r);
  });
  return stats;
}

/** A `store.db` with no transcript beside it: its name, model and times, and any messages its blobs hold as JSON. */
export function parseAgentStore(path: string, w: SessionWriter): ParseStats {
  const stats: ParseStats = { offset: statSync(path).size, lines: 0, malformed: 0, unknown: 0 };
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 3000 });
  try {
    for (const { value } of db.prepare('SELECT value FROM meta').all() as Array<{ value: string }>) {
      const meta = hexJson(value);
      if (!meta) continue;
      if (typeof meta.name === 'string' && meta.name && !w.row.title) {
        w.row.title = meta.name;
        w.row.titled = 1;
      }
      if (typeof meta.lastUsedModel === 'string') w.addModel(meta.lastUsedModel);
      if (typeof meta.createdAt === 'number') w.fallbackTs ??= meta.createdAt;
    }
    w.event({ ts: w.fallbackTs, role: 'meta', kind: 'meta', text: 'cursor-agent store' });
    for (const { data } of db.prepare('SELECT data FROM blobs').iterate() as Iterable<{
      data: Buffer | string;
    }>) {
      stats.lines++;
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : String(data);
      if (!text.startsWith('{')) continue; // binary blobs: content-addressed state, not messages
      try {
        const r = JSON.parse(text) as Json;
        if (r.role || r.message) message(r, w);
      } catch {
        stats.malformed++;
      }
    }
  } finally {
    db.close();
  }
  return stats;
}

function message(r: Json, w: SessionWriter): boolean {
  const role = r.role ?? (r.message as Json | undefined)?.role;
  const content = ((r.message as Json | undefined)?.content ?? r.content) as unknown;
  if (role !== 'user' && role !== 'assistant') return false;
  const ts = w.fallbackTs;
  const blocks: Json[] =
    typeof content === 'string'
      ? [{ type: 'text', text: content }]
      : Array.isArray(content)
        ? (content as Json[])
        : [];
  for (const b of blocks) {
    if (b?.type === 'text' && typeof b.text === 'string') {
      if (role === 'user') w.event({ ts, role: 'user', kind: 'prompt', text: userQuery(b.text) });
      else w.event({ ts, role: 'assistant', kind: 'text', text: b.text });
    } else if (b?.type === 'tool_use') {
      const name = typeof b.name === 'string' ? b.name : 'unknown';
      const input = (b.input && typeof b.input === 'object' ? b.input : {}) as Json;
      const { files, commands, summary } = describeAgentTool(name, input);
      w.event({
        ts,
        role: 'assistant',
        kind: 'tool_use',
        toolName: name,
        toolUseId: typeof b.id === 'string' ? b.id : undefined,
        input,
        text: summary ? `${name}: ${summary}` : name,
        files,
        commands,
      });
    } else if (b?.type === 'tool_result') {
      w.event({
        ts,
        role: 'tool',
        kind: 'tool_result',
        toolUseId: typeof b.tool_use_id === 'string' ? b.tool_use_id : undefined,
        text: typeof b.content === 'string' ? b.content : JSON.stringify(b.content ?? ''),
      });
    }
  }
  return true;
}

/** Cursor's tools: `Read`/`Write`/`Edit`/`StrReplace` take `path`, `Shell` a `command`. */
function describeAgentTool(name: string, input: Json) {
  const path =
    typeof input.path === 'string'
      ? input.path
      : typeof input.file_path === 'string'
        ? input.file_path
        : undefined;
  const mapped = name === 'Shell' ? 'Bash' : /^(StrReplace|Edit|MultiEdit)$/.test(name) ? 'Edit' : name;
  return describeToolCall(mapped, { ...input, ...(path ? { file_path: path } : {}) });
}

/** `<user_query>\nwords\n</user_query>` -> `words` (the wrapper is Cursor's, the words are the person's). */
function userQuery(text: string): string {
  const m = /^\s*<user_query>\s*([\s\S]*?)\s*<\/user_query>\s*$/.exec(text);
  return m ? (m[1] as string) : text;
}

function hexJson(value: string): Json | undefined {
  try {
    const text = /^[0-9a-f]+$/i.test(value) ? Buffer.from(value, 'hex').toString('utf8') : value;
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** The uuid of a transcript or store path. */
export function agentChatId(path: string): string {
  return basename(path).endsWith('.db') ? basename(dirname(path)) : basename(path, '.jsonl');
}
