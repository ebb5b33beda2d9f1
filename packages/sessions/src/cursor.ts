/**
 * Cursor chat history from `state.vscdb` files (global and per workspace): composer sessions
 * (`cursorDiskKV`: `composerData:<id>` + `bubbleId:<id>:<bubble>`) and the older `ItemTable` chat data.
 * Opened read-only with a busy timeout, so reading while Cursor runs is safe.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Redactor } from './redact.js';
import { type DB, deleteSource } from './store.js';
import type { FileTouch } from './types.js';
import type { Applier, SessionWriter } from './writer.js';

type Json = Record<string, unknown>;

interface SourceRow {
  path: string;
  size: number;
  mtime_ms: number;
}

export interface CursorReport {
  added: number;
  reindexed: number;
  unchanged: number;
  pruned: number;
}

export function indexCursorDb(
  db: DB,
  applier: Applier,
  redactor: Redactor,
  path: string,
  sources: Map<string, SourceRow>,
  seen: Set<string>,
  /** composer id -> workspace folder, from every workspace DB's `composer.composerData` (read when needed) */
  workspaces: () => Map<string, string>,
): CursorReport {
  const report: CursorReport = { added: 0, reindexed: 0, unchanged: 0, pruned: 0 };
  const { size, mtimeMs } = combinedStat(path);
  const prev = sources.get(path);
  if (prev && prev.size === size && prev.mtime_ms === mtimeMs) {
    report.unchanged++;
    return report;
  }
  const cursor = openReadOnly(path);
  try {
    const project = workspaceFolder(path);
    const upsert = db.prepare(
      `INSERT INTO sources (path, kind, size, mtime_ms, offset, session_sid) VALUES (?, 'cursor', ?, ?, 0, ?)
       ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, session_sid = excluded.session_sid`,
    );
    const present = new Set<string>();
    const hasKv = tableExists(cursor, 'cursorDiskKV');
    const hasItems = tableExists(cursor, 'ItemTable');
    const item = hasItems ? cursor.prepare('SELECT value FROM ItemTable WHERE key = ?').pluck() : undefined;
    // Cursor 0.42 kept composers, conversation inline, in the workspace DB's `composer.composerData`
    const inlineComposers = (
      (parse(item?.get('composer.composerData'))?.allComposers ?? []) as Json[]
    ).filter((c) => Array.isArray(c?.conversation) && (c.conversation as Json[]).length > 0);
    const composers = hasKv
      ? (cursor
          .prepare("SELECT key, value FROM cursorDiskKV WHERE key LIKE 'composerData:%'")
          .all() as Array<{ key: string; value: unknown }>)
      : [];
    for (const c of inlineComposers)
      composers.push({ key: `composerData:${String(c.composerId)}`, value: c });
    const bubbleStmt = hasKv
      ? cursor.prepare('SELECT key, value FROM cursorDiskKV WHERE key >= ? AND key < ?')
      : undefined;
    db.transaction(() => {
      for (const { key, value } of composers) {
        const data =
          typeof value === 'object' && value && !Buffer.isBuffer(value) ? (value as Json) : parse(value);
        if (!data) continue;
        const id = (data.composerId as string | undefined) ?? key.slice('composerData:'.length);
        const sourcePath = `${path}#${id}`;
        present.add(sourcePath);
        seen.add(sourcePath);
        const version = Number(data.lastUpdatedAt ?? data.createdAt ?? 0) || String(value).length;
        const old = sources.get(sourcePath);
        if (old && old.size === version) {
          report.unchanged++;
          continue;
        }
        if (old) deleteSource(db, sourcePath);
        const w = applier.inline(`cursor:${id}`, 'cursor', sourcePath, redactor);
        // since 0.43 composers live in the global DB: their workspace says where (or the workspace that lists them)
        const folder = project ?? workspaceOf(data) ?? workspaces().get(id);
        w.row.project = w.row.cwd = folder ?? null;
        w.row.title = typeof data.name === 'string' && data.name ? data.name : null;
        w.row.titled = w.row.title ? 1 : 0;
        const createdAt = typeof data.createdAt === 'number' ? data.createdAt : undefined;
        w.fallbackTs = createdAt;
        const headers = Array.isArray(data.fullConversationHeadersOnly)
          ? (data.fullConversationHeadersOnly as Json[])
          : [];
        const inline = Array.isArray(data.conversation) ? (data.conversation as Json[]) : [];
        const bubbles: Json[] = inline.length
          ? inline
          : orderedBubbles(
              id,
              headers,
              (bubbleStmt?.all(`bubbleId:${id}:`, `bubbleId:${id};`) ?? []) as Array<{
                key: string;
                value: unknown;
              }>,
            );
        // a prompt kept only as rich text on the composer (0.42 `delegate`/`initText`)
        if (!bubbles.some((b) => b.type === 1 || b.type === 'user')) {
          const first =
            richText(data.richText) ??
            richText((data.delegate as Json | undefined)?.initText) ??
            richText(data.initText);
          if (first) w.event({ ts: createdAt, role: 'user', kind: 'prompt', text: first });
        }
        for (const b of bubbles) bubbleEvents(b, w);
        if (typeof data.lastUpdatedAt === 'number' && (w.row.last_ts ?? 0) < data.lastUpdatedAt)
          w.row.last_ts = data.lastUpdatedAt;
        w.finish();
        upsert.run(sourcePath, version, 0, w.sid);
        if (old) report.reindexed++;
        else report.added++;
      }
      // the older chat panel data
      const tabs: Json[] = [];
      for (const k of [
        'workbench.panel.aichat.view.aichat.chatdata',
        'workbench.panel.chat.view.chat.chatdata',
      ]) {
        const chat = parse(item?.get(k));
        if (Array.isArray(chat?.tabs)) tabs.push(...(chat.tabs as Json[]));
      }
      for (const tab of tabs) {
        const id = String(tab.tabId ?? '');
        if (!id || !Array.isArray(tab.bubbles) || tab.bubbles.length === 0) continue;
        const sourcePath = `${path}#chat-${id}`;
        present.add(sourcePath);
        seen.add(sourcePath);
        const version = Number(tab.lastSendTime ?? 0) || JSON.stringify(tab.bubbles).length;
        const old = sources.get(sourcePath);
        if (old && old.size === version) {
          report.unchanged++;
          continue;
        }
        if (old) deleteSource(db, sourcePath);
        const w = applier.inline(`cursor:chat-${id}`, 'cursor', sourcePath, redactor);
        w.row.project = w.row.cwd = project ?? null;
        w.row.title = typeof tab.chatTitle === 'string' ? tab.chatTitle : null;
        w.row.titled = w.row.title ? 1 : 0;
        w.fallbackTs = typeof tab.lastSendTime === 'number' ? tab.lastSendTime : undefined;
        for (const b of tab.bubbles as Json[]) {
          const user = b.type === 'user' || b.type === 1;
          w.event({
            ts: w.fallbackTs,
            role: user ? 'user' : 'assistant',
            kind: user ? 'prompt' : 'text',
            text: bubbleText(b),
          });
        }
        w.finish();
        upsert.run(sourcePath, version, 0, w.sid);
        if (old) report.reindexed++;
        else report.added++;
      }
      for (const row of sources.values()) {
        if (row.path.startsWith(`${path}#`) && !present.has(row.path)) {
          deleteSource(db, row.path);
          report.pruned++;
        }
      }
      upsert.run(path, size, mtimeMs, null);
    })();
  } finally {
    cursor.close();
  }
  return report;
}

/**
 * A composer's bubbles in header order. A header names a bubble by its key (`bubbleId:<composer>:<bubble>`) or, where
 * the two differ (store-backed and empty ids), by the `bubbleId` inside the row; rows no header names come last.
 */
function orderedBubbles(id: string, headers: Json[], rows: Array<{ key: string; value: unknown }>): Json[] {
  const byKey = new Map<string, Json>();
  const byInner = new Map<string, Json>();
  for (const { key, value } of rows) {
    const b = parse(value);
    if (!b) continue;
    byKey.set(key.slice(`bubbleId:${id}:`.length), b);
    if (typeof b.bubbleId === 'string' && !byInner.has(b.bubbleId)) byInner.set(b.bubbleId, b);
  }
  const out: Json[] = [];
  const used = new Set<Json>();
  for (const h of headers) {
    const ref = String(h.bubbleId ?? '');
    const b = byKey.get(ref) ?? byInner.get(ref);
    if (b && !used.has(b)) {
      out.push(b);
      used.add(b);
    }
  }
  const rest = [...byKey.values()].filter((b) => !used.has(b));
  rest.sort((a, b) => String(a.createdAt ?? '').localeCompare(String(b.createdAt ?? '')));
  return [...out, ...rest];
}

function bubbleEvents(b: Json, w: SessionWriter): void {
  const user = b.type === 1 || b.type === 'user';
  const ts =
    typeof b.createdAt === 'string'
      ? Date.parse(b.createdAt)
      : typeof b.createdAt === 'number'
        ? b.createdAt
        : w.fallbackTs;
  const model = ((b.modelInfo ?? {}) as Json).modelName as string | undefined;
  const thinking = ((b.thinking ?? {}) as Json).text;
  if (typeof thinking === 'string' && thinking)
    w.event({ ts, role: 'assistant', kind: 'thinking', thinking, model });
  const text = bubbleText(b);
  if (text)
    w.event({
      ts,
      role: user ? 'user' : 'assistant',
      kind: user ? 'prompt' : 'text',
      text,
      model: user ? undefined : model,
    });
  const tool = b.toolFormerData as Json | undefined;
  if (tool && typeof tool.name === 'string') {
    let input: unknown = tool.rawArgs ?? tool.params;
    if (typeof input === 'string') {
      try {
        input = JSON.parse(input);
      } catch {
        // keep the raw text
      }
    }
    const args = (input && typeof input === 'object' ? input : {}) as Json;
    const files: FileTouch[] = [];
    const commands: string[] = [];
    const target = (args.target_file ??
      args.targetFile ??
      args.path ??
      args.relative_workspace_path ??
      args.relativeWorkspacePath ??
      args.file_path) as string | undefined;
    // a search tool's `path` is where it looked, not a file it touched
    if (typeof target === 'string' && /file|read|edit|write|create|replace|delete/i.test(tool.name)) {
      const op = /edit|write|create|replace|delete/.test(tool.name)
        ? /create|write/.test(tool.name)
          ? 'write'
          : 'edit'
        : 'read';
      files.push({ path: target, op });
    }
    if (typeof args.command === 'string') commands.push(args.command);
    const toolUseId = (tool.toolCallId as string | undefined) ?? (b.bubbleId as string | undefined);
    w.event({
      ts,
      role: 'assistant',
      kind: 'tool_use',
      toolName: tool.name,
      toolUseId,
      input,
      text: `${tool.name}: ${target ?? args.command ?? ''}`.trim(),
      model,
      files,
      commands,
    });
    const status = tool.status ?? (tool.additionalData as Json | undefined)?.status;
    if (tool.result !== undefined || status === 'error') {
      w.event({
        ts,
        role: 'tool',
        kind: 'tool_result',
        toolName: tool.name,
        toolUseId,
        text: renderResult(tool.result),
        isError: status === 'error' || (tool.additionalData as Json | undefined)?.status === 'error',
      });
    }
  }
  const tokens = b.tokenCount as Json | undefined;
  if (tokens && ts !== undefined && (Number(tokens.inputTokens) > 0 || Number(tokens.outputTokens) > 0))
    w.usage({
      ts,
      model,
      input: Number(tokens.inputTokens) || 0,
      output: Number(tokens.outputTokens) || 0,
      cacheRead: 0,
      cacheCreation: 0,
    });
}

/** A bubble's words: plain text, or the rich text (Lexical JSON) Cursor kept instead. */
function bubbleText(b: Json): string | undefined {
  const plain =
    typeof b.text === 'string' && b.text
      ? b.text
      : typeof b.rawText === 'string' && b.rawText
        ? b.rawText
        : undefined;
  return (
    plain ??
    richText(b.richText) ??
    richText((b.delegate as Json | undefined)?.initText) ??
    richText((b.delegate as Json | undefined)?.richText) ??
    richText(b.initText)
  );
}

/** The text of a Lexical editor state (a JSON string or object): its text nodes, one paragraph a line. */
export function richText(value: unknown): string | undefined {
  let v = value;
  if (typeof v === 'string') {
    if (!v.startsWith('{')) return v || undefined;
    try {
      v = JSON.parse(v);
    } catch {
      return v as string;
    }
  }
  if (!v || typeof v !== 'object') return undefined;
  const lines: string[] = [];
  const walk = (node: Json, line: string[]): void => {
    if (typeof node.text === 'string') line.push(node.text);
    const children = Array.isArray(node.children) ? (node.children as Json[]) : [];
    if (node.type === 'paragraph' || node.type === 'heading' || node.type === 'listitem') {
      const own: string[] = [];
      for (const c of children) walk(c, own);
      lines.push(own.join(''));
    } else for (const c of children) walk(c, line);
  };
  const root = ((v as Json).root ?? v) as Json;
  const rest: string[] = [];
  walk(root, rest);
  if (rest.length) lines.push(rest.join(''));
  const text = lines.join('\n').trim();
  return text || undefined;
}

/** A tool result as a person reads it: its text, not the JSON string Cursor stored. */
export function renderResult(result: unknown): string {
  let v = result;
  if (typeof v === 'string') {
    const t = v.trim();
    if (!t.startsWith('{') && !t.startsWith('[')) return v;
    try {
      v = JSON.parse(t);
    } catch {
      return v as string;
    }
  }
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.map((x) => renderResult(x)).join('\n');
  const o = v as Json;
  for (const k of ['contents', 'content', 'output', 'stdout', 'text', 'result', 'message', 'error'])
    if (typeof o[k] === 'string' && o[k]) {
      const extra = typeof o.stderr === 'string' && o.stderr ? `\n${o.stderr}` : '';
      return `${o[k] as string}${extra}`;
    }
  return Object.entries(o)
    .map(([k, x]) => `${k}: ${typeof x === 'string' ? x : JSON.stringify(x)}`)
    .join('\n');
}

/** The folder a composer names (`workspaceIdentifier.uri`, or a URI on it). */
function workspaceOf(data: Json): string | undefined {
  const id = data.workspaceIdentifier as Json | undefined;
  const uri = (id?.uri ?? id?.configPath) as Json | string | undefined;
  if (typeof uri === 'string') return uriPath(uri);
  if (uri && typeof uri === 'object')
    return str(uri.fsPath) ?? (typeof uri.path === 'string' ? uri.path : uriPath(str(uri.external)));
  return undefined;
}

/** `file:///x/y` or `vscode-remote://ssh-remote+host/x/y` -> `/x/y`; a `.code-workspace` file -> its folder. */
export function uriPath(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  let path = uri;
  if (/^[a-z][\w+.-]*:\/\//i.test(uri)) {
    try {
      path = decodeURIComponent(new URL(uri).pathname);
    } catch {
      return undefined;
    }
  }
  return path.endsWith('.code-workspace') ? dirname(path) : path;
}

/** composer id -> workspace folder, read from each workspace DB's `composer.composerData` list. */
export function readWorkspaceComposers(workspaceDbs: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const path of workspaceDbs) {
    const folder = workspaceFolder(path);
    if (!folder) continue;
    let db: Database.Database | undefined;
    try {
      db = openReadOnly(path);
      if (!tableExists(db, 'ItemTable')) continue;
      const data = parse(
        db.prepare("SELECT value FROM ItemTable WHERE key = 'composer.composerData'").pluck().get(),
      );
      for (const c of (Array.isArray(data?.allComposers) ? data.allComposers : []) as Json[])
        if (typeof c?.composerId === 'string') map.set(c.composerId, folder);
    } catch {
      // a workspace DB being written or damaged: its composers just stay without a project
    } finally {
      db?.close();
    }
  }
  return map;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function openReadOnly(path: string): Database.Database {
  // `readonly` never writes or checkpoints; the busy timeout rides out Cursor's own writes (SQLITE_BUSY)
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 3000 });
  return db;
}

function combinedStat(path: string): { size: number; mtimeMs: number } {
  const st = statSync(path);
  let size = st.size;
  let mtimeMs = st.mtimeMs;
  try {
    const wal = statSync(`${path}-wal`);
    size += wal.size;
    mtimeMs = Math.max(mtimeMs, wal.mtimeMs);
  } catch {
    // no WAL: Cursor is not running or checkpointed
  }
  return { size, mtimeMs };
}

/** The folder of a workspace DB (`workspace.json`: `folder`, or a `.code-workspace` `workspace`, maybe remote). */
function workspaceFolder(path: string): string | undefined {
  try {
    const ws = JSON.parse(readFileSync(join(dirname(path), 'workspace.json'), 'utf8')) as {
      folder?: string;
      workspace?: string;
    };
    return uriPath(ws.folder) ?? uriPath(ws.workspace);
  } catch {
    return undefined;
  }
}

function tableExists(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

function parse(value: unknown): Json | undefined {
  if (value === undefined || value === null) return undefined;
  try {
    const text = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Json) : undefined;
  } catch {
    return undefined;
  }
}
