import { closeSync, existsSync, fchmodSync, fstatSync, openSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  type CoordinatorSettings,
  formatDiagnostic,
  loadCoordinator,
  loadSettings,
  readCredentialValues,
} from '@habitat/config';
import { formsOf } from '@habitat/runner';
import {
  describeEvent,
  type ExportFormat,
  exportSession,
  type IndexOptions,
  type IndexReport,
  openSessionIndex,
  type SessionFilter,
  type SessionIndex,
  type StatsGroup,
} from '@habitat/sessions';
import { type Command, Option } from 'commander';
import { withTableFormat } from '../cli.js';
import { intFlag } from '../flags.js';
import { indexReportJson, type SessionDetailJson, sessionDetailJson } from '../json-data.js';
import { applyDaemonHeapSettings } from '../memory.js';
import { CliError, pc, printJson, printLine, UsageError, useColor } from '../output.js';
import { sessionsRoot, userStateDir } from '../sessions-home.js';
import { fmtNum, fmtTime, printSearch, printSessionList, printStats } from './sessions-read.js';

interface SourceFlags {
  stateDir?: string;
  claudeDir?: string[];
  codexDir?: string[];
  cursorDir?: string[];
  defaults?: boolean;
}

interface FilterFlags {
  source?: SessionFilter['source'];
  project?: string;
  since?: string;
  until?: string;
  agent?: string;
  tool?: string;
  file?: string;
  model?: string;
  errors?: boolean;
  json?: boolean;
  limit?: number;
  refresh?: boolean;
}

/** The indexer (parsers, secret scanning, file watching) loads only when something is indexed. */
const indexer = () => import('@habitat/sessions');

const collect = (value: string, previous: string[] = []) => [...previous, value];

function sourceOptions(cmd: Command): Command {
  return cmd
    .option(
      '--state-dir <dir>',
      'habitat state dir (default: from habitat.yaml, else <root>/.habitat; outside a coordinator ~/.local/state/habitat)',
    )
    .option('--claude-dir <dir>', 'a Claude Code config dir to index (repeatable)', collect)
    .option('--codex-dir <dir>', 'a Codex home to index (repeatable)', collect)
    .option('--cursor-dir <dir>', 'a Cursor data dir or state.vscdb to index (repeatable)', collect)
    .option('--no-defaults', 'skip the default locations (~/.claude, ~/.codex, Cursor)');
}

function filterOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--source <source>', 'only this source').choices(['claude', 'codex', 'cursor', 'habitat']),
    )
    .option('--project <text>', 'project or cwd contains')
    .option('--since <when>', 'active since (date or duration ago: 7d, 12h)')
    .option('--until <when>', 'started before (date or duration ago)')
    .option('--agent <name>', 'habitat agent')
    .option('--tool <name>', 'called this tool')
    .option('--file <text>', 'read, wrote or edited a path containing this')
    .option('--model <text>', 'model id contains')
    .option('--errors', 'only sessions with failed tool calls')
    .option('--refresh', 'index new session data first')
    .option('--json', 'JSON output');
}

/**
 * `--claude-dir` names a Claude Code config dir (the one holding `projects/`). Given the `projects` dir itself
 * (an easy slip: that is where the transcripts are), use its parent and say so; a dir with no `projects/` at
 * all is said too, instead of an index that silently finds nothing there.
 */
function claudeDirs(dirs: string[]): string[] {
  return dirs.map((dir) => {
    if (existsSync(join(dir, 'projects'))) return dir;
    if (basename(resolve(dir)) === 'projects' && existsSync(dir)) {
      const parent = dirname(resolve(dir));
      process.stderr.write(`habitat: ${dir} is a projects dir: indexing the Claude config dir ${parent}\n`);
      return parent;
    }
    process.stderr.write(
      `habitat: ${dir} has no projects/ (--claude-dir takes a Claude Code config dir, e.g. ~/.claude): nothing to index there\n`,
    );
    return dir;
  });
}

/**
 * `--codex-dir` names a Codex home (`sessions/`, `archived_sessions/`), `--cursor-dir` a Cursor data dir
 * (`User/`, `globalStorage/state.vscdb`, `workspaceStorage/`), a `~/.cursor` (`chats/`, `projects/`) or a
 * `state.vscdb`. A dir with none of these is said, as for `--claude-dir`: the index would find nothing there.
 */
function checkedDirs(dirs: string[], flag: string, expected: string, looksRight: (dir: string) => boolean) {
  for (const dir of dirs)
    if (!looksRight(dir))
      process.stderr.write(
        `habitat: ${dir} ${existsSync(dir) ? `has no ${expected}` : 'does not exist'} (${flag}): nothing to index there\n`,
      );
  return dirs;
}

const codexDirs = (dirs: string[]) =>
  checkedDirs(dirs, '--codex-dir takes a Codex home, e.g. ~/.codex', 'sessions/ or archived_sessions/', (d) =>
    ['sessions', 'archived_sessions'].some((sub) => existsSync(join(d, sub))),
  );

const cursorDirs = (dirs: string[]) =>
  checkedDirs(
    dirs,
    '--cursor-dir takes a Cursor data dir, e.g. ~/.config/Cursor, a ~/.cursor or a state.vscdb',
    'User/, globalStorage/, workspaceStorage/, chats/ or projects/',
    (d) =>
      d.endsWith('.vscdb')
        ? existsSync(d)
        : ['User', 'globalStorage', 'workspaceStorage', 'chats', 'projects'].some((sub) =>
            existsSync(join(d, sub)),
          ),
  );

/** What sessions commands read from the coordinator, or the user-level defaults outside one (sessions-home.ts). */
interface SessionsSettings {
  root?: string;
  stateDir: string;
  agentsDir?: string;
  sessions: CoordinatorSettings['sessions'];
}

async function sessionsSettings(cmd: Command): Promise<SessionsSettings> {
  const root = sessionsRoot((cmd.optsWithGlobals() as { dir?: string }).dir);
  if (root === undefined)
    return { stateDir: userStateDir(), sessions: { claude: [], codex: [], cursor: [], defaults: true } };
  const { settings, diagnostics } = await loadSettings(root);
  // A broken habitat.yaml falls back to the defaults (stateDir, sessions:), so the index read may not be the one
  // meant: say so, with the file, line and fix, as `habitat list` does; the command still answers.
  for (const d of diagnostics)
    process.stderr.write(`${formatDiagnostic(d, { cwd: root, color: useColor(process.stderr) })}\n`);
  return { root, stateDir: settings.stateDir, agentsDir: settings.agentsDir, sessions: settings.sessions };
}

/** Where the index lives and what to read, from flags and habitat.yaml. */
async function indexOptions(
  cmd: Command,
  flags: SourceFlags,
  withSecrets = false,
): Promise<IndexOptions & { dbPath: string; settings: SessionsSettings }> {
  const settings = await sessionsSettings(cmd);
  const stateDir = flags.stateDir ? resolve(flags.stateDir) : settings.stateDir;
  const flagged =
    (flags.claudeDir?.length ?? 0) + (flags.codexDir?.length ?? 0) + (flags.cursorDir?.length ?? 0) > 0;
  const options: IndexOptions & { dbPath: string; settings: SessionsSettings } = {
    stateDir,
    dbPath: join(stateDir, 'sessions.db'),
    settings,
    sources: {
      claude: [...settings.sessions.claude, ...claudeDirs(flags.claudeDir ?? [])],
      codex: [...settings.sessions.codex, ...codexDirs(flags.codexDir ?? [])],
      cursor: [...settings.sessions.cursor, ...cursorDirs(flags.cursorDir ?? [])],
      // explicit dirs on the command line mean "just these" unless defaults are asked for in habitat.yaml
      defaults: flags.defaults === false ? false : flagged ? false : settings.sessions.defaults,
      stateDir,
    },
  };
  if (withSecrets) options.secrets = await credentialValues(settings);
  return options;
}

async function openIndex(cmd: Command, flags: SourceFlags & FilterFlags): Promise<SessionIndex> {
  const { settings, ...options } = await indexOptions(cmd, flags);
  if (flags.refresh || !existsSync(options.dbPath)) {
    const { indexSessions } = await indexer();
    // the daemon's V8 settings keep a cold build's RSS near its live heap (64 MB: 233 -> 157 MB peak)
    applyDaemonHeapSettings();
    const bar = progressLine();
    try {
      indexSessions({
        ...options,
        secrets: await credentialValues(settings),
        onProgress: bar.onProgress,
      });
    } finally {
      bar.done();
    }
  }
  return openSessionIndex(options.dbPath);
}

/** Every agent's credential values, so the index never holds them (only needed when indexing). */
async function credentialValues(settings: SessionsSettings): Promise<string[]> {
  if (settings.root === undefined || settings.agentsDir === undefined || !existsSync(settings.agentsDir))
    return [];
  const secrets: string[] = [];
  const coordinator = await loadCoordinator(settings.root);
  for (const agent of coordinator.agents) {
    try {
      // each value in every form the run logs scrub (hex, base64, URL-encoded...)
      for (const c of await readCredentialValues(agent)) secrets.push(...c.values.flatMap(formsOf));
    } catch {
      // a credential that cannot be read cannot leak either
    }
  }
  return secrets;
}

function detailJson(index: SessionIndex, sid: string): SessionDetailJson {
  const detail = index.getSessionDetail(sid);
  if (!detail) throw new CliError(`no session "${sid}" in the index`, 1, 'not-found');
  return sessionDetailJson(detail, index.getEvents(sid));
}

function filterOf(flags: FilterFlags): SessionFilter {
  return {
    source: flags.source,
    project: flags.project,
    since: flags.since,
    until: flags.until,
    agent: flags.agent,
    tool: flags.tool,
    file: flags.file,
    model: flags.model,
    errors: flags.errors,
  };
}

function resolveId(index: SessionIndex, id: string): string {
  if (index.getSession(id)) return id;
  const matches = index.findSessions(id, 5);
  if (matches.length === 1 && matches[0]) return matches[0].id;
  if (matches.length > 1)
    throw new UsageError(
      `session id "${id}" is ambiguous: ${matches.map((m) => m.id).join(', ')}; type more of it`,
    );
  throw new CliError(
    `no session "${id}" in the index (see habitat sessions list; run habitat sessions index to pick up new ones)`,
    1,
    'not-found',
  );
}

/**
 * A progress line on a terminal (files, MB, rate), redrawn at most 10 times a second and cleared at the end;
 * nothing when stderr is piped or redirected.
 */
function progressLine(): { onProgress?: IndexOptions['onProgress']; done: () => void } {
  if (!process.stderr.isTTY) return { done: () => {} };
  let last = 0;
  let drawn = false;
  const mb = (n: number) => (n / 1024 ** 2).toFixed(n >= 100 * 1024 ** 2 ? 0 : 1);
  return {
    onProgress: (p) => {
      const now = performance.now();
      if (now - last < 100 && p.files < p.totalFiles) return;
      last = now;
      drawn = true;
      const rate = p.elapsedMs > 0 ? p.bytes / 1024 ** 2 / (p.elapsedMs / 1000) : 0;
      process.stderr.write(
        `\r\x1b[2Kindexing ${p.files}/${p.totalFiles} files, ${mb(p.bytes)}/${mb(p.totalBytes)} MB, ${rate.toFixed(1)} MB/s`,
      );
    },
    done: () => {
      if (drawn) process.stderr.write('\r\x1b[2K');
    },
  };
}

/** `1 file`, `2 files` */
const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function printReport(report: IndexReport): void {
  printLine(
    `${count(report.files, 'file')}: ${report.added} new, ${report.appended} appended, ${report.reindexed} re-indexed, ${report.unchanged} unchanged, ${report.pruned} pruned; ${count(report.events, 'event')} in ${report.durationMs} ms`,
  );
  if (report.malformed || report.unknown)
    printLine(
      pc.yellow(
        `${count(report.malformed, 'malformed line')} and ${count(report.unknown, 'record')} of unknown type skipped`,
      ),
    );
  // name them: a type a newer agent version writes reads differently from a damaged file
  for (const u of report.unknownTypes.slice(0, 3))
    printLine(
      pc.yellow(
        // `?`: no "type" key, or one no agent writes (not a short name): `unknown type "?"` read as a type named ?
        `  ${u.type === '?' ? 'a record without a "type" name' : `unknown type "${u.type}"`} first at ${u.path}:${u.line}`,
      ),
    );
  for (const e of report.errors) printLine(pc.yellow(`skipped ${e.path}: ${e.message}`));
}

export function registerSessionsCommands(program: Command): void {
  const sessions = program
    .command('sessions')
    .description(
      'Browse, search, replay and count agent sessions (Claude Code, Codex, Cursor, habitat runs)',
    );

  sourceOptions(sessions.command('index').description('Index new session data (incremental)'))
    .option('--watch', 'keep indexing as sources change')
    .option('--json', 'JSON report')
    .action(async (flags: SourceFlags & { watch?: boolean; json?: boolean }, cmd: Command) => {
      const { settings: _, ...options } = await indexOptions(cmd, flags, true);
      const show = (r: IndexReport) =>
        flags.json ? process.stdout.write(`${JSON.stringify(indexReportJson(r))}\n`) : printReport(r);
      const { indexSessions, watchSessions } = await indexer();
      applyDaemonHeapSettings();
      if (!flags.watch) {
        const bar = flags.json ? { done: () => {} } : progressLine();
        try {
          const report = indexSessions({
            ...options,
            onProgress: 'onProgress' in bar ? bar.onProgress : undefined,
          });
          bar.done();
          show(report);
        } finally {
          bar.done();
        }
        return;
      }
      const handle = watchSessions(options, show, (error) =>
        process.stderr.write(`${pc.red('index failed')} ${(error as Error).message}\n`),
      );
      await new Promise<void>((done) => {
        const stop = () => {
          void handle.close().then(done);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  withTableFormat(
    filterOptions(sourceOptions(sessions.command('list').description('List sessions, newest first'))),
  )
    .option('-n, --limit <n>', 'at most n sessions', intFlag(1), 50)
    .action(async (flags: SourceFlags & FilterFlags, cmd: Command) => {
      const index = await openIndex(cmd, flags);
      try {
        printSessionList(index, filterOf(flags), { limit: Number(flags.limit), json: flags.json });
      } finally {
        index.close();
      }
    });

  filterOptions(
    sourceOptions(
      sessions
        .command('search')
        .description('Search session text (every word, ranked; falls back to any word)'),
    ),
  )
    .argument('<query...>', 'words to find; "quoted phrase" kept together; word* also finds longer words')
    .option('-n, --limit <n>', 'at most n hits', intFlag(1), 20)
    .addOption(
      new Option('--sort <order>', 'relevance (bm25 over the newest matches) or recent (newest first)')
        .choices(['relevance', 'recent'])
        .default('relevance'),
    )
    .action(
      async (
        words: string[],
        flags: SourceFlags & FilterFlags & { sort: 'relevance' | 'recent' },
        cmd: Command,
      ) => {
        const index = await openIndex(cmd, flags);
        try {
          printSearch(index, words.join(' '), filterOf(flags), {
            limit: Number(flags.limit),
            sort: flags.sort,
            json: flags.json,
          });
        } finally {
          index.close();
        }
      },
    );

  sourceOptions(
    sessions
      .command('show')
      .description('Print a session: transcript with tool calls and results, files, commands'),
  )
    .argument('<id>', 'session id (or a unique prefix)')
    .option('--json', 'JSON (session, files, commands, tools, events)')
    .option('--max <chars>', 'clip each event body to this many characters', '2000')
    .action(async (id: string, flags: SourceFlags & { json?: boolean; max: string }, cmd: Command) => {
      const index = await openIndex(cmd, flags);
      try {
        const sid = resolveId(index, id);
        if (flags.json) {
          printJson(detailJson(index, sid));
          return;
        }
        const detail = index.getSessionDetail(sid);
        if (!detail) return;
        const s = detail.session;
        printLine(pc.bold(s.title ?? s.id));
        printLine(
          pc.dim(
            `${s.id} · ${s.source}${s.agent ? ` · agent ${s.agent}` : ''}${s.runId ? ` · run ${s.runId}` : ''} · ${s.project ?? ''} · ${fmtTime(s.firstAt)} → ${fmtTime(s.lastAt)}`,
          ),
        );
        printLine(
          pc.dim(
            `${s.models.join(', ')} · in ${fmtNum(s.tokens.input)} out ${fmtNum(s.tokens.output)} cache r ${fmtNum(s.tokens.cacheRead)} w ${fmtNum(s.tokens.cacheCreation)}${s.costUsd !== undefined ? ` · ~$${s.costUsd.toFixed(3)}` : ''}`,
          ),
        );
        printLine();
        for (const e of index.getEvents(sid)) {
          if (
            e.kind === 'snapshot' ||
            e.kind === 'progress' ||
            e.kind === 'queue' ||
            e.kind === 'last-prompt'
          )
            continue;
          const { label, body } = describeEvent(e, { maxChars: Number(flags.max) });
          const color = e.isError
            ? pc.red
            : e.kind === 'tool_use'
              ? pc.cyan
              : e.kind === 'thinking'
                ? pc.dim
                : e.role === 'user'
                  ? pc.green
                  : (t: string) => t;
          printLine(
            `${pc.dim(`#${e.seq} ${fmtTime(e.time)}`)} ${color(label)}${e.sidechain ? pc.dim(' (subagent)') : ''}`,
          );
          if (body) printLine(body.replace(/^/gm, '  '));
        }
        printLine();
        if (detail.files.length) {
          printLine(pc.bold('files'));
          for (const f of detail.files) printLine(`  ${f.ops.join('+').padEnd(10)} ${f.path}`);
        }
        if (detail.commands.length) {
          printLine(pc.bold('commands'));
          for (const c of detail.commands) printLine(`  #${c.seq} ${c.command}`);
        }
        if (detail.subagents.length) {
          printLine(pc.bold('subagents'));
          for (const a of detail.subagents)
            printLine(
              `  ${a.id} ${a.title ?? ''}${a.parentToolUseId ? pc.dim(` (from ${a.parentToolUseId})`) : ''}`,
            );
        }
      } finally {
        index.close();
      }
    });

  sourceOptions(sessions.command('replay').description('Step through a session in order, with its timing'))
    .argument('<id>', 'session id (or a unique prefix)')
    .option('--speed <x>', 'play back x times faster than it happened', '10')
    .option('--max-wait <ms>', 'longest pause between two events', '3000')
    .option('--step', 'one event per key press (q to quit)')
    .action(
      async (
        id: string,
        flags: SourceFlags & { speed: string; maxWait: string; step?: boolean },
        cmd: Command,
      ) => {
        const speed = Number(flags.speed);
        if (!(speed > 0))
          throw new UsageError(`--speed ${flags.speed}: use a positive number, e.g. --speed 10`);
        if (flags.step && !process.stdin.isTTY)
          throw new UsageError('--step needs a terminal (stdin is not a TTY); use --speed instead');
        const index = await openIndex(cmd, flags);
        try {
          const sid = resolveId(index, id);
          const events = index.getEvents(sid).filter((e) => e.kind !== 'snapshot' && e.kind !== 'progress');
          const start = events.find((e) => e.time)?.time;
          let prev: number | undefined;
          const keys = flags.step ? keyReader() : undefined;
          try {
            for (const e of events) {
              const at = e.time ? Date.parse(e.time) : prev;
              if (keys) {
                if ((await keys.next()) === 'q') break;
              } else if (at !== undefined && prev !== undefined && at > prev) {
                const wait = Math.min((at - prev) / speed, Number(flags.maxWait));
                await new Promise((r) => setTimeout(r, wait));
              }
              prev = at ?? prev;
              const offset =
                at !== undefined && start ? `+${((at - Date.parse(start)) / 1000).toFixed(1)}s` : '';
              const { label, body } = describeEvent(e, { maxChars: 600 });
              printLine(
                `${pc.dim(`#${e.seq} ${offset}`)} ${e.isError ? pc.red(label) : pc.cyan(label)} ${body.split('\n')[0] ?? ''}`,
              );
            }
          } finally {
            keys?.close();
          }
        } finally {
          index.close();
        }
      },
    );

  sourceOptions(
    sessions.command('export').description('Export a session as Markdown, HTML or JSON (secrets redacted)'),
  )
    .argument('<id>', 'session id (or a unique prefix)')
    .addOption(new Option('--format <format>', 'output format').choices(['md', 'html', 'json']).default('md'))
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(
      async (id: string, flags: SourceFlags & { format: ExportFormat; output?: string }, cmd: Command) => {
        const index = await openIndex(cmd, flags);
        try {
          const sid = resolveId(index, id);
          // JSON is the contract's (the same as show --json); md and html are the library's renderings
          const text =
            flags.format === 'json'
              ? `${JSON.stringify(detailJson(index, sid), null, 2)}\n`
              : exportSession(index, sid, flags.format);
          if (flags.output) writeExport(flags.output, text);
          else process.stdout.write(text);
        } finally {
          index.close();
        }
      },
    );

  filterOptions(
    withTableFormat(
      sourceOptions(sessions.command('stats').description('Sessions, tokens, cost and tool errors, grouped')),
    ),
  )
    .addOption(
      new Option('--by <group>', 'group by')
        .choices(['day', 'project', 'model', 'agent', 'source'])
        .default('day'),
    )
    .option('--timezone <zone>', 'IANA zone for days (default: this machine)')
    .action(
      async (flags: SourceFlags & FilterFlags & { by: StatsGroup; timezone?: string }, cmd: Command) => {
        const index = await openIndex(cmd, flags);
        try {
          printStats(index, filterOf(flags), { by: flags.by, timezone: flags.timezone, json: flags.json });
        } finally {
          index.close();
        }
      },
    );
}

/** Single key presses from a TTY, for `replay --step`. */
function keyReader(): { next(): Promise<string>; close(): void } {
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  return {
    next: () =>
      new Promise((resolveKey) => {
        stdin.once('data', (data: Buffer) => {
          const key = data.toString();
          resolveKey(key === '\u0003' ? 'q' : key);
        });
      }),
    close: () => {
      stdin.setRawMode(false);
      stdin.pause();
    },
  };
}

/**
 * An export holds a whole conversation (redacted, but still the user's code and prompts): 0600 like the index it
 * comes from. A regular file that was already there is narrowed too; a device or FIFO (`-o /dev/stdout`) is left be.
 */
function writeExport(file: string, text: string): void {
  const fd = openSync(file, 'w', 0o600);
  try {
    if (fstatSync(fd).isFile()) fchmodSync(fd, 0o600);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
