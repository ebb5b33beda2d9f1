/**
 * What `habitat sessions list|search|stats` print, text and `--json`, from an open index. Both the commander
 * commands (sessions.ts) and the fast path (sessions-fast.ts) print through these functions, so the two answer
 * byte for byte alike. Types only from the library: the fast path loads this module without the rest of the CLI.
 */
import type { SessionFilter, SessionIndex, StatsGroup } from '@habitat/sessions';
import { searchJson, sessionJson, sessionStatsJson } from '../json-data.js';
import { formatTime, pc, printJson, printLine, printTable } from '../output.js';

// A cut cell says so: `/mnt/d/1_yuyu_proj/cursor-history` cut to its last 30 characters read as the path
// `t/d/1_yuyu_proj/cursor-history`. Paths keep their end (the project's own name), titles their start.
export const cutStart = (text: string, max: number) =>
  text.length > max ? `…${text.slice(-(max - 1))}` : text;
export const cutEnd = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

export const fmtTime = (iso?: string) => (iso ? formatTime(iso, { seconds: false }) : '');
export const fmtNum = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n);

/** `sessions list`: the newest `limit` sessions that match, as a table or JSON. */
export function printSessionList(
  index: SessionIndex,
  filter: SessionFilter,
  opts: { limit: number; json?: boolean },
) {
  // one more than asked for: whether the listing was cut (a person is told; --json stays the contract)
  const { limit } = opts;
  const list = index.listSessions({ ...filter, limit: limit + 1 });
  const cut = list.length > limit;
  if (cut) list.length = limit;
  if (opts.json) return printJson(list.map(sessionJson));
  if (list.length === 0) {
    // an empty index is not a filter that matched nothing: say where sessions come from
    if (index.listSessions({ limit: 1 }).length === 0)
      return printLine(
        'no sessions indexed yet: none were found where habitat looks (Claude Code, Codex and Cursor in their default places, and `sessions:` in habitat.yaml); point at others with --claude-dir, --codex-dir or --cursor-dir',
      );
    return printLine('no sessions match');
  }
  if (cut)
    process.stderr.write(
      pc.dim(`the newest ${limit} session${limit === 1 ? '' : 's'}; more match (-n <n> shows more)\n`),
    );
  printTable(
    ['id', 'source', 'last', 'project', 'title', 'tokens', 'tools', 'err'],
    list.map((s) => [
      s.id,
      s.agent ? `${s.source}:${s.agent}` : s.source,
      formatTime(s.lastAt, { seconds: false }),
      cutStart(s.project ?? '', 30),
      cutEnd(s.title ?? '', 50),
      fmtNum(s.tokens.input + s.tokens.output + s.tokens.cacheRead + s.tokens.cacheCreation),
      s.toolCalls,
      s.toolErrors || '',
    ]),
  );
}

/** `sessions search`: ranked hits with snippets, or JSON. */
export function printSearch(
  index: SessionIndex,
  query: string,
  filter: SessionFilter,
  opts: { limit: number; sort: 'relevance' | 'recent'; json?: boolean },
) {
  const result = index.search(query, {
    ...filter,
    limit: opts.limit,
    sort: opts.sort,
    highlight: opts.json ? ['«', '»'] : ['⟦', '⟧'],
  });
  if (opts.json) return printJson(searchJson(result));
  if (result.mode === 'any') printLine(pc.dim('no event has every word; showing events with any of them'));
  for (const h of result.hits) {
    printLine(
      `${pc.cyan(h.sessionId)} #${h.seq} ${pc.dim(`${fmtTime(h.time)} ${h.kind}${h.toolName ? ` ${h.toolName}` : ''}`)} ${pc.dim(cutEnd(h.title ?? '', 60))}`,
    );
    printLine(`  ${h.snippet.replace(/⟦([^⟧]*)⟧/g, (_m, word: string) => pc.bold(pc.yellow(word)))}`);
  }
  if (result.hits.length === 0) printLine('nothing found');
}

/** `sessions stats`: totals grouped by `by`, as a table or JSON. */
export function printStats(
  index: SessionIndex,
  filter: SessionFilter,
  opts: { by: StatsGroup; timezone?: string; json?: boolean },
) {
  const rows = index.stats({ ...filter, by: opts.by, timezone: opts.timezone });
  if (opts.json) return printJson(rows.map(sessionStatsJson));
  if (rows.length === 0) return printLine('no sessions indexed (run habitat sessions index)');
  printTable(
    [opts.by, 'sessions', 'input', 'output', 'cache read', 'cache write', 'cost $', 'tools', 'errors'],
    rows.map((r) => [
      r.key || '(none)',
      r.sessions,
      fmtNum(r.inputTokens),
      fmtNum(r.outputTokens),
      fmtNum(r.cacheReadTokens),
      fmtNum(r.cacheCreationTokens),
      r.costUsd.toFixed(2),
      r.toolCalls,
      r.toolErrors,
    ]),
  );
}
