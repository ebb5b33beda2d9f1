/**
 * Real transcripts other people wrote (`<repo>/../shared/real-sessions`, see its README): what the index makes of
 * them must match what a user sees in them, and per-day usage must equal `ccusage daily --offline --json`.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  globSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { indexSessions, openSessionIndex, type SessionIndex } from '../src/index.js';

const real = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'real-sessions');
const ccusage = join(import.meta.dirname, '..', 'node_modules', '.bin', 'ccusage');
let dir: string;

/** A Claude config dir holding copies of the chosen project folders (ccusage does not follow symlinks). */
function claudeHome(name: string, keep: (folder: string) => boolean): string {
  const home = join(dir, name);
  mkdirSync(join(home, 'projects'), { recursive: true });
  const projects = join(real, 'claude', 'projects');
  for (const f of readdirSync(projects))
    if (keep(f)) cpSync(join(projects, f), join(home, 'projects', f), { recursive: true });
  return home;
}

type Day = [string, number, number, number, number];

function ccusageJson(home: string): Array<Record<string, number | string>> {
  const out = execFileSync(ccusage, ['daily', '--offline', '--json'], {
    env: { PATH: process.env.PATH, CLAUDE_CONFIG_DIR: home, HOME: join(dir, 'nohome'), TZ: 'UTC' },
  });
  return (JSON.parse(out.toString()) as { daily: Array<Record<string, number | string>> }).daily;
}

function ccusageDaily(home: string): Day[] {
  return ccusageJson(home).map((d) => [
    String(d.period ?? d.date),
    Number(d.inputTokens),
    Number(d.outputTokens),
    Number(d.cacheReadTokens),
    Number(d.cacheCreationTokens),
  ]);
}

function indexStats(home: string, db: string) {
  indexSessions({ dbPath: join(dir, db), sources: { claude: [home], defaults: false } });
  const ix = openSessionIndex(join(dir, db));
  try {
    // a day with tool calls and no tokens is not in ccusage's list
    return ix.stats({ by: 'day', timezone: 'UTC', source: 'claude' }).filter((d) => d.totalTokens > 0);
  } finally {
    ix.close();
  }
}

function indexDaily(home: string, db: string): Day[] {
  return indexStats(home, db).map((d) => [
    d.key,
    d.inputTokens,
    d.outputTokens,
    d.cacheReadTokens,
    d.cacheCreationTokens,
  ]);
}

/** Per day, the cost and how far it is from ccusage's (habitat rounds to a millionth of a dollar). */
function costGaps(home: string, db: string): Array<[string, number, number]> {
  const ours = new Map(indexStats(home, db).map((d) => [d.key, d.costUsd]));
  return ccusageJson(home).map((d) => {
    const day = String(d.period ?? d.date);
    const cost = ours.get(day) ?? Number.NaN;
    return [day, cost, Math.abs(cost - Number(d.totalCost)) < 2e-6 ? 0 : cost - Number(d.totalCost)];
  });
}

beforeAll(() => {
  if (!existsSync(real)) throw new Error(`${real} is missing: the real-session corpus sits beside the repo`);
  dir = mkdtempSync(join(tmpdir(), 'real-sessions-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Claude Code usage equals ccusage daily', () => {
  test('on the real transcripts (every day, all four token kinds)', () => {
    const home = claudeHome('real', (f) => !f.startsWith('peer-'));
    const theirs = ccusageDaily(home);
    expect(theirs.length).toBeGreaterThan(20);
    expect(indexDaily(home, 'real.db')).toEqual(theirs);
  });

  test("on the real transcripts the cost per day is ccusage's too (1-hour cache writes at their own price)", () => {
    const home = claudeHome('real-cost', (f) => !f.startsWith('peer-'));
    const gaps = costGaps(home, 'real-cost.db');
    expect(gaps.length).toBeGreaterThan(20);
    expect(gaps.filter(([, , gap]) => gap !== 0)).toEqual([]);
  });

  test('also when the files arrive over two passes', () => {
    // a cold build keeps usage keys in memory and stores them at its end; a later pass looks them up in the index
    const home = claudeHome('two-passes', () => false);
    const projects = join(real, 'claude', 'projects');
    const folders = readdirSync(projects).filter((f) => !f.startsWith('peer-'));
    // every other transcript in the first pass: the second pass dedups against the keys the first one stored
    let n = 0;
    const firstHalf = (src: string) => !src.endsWith('.jsonl') || n++ % 2 === 0;
    for (const f of folders)
      cpSync(join(projects, f), join(home, 'projects', f), { recursive: true, filter: firstHalf });
    indexDaily(home, 'two-passes.db');
    for (const f of folders)
      cpSync(join(projects, f), join(home, 'projects', f), { recursive: true, force: false });
    expect(indexDaily(home, 'two-passes.db')).toEqual(ccusageDaily(home));
    expect(costGaps(home, 'two-passes.db').filter(([, , gap]) => gap !== 0)).toEqual([]);
  });

  test("on peer tools' fixtures too (ccusage's own, agent-sessions' records harvested from 2,137 sessions)", () => {
    // claude-code-log's hand-written fixtures use microsecond timestamps and `"usage": {` with a space, and ccusage 20
    // skips such lines (it parses milliseconds and looks for `"usage":{`); Claude Code writes neither, so those
    // fixtures are left out of this comparison
    const home = claudeHome('peers', (f) => f.startsWith('peer-') && !f.startsWith('peer-claude-code-log'));
    const theirs = ccusageDaily(home);
    expect(theirs.length).toBeGreaterThan(0);
    expect(indexDaily(home, 'peers.db')).toEqual(theirs);
  });
});

describe('Claude Code transcripts', () => {
  const projects = join(real, 'claude', 'projects');
  let ix: SessionIndex;
  let report: ReturnType<typeof indexSessions>;
  /** every record of every file, read here independently of the indexer */
  const files = new Map<string, Array<Record<string, unknown>>>();

  beforeAll(() => {
    for (const rel of globSync('**/*.jsonl', { cwd: projects })) {
      if (rel.endsWith('journal.jsonl')) continue;
      const records: Array<Record<string, unknown>> = [];
      for (const line of readFileSync(join(projects, rel), 'utf8').split('\n')) {
        try {
          const r = JSON.parse(line) as unknown;
          if (r && typeof r === 'object' && !Array.isArray(r)) records.push(r as Record<string, unknown>);
        } catch {
          // malformed lines are the indexer's business
        }
      }
      files.set(join(projects, rel), records);
    }
    report = indexSessions({
      dbPath: join(dir, 'claude.db'),
      sources: { claude: [join(real, 'claude')], defaults: false },
    });
    ix = openSessionIndex(join(dir, 'claude.db'));
  });
  afterAll(() => ix?.close());

  const byPath = () => {
    const rows = ix.db.prepare('SELECT * FROM sessions').all() as Array<Record<string, unknown>>;
    return new Map(rows.map((r) => [r.path as string, r]));
  };

  test('every record type the real files hold is read: only a typeless `{"silly": "this"}` is unknown', () => {
    expect(report.errors).toEqual([]);
    const unknown = ix.db.prepare('SELECT path, unknown FROM sessions WHERE unknown > 0').all();
    expect(unknown).toEqual([
      { path: join(projects, 'peer-claude-code-log-fixtures', 'edge_cases.jsonl'), unknown: 1 },
    ]);
    expect(report.malformed).toBe(3); // "massive error", 42, [1]
  });

  test('every subagent transcript, in every layout, is linked to its parent (and its Task call when one names it)', () => {
    const sessions = byPath();
    const agentFiles = [...files.keys()].filter(
      (p) => /\/agent-[^/]+\.jsonl$/.test(p) && files.get(p)?.length,
    );
    expect(agentFiles.length).toBeGreaterThan(50);
    // the three layouts are all there
    expect(agentFiles.some((p) => p.includes('/subagents/workflows/'))).toBe(true);
    expect(agentFiles.some((p) => /\/subagents\/agent-/.test(p))).toBe(true);
    expect(agentFiles.some((p) => !p.includes('/subagents/'))).toBe(true);
    // the Task calls that name an agent, from the parents' tool results
    const taskOf = new Map<string, string>();
    for (const records of files.values())
      for (const r of records) {
        const content = (r.message as { content?: unknown } | undefined)?.content;
        if (!Array.isArray(content)) continue;
        for (const b of content as Array<Record<string, unknown>>) {
          if (b?.type !== 'tool_result') continue;
          const named =
            (r.toolUseResult as { agentId?: string } | undefined)?.agentId ??
            /\bagentId: ([\w-]+)/.exec(JSON.stringify(b.content ?? ''))?.[1];
          if (named) taskOf.set(named, b.tool_use_id as string);
        }
      }
    let linked = 0;
    for (const path of agentFiles) {
      const s = sessions.get(path);
      expect(s, path).toBeDefined();
      const parts = path.split('/');
      const at = parts.lastIndexOf('subagents');
      const first = files.get(path)?.find((r) => typeof r.sessionId === 'string');
      const parent = at > 0 ? parts[at - 1] : (first?.sessionId as string);
      expect(s?.parent_id, path).toBe(parent);
      const agentId = (s?.agent_id as string) ?? '';
      if (taskOf.has(agentId)) {
        expect(s?.parent_tool_use_id, path).toBe(taskOf.get(agentId));
        linked++;
      }
    }
    expect(linked).toBeGreaterThanOrEqual(10);
  });

  test('one-prompt "Warmup" sidechains are not listed, but their usage counts', () => {
    const warmups = ix.db
      .prepare('SELECT id, input_tokens + output_tokens AS t FROM sessions WHERE hidden = 1')
      .all() as Array<{ id: string; t: number }>;
    expect(warmups.length).toBeGreaterThan(20);
    expect(warmups.some((w) => w.t > 0)).toBe(true);
    const listed = ix.listSessions();
    expect(listed.filter((s) => s.title === 'Warmup')).toEqual([]);
    expect(listed.some((s) => warmups.some((w) => w.id === s.id))).toBe(false);
  });

  test('a summary titles the session its leafUuid points into, never the file it sits in', () => {
    const sessions = byPath();
    const fileOf = new Map<string, string>();
    for (const [path, records] of files)
      for (const r of records) if (typeof r.uuid === 'string') fileOf.set(r.uuid, path);
    const summaries: Array<{ text: string; leaf: string; in: string }> = [];
    for (const [path, records] of files)
      for (const r of records)
        if (r.type === 'summary' && typeof r.summary === 'string')
          summaries.push({ text: r.summary, leaf: r.leafUuid as string, in: path });
    expect(summaries.length).toBeGreaterThan(40);
    let titled = 0;
    for (const [path, s] of sessions) {
      if (!files.has(path) || s.titled) continue;
      const mine = summaries.filter((x) => fileOf.get(x.leaf) === path).map((x) => x.text);
      if (mine.length) {
        expect(mine, path).toContain(s.title);
        titled++;
      } else
        expect(
          summaries.filter((x) => x.text === s.title).map((x) => x.in),
          path,
        ).toEqual([]);
    }
    expect(titled).toBeGreaterThanOrEqual(7);
  });

  test('the project is the cwd the records carry (a Claude Code worktree belongs to its repo)', () => {
    const sessions = byPath();
    let checked = 0;
    for (const [path, records] of files) {
      const cwd = records.find((r) => typeof r.cwd === 'string' && r.cwd)?.cwd as string | undefined;
      if (!cwd) continue;
      const at = cwd.indexOf('/.claude/worktrees/');
      expect(sessions.get(path)?.project, path).toBe(at > 0 ? cwd.slice(0, at) : cwd);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
    // dashes in real paths survive: /Users/dain/workspace/claude-code-log, danieldemmel.me-next
    expect(ix.listSessions({ project: 'claude-code-log' }).length).toBeGreaterThan(10);
  });
});
