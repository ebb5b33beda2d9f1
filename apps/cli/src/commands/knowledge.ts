// habitat knowledge add|search|list|show|retract|accept|supersede|context|extract|index, habitat learn, habitat mcp
import path from 'node:path';
import { loadCoordinator, loadSettings, readCredentialValues } from '@habitat/config';
import {
  addLearning,
  extractFromSession,
  KnowledgeError,
  type KnowledgeIndex,
  type Learning,
  openKnowledge,
  type Scope,
  setStatus,
  supersede,
} from '@habitat/knowledge';
import { formsOf } from '@habitat/runner';
import type { Command } from 'commander';
import { coordinatorRoot } from '../cli.js';
import { intFlag } from '../flags.js';
import {
  addJson,
  extractJson,
  knowledgeStatsJson,
  learningJson,
  listedLearningJson,
  syncReportJson,
} from '../json-data.js';
import { CliError, formatTime, printJson, printLine, printTable } from '../output.js';
import {
  embeddingsOf,
  listOf as list,
  runContext,
  runSearch,
  scopeText,
  warnKnowledge,
} from './knowledge-read.js';

async function open(cmd: Command) {
  const { settings } = await loadSettings(coordinatorRoot(cmd));
  const { index, report } = await openKnowledge({
    stateDir: settings.stateDir,
    knowledgeDir: settings.knowledgeDir,
  });
  warnKnowledge(index, report.errors);
  return { settings, index, dir: settings.knowledgeDir };
}

/** A learning id that names none: where the ids are. Other errors as they are. */
function unknownLearning(error: unknown): unknown {
  if (error instanceof KnowledgeError && error.code === 'not-found')
    return new CliError(`${error.message} (\`habitat knowledge list\` shows the ids)`, 1, 'unknown-learning');
  return error;
}

/** Files that do not parse, and what else this sync found wrong (each once). */
function problemsOf(index: KnowledgeIndex, syncErrors: string[]): number {
  const broken = index.broken();
  return broken.length + syncErrors.filter((e) => !broken.some((b) => e.startsWith(b.file))).length;
}

/** `--since`: an ISO date, or a duration ago (7d, 12h). */
async function sinceTime(text: string): Promise<string> {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const t = Date.parse(text);
    if (Number.isNaN(t)) throw new CliError(`--since ${text}: not a date`, 2, 'usage');
    return new Date(t).toISOString();
  }
  const { parseDuration } = await import('@habitat/config');
  try {
    return new Date(Date.now() - parseDuration(text)).toISOString();
  } catch (error) {
    throw new CliError(`--since ${text}: ${(error as Error).message}`, 2, 'usage');
  }
}

function scopeOf(opts: { project?: string; agent?: string }): Scope | undefined {
  if (opts.agent) return { kind: 'agent', name: opts.agent };
  if (opts.project) return { kind: 'project', name: opts.project };
  return undefined;
}

/** Every configured credential value, so a learning never carries one. */
async function allSecrets(root: string): Promise<string[]> {
  const { agents } = await loadCoordinator(root);
  const values = await Promise.all(agents.map((a) => readCredentialValues(a).catch(() => [])));
  // each value in every form the run logs scrub (hex, base64, URL-encoded...)
  return values.flat().flatMap((c) => c.values.flatMap(formsOf));
}

function printLearning(l: Learning): void {
  printLine(`${l.id}  ${l.title}`);
  printLine(
    `  status ${l.status} · confidence ${l.confidence} · scope ${scopeText(l)}${l.tags.length ? ` · tags ${l.tags.join(', ')}` : ''}`,
  );
  printLine('');
  printLine(l.body);
  printLine('');
  for (const p of l.provenance) {
    printLine(
      `  ${p.action ? `${p.action} by` : 'from'} ${p.source} at ${formatTime(p.time, { seconds: false })}${p.reason ? ` · reason: ${p.reason}` : ''}${p.agent ? ` · agent ${p.agent}` : ''}${p.runId ? ` · run ${p.runId}` : ''}${p.sessionId ? ` · session ${p.sessionId}` : ''}${p.redactions ? ` · ${p.redactions} secret(s) redacted` : ''}`,
    );
  }
  if (l.conflictsWith.length)
    printLine(`  conflicts with ${l.conflictsWith.join(', ')}: review it (habitat knowledge accept|retract)`);
  if (l.supersedes.length) printLine(`  supersedes ${l.supersedes.join(', ')}`);
  if (l.file) printLine(`  file ${l.file}`);
}

export function registerKnowledgeCommands(program: Command): void {
  const k = program
    .command('knowledge')
    .description("the fleet's shared learnings: markdown files in knowledge/, indexed for search");

  k.command('add <text>')
    .description('record a learning (people: what you found, when it applies, how you found it)')
    .option('--title <title>', 'a short title (default: the first sentence)')
    .option('--tags <a,b>', 'comma-separated tags')
    .option('--project <name>', 'scope it to a project')
    .option('--agent <name>', 'scope it to an agent')
    .option('--json', 'print the outcome as JSON')
    .option(
      '--review-conflicts',
      'when it contradicts an existing learning, keep the new one pending for review instead of serving it first',
    )
    .action(
      async (
        text: string,
        opts: {
          title?: string;
          tags?: string;
          project?: string;
          agent?: string;
          json?: boolean;
          reviewConflicts?: boolean;
        },
        cmd: Command,
      ) => {
        const { index, dir, settings } = await open(cmd);
        const scope = scopeOf(opts);
        const result = await addLearning(index, dir, {
          text,
          ...(opts.title ? { title: opts.title } : {}),
          tags: list(opts.tags),
          ...(scope ? { scope } : {}),
          provenance: { source: 'person' },
          secrets: await allSecrets(settings.root),
          ...(opts.reviewConflicts ? { onConflict: 'pending' as const } : {}),
        });
        index.close();
        if (opts.json) return printJson(addJson(result));
        printLine(`${result.outcome}: ${result.learning.id} ${result.learning.title}`);
        if (result.outcome === 'merged')
          printLine(`  (the same lesson as ${result.existing!.id}: provenance appended)`);
        for (const c of result.conflicts ?? [])
          printLine(
            `  contradicts ${c.learning.id} (${c.reason}): ${result.learning.status === 'pending' ? 'kept as pending for review' : 'the older one is served as stale'}; resolve with habitat knowledge supersede|retract`,
          );
        if (result.redactions) printLine(`  ${result.redactions} secret(s) redacted`);
      },
    );

  k.command('search <query...>')
    .description(
      "search learnings (ranked, with snippets and where each came from). relevance: the score as a share of the best hit's; query match (`evidence` in --json): how much of the query the learning covers (0..1, comparable across queries), not its confidence (how sure habitat is that it holds, in `knowledge list`)",
    )
    .option('--project <name>', 'prefer learnings scoped to this project')
    .option('--agent <name>', 'prefer learnings scoped to this agent')
    .option('--tags <a,b>', 'prefer learnings with these comma-separated tags')
    .option('--pending', 'include learnings pending review')
    .option('-n, --limit <n>', 'how many', intFlag(1), 10)
    .option('--json', 'print as JSON')
    .action(
      async (
        words: string[],
        opts: {
          project?: string;
          agent?: string;
          tags?: string;
          pending?: boolean;
          limit: number;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const { index, settings } = await open(cmd);
        try {
          await runSearch(index, settings, words.join(' '), {
            limit: Number(opts.limit),
            ...(opts.project ? { project: opts.project } : {}),
            ...(opts.agent ? { agent: opts.agent } : {}),
            ...(opts.tags ? { tags: list(opts.tags) } : {}),
            ...(opts.pending ? { pending: true } : {}),
            ...(opts.json ? { json: true } : {}),
            ...((cmd.optsWithGlobals() as { utc?: boolean }).utc ? { utc: true } : {}),
          });
        } finally {
          index.close();
        }
      },
    );

  k.command('list')
    .description('list learnings')
    .option('--status <status>', 'active | pending | superseded | retracted')
    .option('-n, --limit <n>', 'at most n learnings (default: all)', intFlag(1))
    .option('--json', 'print as JSON')
    .action(async (opts: { status?: string; limit?: number; json?: boolean }, cmd: Command) => {
      const { index } = await open(cmd);
      const all = index
        .all(opts.status ? { status: opts.status } : {})
        .slice(0, opts.limit === undefined ? undefined : Number(opts.limit));
      // `active` in its file, but served as stale (search says why): say so here too
      const { staleOf } = await import('@habitat/knowledge');
      const stales = all.map((l) => (l.status === 'active' ? staleOf(index, l) : undefined));
      index.close();
      if (opts.json) return printJson(all.map((l, i) => listedLearningJson(l, stales[i])));
      const status = (l: (typeof all)[number], stale: (typeof stales)[number]) => {
        if (!stale) return l.status;
        return stale.reason === 'newer'
          ? `${l.status}, stale: contradicted by ${stale.by}`
          : `${l.status}, stale: valid until ${stale.since.slice(0, 10)}`;
      };
      const rows = all.map((l, i) => [
        l.id,
        l.title,
        status(l, stales[i]),
        scopeText(l),
        l.confidence,
        l.tags.join(', '),
      ]);
      printTable(['id', 'title', 'status', 'scope', 'confidence', 'tags'], rows);
    });

  k.command('show <id>')
    .description('one learning with its provenance')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { index } = await open(cmd);
      const learning = index.get(id);
      index.close();
      if (!learning) throw unknownLearning(new KnowledgeError('not-found', `no learning ${id}`));
      if (opts.json) printJson(learningJson(learning));
      else printLearning(learning);
    });

  for (const [name, status, description] of [
    [
      'retract',
      'retracted',
      'retract a learning: never served again; search and MCP name it as retracted, with --reason',
    ],
    ['accept', 'active', 'accept a pending learning'],
  ] as const) {
    const c = k.command(`${name} <id>`).description(description);
    if (status === 'retracted')
      c.option('--reason <text>', 'why (shown wherever the learning still comes up)');
    c.action(async (id: string, opts: { reason?: string }, cmd: Command) => {
      const { index, dir, settings } = await open(cmd);
      try {
        const l = await setStatus(
          index,
          dir,
          id,
          status,
          { source: 'person', ...(opts.reason ? { reason: opts.reason } : {}) },
          opts.reason ? { secrets: await allSecrets(settings.root) } : {},
        );
        printLine(`${l.id} ${l.status}`);
      } catch (error) {
        throw unknownLearning(error);
      } finally {
        index.close();
      }
    });
  }

  k.command('supersede <old> <new>')
    .description('mark <old> as superseded by <new>')
    .action(async (oldId: string, newId: string, _opts, cmd: Command) => {
      const { index, dir } = await open(cmd);
      try {
        const l = await supersede(index, dir, oldId, newId);
        printLine(`${l.id} supersedes ${l.supersedes.join(', ')}`);
      } catch (error) {
        throw unknownLearning(error);
      } finally {
        index.close();
      }
    });

  k.command('context')
    .description('a short markdown brief of the learnings relevant to a task, within a token budget')
    .requiredOption('--task <text>', 'what the next session will do')
    .option('--agent <name>', 'the agent the brief is for')
    .option('--project <name>', 'the project the brief is for')
    .option('--budget <tokens>', 'token budget', '1500')
    .option('--json', 'print as JSON')
    .action(
      async (
        opts: { task: string; agent?: string; project?: string; budget: string; json?: boolean },
        cmd: Command,
      ) => {
        const { index, settings } = await open(cmd);
        try {
          await runContext(index, settings, {
            task: opts.task,
            budget: Number(opts.budget),
            ...(opts.agent ? { agent: opts.agent } : {}),
            ...(opts.project ? { project: opts.project } : {}),
            ...(opts.json ? { json: true } : {}),
          });
        } finally {
          index.close();
        }
      },
    );

  k.command('stats')
    .description(
      'how the briefs use the knowledge: briefs and tokens, how often each learning is served, which never are',
    )
    .option('--since <time>', 'only briefs since (ISO date or a duration ago, e.g. 7d)')
    .option('--run <id>', 'the learnings one run was given (ids, tokens)')
    .option('-n, --limit <n>', 'how many learnings to list', intFlag(1), 20)
    .option('--json', 'print as JSON')
    .action(async (opts: { since?: string; run?: string; limit: number; json?: boolean }, cmd: Command) => {
      const { index } = await open(cmd);
      const since = opts.since ? await sinceTime(opts.since) : undefined;
      const { knowledgeStats } = await import('@habitat/knowledge');
      const stats = knowledgeStats(index, {
        ...(since ? { since } : {}),
        ...(opts.run ? { runId: opts.run } : {}),
      });
      index.close();
      if (opts.json) return printJson(knowledgeStatsJson(stats));
      const limit = Number(opts.limit);
      printLine(
        `${stats.briefs} brief(s) given to runs${since ? ` since ${since}` : ''}, ${stats.emptyBriefs} empty, ${stats.tokens} tokens in all${stats.briefs ? ` (${Math.round(stats.tokens / stats.briefs)} a brief)` : ''}`,
      );
      if (stats.run) {
        for (const b of stats.run)
          printLine(
            `run ${b.runId} at ${formatTime(b.time, { seconds: false })}: ${b.tokens} tokens, ${b.learnings.map((l) => `${l.id} (${l.tokens})`).join(', ') || 'empty brief'}`,
          );
      }
      if (stats.served.length) {
        printLine('');
        printTable(
          ['id', 'title', 'served', 'tokens', 'last served'],
          stats.served
            .slice(0, limit)
            .map((u) => [
              u.id,
              u.title,
              u.served,
              u.tokens,
              u.lastServed ? formatTime(u.lastServed, { seconds: false }) : '',
            ]),
        );
      }
      printLine('');
      printLine(`never served: ${stats.neverServed.length} active learning(s)`);
      for (const u of stats.neverServed.slice(0, limit)) printLine(`  ${u.id}  ${u.title}`);
    });

  k.command('extract')
    .description(
      'extract learnings from indexed sessions: LEARNED: markers, offline heuristics, and a model if --model',
    )
    .option('--session <id>', 'one session')
    .option('--since <time>', 'sessions active since (ISO date or a duration ago, e.g. 1d)')
    .option('--model <model>', 'also run the extraction prompt through claude --print with this model')
    .option('--accept', 'extracted candidates become active (default: pending review)')
    .option('--json', 'print as JSON')
    .action(
      async (
        opts: { session?: string; since?: string; model?: string; accept?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        if (!opts.session && !opts.since)
          throw new CliError('give --session <id> or --since <time>', 2, 'usage');
        const { index, dir, settings } = await open(cmd);
        const { openSessionIndex } = await import('@habitat/sessions');
        const sessions = openSessionIndex(path.join(settings.stateDir, 'sessions.db'));
        const secrets = await allSecrets(settings.root);
        try {
          const ids = opts.session
            ? [opts.session]
            : sessions.listSessions({ since: opts.since!, limit: 500 }).map((s) => s.id);
          const reports = [];
          for (const id of ids) {
            reports.push(
              await extractFromSession(index, dir, sessions, id, {
                ...(opts.model ? { model: { model: opts.model } } : {}),
                accept: opts.accept ? 'active' : 'pending',
                secrets,
              }),
            );
          }
          if (opts.json) return printJson(reports.map(extractJson));
          for (const r of reports) {
            printLine(
              `${r.sessionId}: ${r.candidates} candidate(s)${r.modelError ? ` (model failed: ${r.modelError})` : ''}`,
            );
            for (const o of r.outcomes)
              printLine(`  ${o.outcome.padEnd(8)} ${o.learning.id} ${o.learning.title}`);
          }
        } catch (error) {
          throw new CliError((error as Error).message, 1, 'extract-failed');
        } finally {
          sessions.close();
          index.close();
        }
      },
    );

  k.command('index')
    .description('bring the knowledge index up to date with the files')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { settings } = await loadSettings(coordinatorRoot(cmd));
      const { index, report } = await openKnowledge({
        stateDir: settings.stateDir,
        knowledgeDir: settings.knowledgeDir,
        full: true,
      });
      const problems = problemsOf(index, report.errors);
      if (opts.json) printJson(syncReportJson(report));
      else
        printLine(
          `${report.files} file(s): ${report.added} added, ${report.updated} updated, ${report.removed} removed, ${problems} error(s)`,
        );
      warnKnowledge(index, report.errors);
      index.close();
    });

  k.command('lint')
    .description(
      'check that every learning file parses: each one that does not is named with its line and what is served meanwhile (exit 1)',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const { settings } = await loadSettings(coordinatorRoot(cmd));
      const { index, report } = await openKnowledge({
        stateDir: settings.stateDir,
        knowledgeDir: settings.knowledgeDir,
        full: true,
      });
      try {
        const problems = problemsOf(index, report.errors);
        warnKnowledge(index, report.errors);
        if (problems === 0) printLine(`${report.files} learning file(s), all fine`);
        else {
          printLine(`${problems} problem(s) in ${report.files} learning file(s) (above)`);
          process.exitCode = 1;
        }
      } finally {
        index.close();
      }
    });

  program
    .command('learn <text>')
    .description(
      'inside a run: record a lesson of this run (its learn file, stored when the run ends; outside a run, or in a run of an older habitat, printed as a LEARNED: line)',
    )
    .option('--tags <a,b>', 'comma-separated tags')
    .action(async (text: string, opts: { tags?: string }) => {
      const line = text.replace(/\s+/g, ' ').trim();
      // The run's own channel: a file only this run can write, read when it ends and stored with the run's
      // real agent and id (run-learnings.ts). No state dir, no socket.
      const learnFile = process.env.HABITAT_LEARN_FILE;
      if (learnFile) {
        const { appendFile } = await import('node:fs/promises');
        await appendFile(learnFile, `${JSON.stringify({ text: line, tags: list(opts.tags) })}\n`, {
          mode: 0o600,
        }).catch((error: NodeJS.ErrnoException) => {
          throw new CliError(
            `cannot write the run's learn file ${learnFile}: ${error.code}`,
            1,
            'learn-failed',
          );
        });
        process.stderr.write('habitat: lesson recorded; it is stored when this run ends\n');
        return;
      }
      // The LEARNED: line reaches the run log in any backend; extraction picks it up from there. Runs
      // are not handed the state dir (its socket steers the fleet) unless their agent file sets it.
      process.stdout.write(`LEARNED: ${line}\n`);
      const stateDir = process.env.HABITAT_STATE_DIR;
      if (!stateDir) return;
      const { settings } = await loadSettings(path.dirname(stateDir));
      const { index } = await openKnowledge({
        stateDir: settings.stateDir,
        knowledgeDir: settings.knowledgeDir,
      });
      const agent = process.env.HABITAT_AGENT;
      await addLearning(index, settings.knowledgeDir, {
        text,
        tags: list(opts.tags),
        ...(agent ? { scope: { kind: 'agent' as const, name: agent } } : {}),
        provenance: {
          source: 'explicit',
          ...(agent ? { agent } : {}),
          ...(process.env.HABITAT_RUN_ID ? { runId: process.env.HABITAT_RUN_ID } : {}),
        },
      });
      index.close();
    });

  program
    .command('mcp')
    .description(
      'serve habitat knowledge over MCP on stdio (tools: search_knowledge, add_learning, read_session)',
    )
    .action(async (_opts, cmd: Command) => {
      const { settings } = await loadSettings(coordinatorRoot(cmd));
      // The MCP SDK (with ajv and zod) loads only for `habitat mcp`.
      const { serveMcp } = await import('@habitat/knowledge');
      const embeddings = embeddingsOf(settings);
      await serveMcp({
        stateDir: settings.stateDir,
        knowledgeDir: settings.knowledgeDir,
        ...(embeddings ? { embeddings } : {}),
        ...(process.env.HABITAT_AGENT ? { agent: process.env.HABITAT_AGENT } : {}),
        ...(process.env.HABITAT_RUN_ID ? { runId: process.env.HABITAT_RUN_ID } : {}),
      });
    });
}
