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
    const composers = hasKv
      ? (cursor
          .prepare("SELECT key, value FROM cursorDiskKV WHERE key LIKE 'composerData:%'")
          .all() as Array<{ key: string; value: unknown }>)
      : [];
    const bubbleStmt = hasKv
      ? cursor.prepare('SELECT value FROM cursorDiskKV WHERE key = ?').pluck()
      : undefined;
    db.transaction(() => {
      for (const { key, value } of composers) {
        const data = parse(value);
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
        w.row.project = w.row.cwd = project ?? null;
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
          : headers
              .map((h) => parse(bubbleStmt?.get(`bubbleId:${id}:${h.bubbleId}`)))
              .filter((b): b is Json => !!b);
        for (const b of bubbles) bubbleEvents(b, w);
        if (typeof data.lastUpdatedAt === 'number' && (w.row.last_ts ?? 0) < data.lastUpdatedAt)
          w.row.last_ts = data.lastUpdatedAt;
        w.finish();
        upsert.run(sourcePath, version, 0, w.sid);
        if (old) report.reindexed++;
        else report.added++;
      }
      // the older chat panel data
      if (tableExists(cursor, 'ItemTable')) {
        const raw = cursor
          .prepare("SELECT value FROM ItemTable WHERE key = 'workbench.panel.aichat.view.aichat.chatdata'")
          .pluck()
          .get();
        const chat = parse(raw);
        for (const tab of (Array.isArray(chat?.tabs) ? chat.tabs : []) as Json[]) {
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
            const user = b.type === 'user';
            const text = (b.text ?? b.rawText) as string | undefined;
            w.event({
              ts: w.fallbackTs,
              role: user ? 'user' : 'assistant',
              kind: user ? 'prompt' : 'text',
              text,
            });
          }
          w.finish();
          upsert.run(sourcePath, version, 0, w.sid);
          if (old) report.reindexed++;
          else report.added++;
        }
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
  const text = typeof b.text === 'string' ? b.text : undefined;
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
    const target = (args.target_file ?? args.targetFile ?? args.path ?? args.relative_workspace_path) as
      | string
      | undefined;
    if (typeof target === 'string') {
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
    if (tool.result !== undefined || tool.status === 'error') {
      const result = typeof tool.result === 'string' ? tool.result : JSON.stringify(tool.result ?? null);
      w.event({
        ts,
        role: 'tool',
        kind: 'tool_result',
        toolName: tool.name,
        toolUseId,
        text: result,
        isError: tool.status === 'error',
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

function workspaceFolder(path: string): string | undefined {
  try {
    const ws = JSON.parse(readFileSync(join(dirname(path), 'workspace.json'), 'utf8')) as { folder?: string };
    if (ws.folder?.startsWith('file://')) return decodeURIComponent(new URL(ws.folder).pathname);
    return ws.folder;
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
