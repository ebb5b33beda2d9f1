/**
 * Cursor: composers in the global DB joined to their workspace, 0.42's inline composers and rich-text prompts, the
 * chat panel keys, and Cursor 3.x / cursor-agent storage outside state.vscdb (fixtures in ../shared/real-sessions).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { indexSessions, openSessionIndex } from '../src/index.js';

const real = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'real-sessions');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cursor-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const index = (cursor: string[]) =>
  indexSessions({ dbPath: join(dir, 'sessions.db'), sources: { cursor, defaults: false } });

function vscdb(path: string, kv: Record<string, unknown>, items: Record<string, unknown> = {}): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const db = new Database(path);
  db.exec(
    'CREATE TABLE cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB); CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)',
  );
  for (const [k, v] of Object.entries(kv))
    db.prepare('INSERT INTO cursorDiskKV VALUES (?, ?)').run(k, JSON.stringify(v));
  for (const [k, v] of Object.entries(items))
    db.prepare('INSERT INTO ItemTable VALUES (?, ?)').run(k, JSON.stringify(v));
  db.close();
}

const lexical = (text: string) =>
  JSON.stringify({
    root: { type: 'root', children: [{ type: 'paragraph', children: [{ type: 'text', text }] }] },
  });

test("cursor-history's composer fixture: the composer carries its workspace as project, tools rendered", () => {
  const report = index([join(real, 'cursor-peers', 'cursor-history-v016', 'globalStorage', 'state.vscdb')]);
  expect(report.errors).toEqual([]);
  const ix = openSessionIndex(join(dir, 'sessions.db'));
  const [s] = ix.listSessions({ project: '/fixture/v016/project' });
  expect(s).toMatchObject({ title: 'Synthetic v0.16 Composer session', source: 'cursor' });
  const events = ix.getEvents(s?.id as string);
  expect(events.filter((e) => e.kind === 'prompt').map((e) => e.text)).toEqual([
    'Synthetic question alpha.',
    'Synthetic empty-ID compatibility turn.',
  ]);
  expect(events.filter((e) => e.kind === 'tool_result').map((e) => e.text)).toEqual([
    'synthetic read result',
    'synthetic search result',
  ]);
  expect(ix.getSessionDetail(s?.id as string)?.files).toEqual([
    { path: '/fixture/v016/project/synthetic.ts', ops: ['read'] },
  ]);
  ix.close();
});

test('global composers join the workspace that lists them; 0.42 inline composers, rich-text prompts, the chat panel key', () => {
  const user = join(dir, 'Cursor', 'User');
  vscdb(join(user, 'globalStorage', 'state.vscdb'), {
    'composerData:g1': {
      composerId: 'g1',
      name: 'Global composer',
      createdAt: 1735000000000,
      fullConversationHeadersOnly: [{ bubbleId: 'b1' }, { bubbleId: 'b2' }],
    },
    'bubbleId:g1:b1': { type: 1, richText: lexical('why does the build fail') },
    'bubbleId:g1:b2': {
      type: 2,
      text: 'Looking at it.',
      toolFormerData: {
        name: 'edit_file',
        rawArgs: JSON.stringify({ relativeWorkspacePath: 'src/build.ts' }),
        result: JSON.stringify({ output: 'could not apply the edit', exitCode: 1 }),
        additionalData: { status: 'error' },
      },
    },
  });
  const ws = join(user, 'workspaceStorage', 'abc123');
  mkdirSync(ws, { recursive: true });
  writeFileSync(join(ws, 'workspace.json'), JSON.stringify({ folder: 'file:///home/me/src/web-app' }));
  vscdb(
    join(ws, 'state.vscdb'),
    {},
    {
      'composer.composerData': {
        allComposers: [
          { composerId: 'g1' },
          {
            composerId: 'old1',
            name: '0.42 composer',
            createdAt: 1730000000000,
            delegate: { initText: lexical('add dark mode') },
            conversation: [{ type: 2, text: 'Added a theme toggle.' }],
          },
        ],
      },
      'workbench.panel.chat.view.chat.chatdata': {
        tabs: [
          {
            tabId: 't1',
            chatTitle: 'Panel chat',
            lastSendTime: 1731000000000,
            bubbles: [
              { type: 'user', rawText: 'explain the router' },
              { type: 'ai', text: 'It maps paths.' },
            ],
          },
        ],
      },
    },
  );
  expect(index([join(dir, 'Cursor')]).errors).toEqual([]);
  const ix = openSessionIndex(join(dir, 'sessions.db'));
  const found = ix.listSessions({ project: 'web-app' }).map((s) => [s.id, s.title]);
  expect(found.sort()).toEqual([
    ['cursor:chat-t1', 'Panel chat'],
    ['cursor:g1', 'Global composer'],
    ['cursor:old1', '0.42 composer'],
  ]);
  const g1 = ix.getEvents('cursor:g1');
  expect(g1.find((e) => e.kind === 'prompt')?.text).toBe('why does the build fail');
  expect(g1.find((e) => e.kind === 'tool_result')).toMatchObject({
    text: 'could not apply the edit',
    isError: true,
  });
  expect(ix.getSessionDetail('cursor:g1')?.files).toEqual([{ path: 'src/build.ts', ops: ['edit'] }]);
  expect(ix.getSession('cursor:g1')?.toolErrors).toBe(1);
  expect(ix.getEvents('cursor:old1').map((e) => [e.kind, e.text])).toEqual([
    ['prompt', 'add dark mode'],
    ['text', 'Added a theme toggle.'],
  ]);
  expect(ix.getEvents('cursor:chat-t1').map((e) => e.text)).toEqual(['explain the router', 'It maps paths.']);
  ix.close();
});

test('Cursor 3.x / cursor-agent: transcripts and chat stores under ~/.cursor, a store alone still a session', () => {
  const dot = join(dir, 'home', '.cursor');
  cpSync(join(real, 'cursor-store-stack', 'dot-cursor'), dot, { recursive: true });
  // a machine where the store is the only copy of a chat
  const only = join(dot, 'chats', '0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f', 'cccccccc-0000-0000-0000-000000000003');
  mkdirSync(only, { recursive: true });
  cpSync(join(real, 'cursor-store-stack', 'agent-sessions', 'test-store.db'), join(only, 'store.db'));
  writeFileSync(
    join(only, 'meta.json'),
    JSON.stringify({ schemaVersion: 1, createdAtMs: 1775522590321, cwd: '/home/me/api' }),
  );
  const report = index([dot]);
  expect(report).toMatchObject({ added: 3, unknown: 0, malformed: 0, errors: [] });
  const ix = openSessionIndex(join(dir, 'sessions.db'));
  const a = ix.getSession('cursor-agent:aaaaaaaa-0000-0000-0000-000000000001');
  expect(a).toMatchObject({
    project: '/mnt/d/1_yuyu_proj/cursor-history',
    title: 'Read foo.txt',
    firstAt: new Date(1783737832293).toISOString(),
  });
  expect(ix.getSessionDetail(a?.id as string)?.files).toEqual([{ path: '/tmp/foo.txt', ops: ['read'] }]);
  expect(ix.getSession('cursor-agent:bbbbbbbb-0000-0000-0000-000000000002')).toMatchObject({
    project: 'empty-window',
    title: 'What is 2+2?',
  });
  expect(ix.getSession('cursor-agent:cccccccc-0000-0000-0000-000000000003')).toMatchObject({
    project: '/home/me/api',
    title: 'Test Session',
    models: ['claude-4-sonnet'],
  });
  expect(ix.listSessions({ project: 'cursor-history' }).map((s) => s.id)).toEqual([
    'cursor-agent:aaaaaaaa-0000-0000-0000-000000000001',
  ]);
  ix.close();
});
