import { existsSync, globSync, readdirSync, statSync } from 'node:fs';
import { homedir, platform } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { agentChatId, readAgentChats } from './cursor-agent.js';
import type { SessionSources } from './types.js';

export type SourceKind =
  | 'claude'
  | 'claude-subagent'
  | 'codex'
  | 'cursor'
  | 'cursor-agent'
  | 'cursor-store'
  | 'habitat-log';

export interface SourceFile {
  path: string;
  kind: SourceKind;
  /** habitat agent owning the Claude home (`<stateDir>/claude/<agent>`) */
  agent?: string;
  /** cursor-agent chats: the working directory and times its `chats/` entry records */
  cwd?: string;
  fallbackTs?: number;
}

/** The roots to scan, with defaults resolved. */
export interface ResolvedSources {
  claude: Array<{ dir: string; agent?: string }>;
  codex: string[];
  cursor: string[];
  stateDir?: string;
}

export function resolveSources(
  sources: SessionSources,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedSources {
  const home = env.HOME ?? homedir();
  const claude: Array<{ dir: string; agent?: string }> = (sources.claude ?? []).map((dir) => ({
    dir: resolve(dir),
  }));
  const codex = (sources.codex ?? []).map((d) => resolve(d));
  const cursor = (sources.cursor ?? []).map((d) => resolve(d));
  if (sources.defaults ?? true) {
    for (const dir of (env.CLAUDE_CONFIG_DIR ?? '').split(',').filter(Boolean))
      claude.push({ dir: resolve(dir) });
    if (!env.CLAUDE_CONFIG_DIR) {
      claude.push({ dir: join(home, '.claude') });
      claude.push({ dir: join(home, '.config', 'claude') });
    }
    codex.push(env.CODEX_HOME ? resolve(env.CODEX_HOME) : join(home, '.codex'));
    cursor.push(defaultCursorDir(home, env));
    // Cursor 3.x / cursor-agent store chats outside state.vscdb
    cursor.push(join(home, '.cursor'));
  }
  if (sources.stateDir) {
    const homes = join(sources.stateDir, 'claude');
    if (existsSync(homes)) {
      for (const entry of readdirSync(homes, { withFileTypes: true }))
        if (entry.isDirectory()) claude.push({ dir: join(homes, entry.name), agent: entry.name });
    }
  }
  return {
    claude: dedupe(claude, (c) => c.dir),
    codex: [...new Set(codex)],
    cursor: [...new Set(cursor)],
    stateDir: sources.stateDir,
  };
}

/** Cursor's user-data dir on this platform. */
export function defaultCursorDir(home: string, env: NodeJS.ProcessEnv = process.env): string {
  switch (platform()) {
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'Cursor');
    case 'win32':
      return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Cursor');
    default:
      return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'Cursor');
  }
}

/** Every session file under the resolved roots. */
export function discoverFiles(roots: ResolvedSources): SourceFile[] {
  const out: SourceFile[] = [];
  for (const { dir, agent } of roots.claude) {
    const projects = join(dir, 'projects');
    if (!isDir(projects)) continue;
    for (const rel of globSync('*/*.jsonl', { cwd: projects }))
      out.push({ path: join(projects, rel), kind: 'claude', agent });
    // 2.1 subagents, and workflow runs' agents (`<session>/subagents/workflows/<run>/agent-*.jsonl`)
    for (const rel of globSync(['*/*/subagents/agent-*.jsonl', '*/*/subagents/workflows/*/agent-*.jsonl'], {
      cwd: projects,
    }))
      out.push({ path: join(projects, rel), kind: 'claude-subagent', agent });
  }
  for (const dir of roots.codex) {
    // `sessions/YYYY/MM/DD/` (JSONL, maybe zstd-compressed), the TypeScript CLI's flat `sessions/rollout-*.json`,
    // and `archived_sessions/`
    for (const sub of ['sessions', 'archived_sessions']) {
      const sessions = join(dir, sub);
      if (!isDir(sessions)) continue;
      for (const rel of globSync(['**/rollout-*.jsonl', '**/rollout-*.jsonl.zst', '**/rollout-*.json'], {
        cwd: sessions,
      }))
        out.push({ path: join(sessions, rel), kind: 'codex' });
    }
  }
  for (const dir of roots.cursor) {
    if (dir.endsWith('.vscdb')) {
      if (existsSync(dir)) out.push({ path: dir, kind: 'cursor' });
      continue;
    }
    if (isDir(join(dir, 'chats')) || isDir(join(dir, 'projects'))) {
      // a `~/.cursor`: agent transcripts, and chat stores where no transcript exists
      const chats = readAgentChats(dir);
      const transcripts = new Set<string>();
      const projects = join(dir, 'projects');
      if (isDir(projects))
        for (const rel of globSync('*/agent-transcripts/*/*.jsonl', { cwd: projects })) {
          const path = join(projects, rel);
          const chat = chats.get(agentChatId(path));
          transcripts.add(agentChatId(path));
          out.push({ path, kind: 'cursor-agent', cwd: chat?.cwd, fallbackTs: chat?.createdAt });
        }
      for (const [id, chat] of chats)
        if (chat.store && !transcripts.has(id))
          out.push({ path: chat.store, kind: 'cursor-store', cwd: chat.cwd, fallbackTs: chat.createdAt });
      continue;
    }
    const user = isDir(join(dir, 'User')) ? join(dir, 'User') : dir;
    const global = join(user, 'globalStorage', 'state.vscdb');
    if (existsSync(global)) out.push({ path: global, kind: 'cursor' });
    const ws = join(user, 'workspaceStorage');
    if (isDir(ws))
      for (const rel of globSync('*/state.vscdb', { cwd: ws }))
        out.push({ path: join(ws, rel), kind: 'cursor' });
  }
  if (roots.stateDir) {
    const logs = join(roots.stateDir, 'logs');
    if (isDir(logs))
      for (const rel of globSync('*/*.log', { cwd: logs }))
        out.push({ path: join(logs, rel), kind: 'habitat-log', agent: basename(dirname(join(logs, rel))) });
  }
  // while Codex compresses a rollout both files exist for a moment: the plain one is the session
  const plain = new Set(out.filter((f) => f.kind === 'codex').map((f) => f.path));
  for (let i = out.length - 1; i >= 0; i--) {
    const f = out[i] as SourceFile;
    if (f.kind === 'codex' && f.path.endsWith('.zst') && plain.has(f.path.slice(0, -4))) out.splice(i, 1);
  }
  // sorted: ties between copies of one API message keep the first seen, in ccusage's (path) order
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function dedupe<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Map<string, T>();
  // a later entry with an agent wins over the same dir given plainly
  for (const item of items)
    if (!seen.has(key(item)) || (item as { agent?: string }).agent) seen.set(key(item), item);
  return [...seen.values()];
}
