// habitat init | new agent | validate | list | schema — flags in, @habitat/config calls, output out.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type Coordinator,
  type Diagnostic,
  describeSchedule,
  formatDiagnostic,
  loadCoordinator,
  loadSettings,
} from '@habitat/config';
import { initialPlan } from '@habitat/scheduler';
import type { Command } from 'commander';
import { baseDir, coordinatorRoot, withTableFormat } from '../cli.js';
import { type AgentJson, diagnosticJson, type ValidateJson } from '../json.js';
import { CliError, formatTime, printJson, printLine, printTable, useColor } from '../output.js';
import { agentFileTemplate, coordinatorFiles, habitatFiles, SCHEMA_FILES, schemaFiles } from './templates.js';

/** The JSON Schemas are built from the zod schemas, which only `init` and `schema` need: loaded on demand. */
const jsonSchemas = async () => {
  const { agentJsonSchema, settingsJsonSchema } = await import('@habitat/config');
  return { agent: agentJsonSchema(), settings: settingsJsonSchema() };
};

export function registerConfigCommands(program: Command): void {
  program
    .command('init [dir]')
    .description(
      'create a coordinator repo: habitat.yaml, agents/, knowledge/, .gitignore, and a first commit',
    )
    .option('--force', 'overwrite files that already exist (they are left alone otherwise)')
    .addHelpText(
      'after',
      '\nExamples:\n  habitat init my-fleet\n  habitat init            # here; existing files are kept and listed',
    )
    .action(async (dir: string | undefined, opts: { force?: boolean }, cmd: Command) => {
      const root = path.resolve(baseDir(cmd), dir ?? '.');
      const { written, kept } = await writeTree(
        root,
        coordinatorFiles(await jsonSchemas()),
        Boolean(opts.force),
      );
      const committed = written.length > 0 ? gitInitAndCommit(root, written, 'habitat init') : undefined;
      printLine(`${written.length > 0 ? 'Created' : 'Found'} a habitat coordinator in ${root}`);
      for (const f of written) printLine(`  wrote ${f}`);
      for (const f of kept) printLine(`  left alone ${f} (exists; --force overwrites)`);
      if (committed === true) printLine('  committed them (git)');
      else if (committed) printLine(`  not committed: ${committed}`);
      printLine('Next: habitat new agent <name>, then habitat validate and habitat up');
    });

  program
    .command('new')
    .description('create things')
    .command('agent <name>')
    .description(
      'create an agent habitat repo (CLAUDE.md, prompts/, skills/, scripts/, memory/) and its agents/<name>.yaml',
    )
    .option('--path <dir>', 'where the habitat repo goes (default: habitats/<name> in the coordinator)')
    .action(async (name: string, opts: { path?: string }, cmd: Command) => {
      if (!/^[a-z0-9][a-z0-9_.-]*$/i.test(name)) {
        throw new CliError(
          `"${name}" is not a usable agent name: use letters, digits, "-", "_" or "."`,
          2,
          'usage',
        );
      }
      const root = coordinatorRoot(cmd);
      const { settings } = await loadSettings(root);
      const agentFile = path.join(settings.agentsDir, `${name}.yaml`);
      if (existsSync(agentFile)) throw new CliError(`${agentFile} already exists`, 1, 'exists');
      const repo = path.resolve(root, opts.path ?? path.join('habitats', name));
      if (!existsSync(repo)) {
        const { written } = await writeTree(repo, habitatFiles(name), false);
        gitInitAndCommit(repo, written, `habitat new agent ${name}`);
      }
      // Each habitat is its own repo (its history is the agent's): the coordinator ignores it rather than
      // tracking it as a submodule whose pointer every agent commit would leave dirty.
      await ignoreInCoordinator(root, repo);
      await mkdir(settings.agentsDir, { recursive: true });
      await writeFile(
        agentFile,
        agentFileTemplate(name, path.relative(settings.agentsDir, repo), root, settings.agentsDir),
      );
      printLine(
        `Created the habitat ${path.relative(process.cwd(), repo) || repo} and ${path.relative(process.cwd(), agentFile)}`,
      );
      if (process.getuid?.() === 0)
        printLine(
          `You are root, and Claude Code refuses to run as root: set isolation.user in ${path.relative(process.cwd(), agentFile)} to a user that can write the habitat (habitat validate says so until then)`,
        );
    });

  program
    .command('validate')
    .description('check habitat.yaml and every agent file; exit 2 if anything is wrong')
    .option('--json', 'print diagnostics as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      // Always a full validation (other commands may answer from the validated snapshot).
      const coordinator = await loadCoordinator(coordinatorRoot(cmd), { fresh: true });
      const errors = coordinator.diagnostics.filter((d) => d.severity === 'error');
      if (opts.json) {
        printJson({
          valid: errors.length === 0,
          agents: coordinator.agents.map((a) => a.name),
          diagnostics: coordinator.diagnostics.map(diagnosticJson),
        } satisfies ValidateJson);
      } else {
        printDiagnostics(coordinator.diagnostics, coordinator.settings.root, 'stdout');
        const files = new Set(errors.map((d) => d.file)).size;
        printLine(
          errors.length === 0
            ? `${coordinator.agents.length} agent${coordinator.agents.length === 1 ? '' : 's'} valid`
            : `${errors.length} error${errors.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}; ${coordinator.agents.length} agent${coordinator.agents.length === 1 ? '' : 's'} valid`,
        );
      }
      if (errors.length > 0) process.exitCode = 2;
    });

  withTableFormat(program.command('list'))
    .description('list agents: schedule in words, next fire time, backend, credential names (never values)')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const coordinator = await loadCoordinator(coordinatorRoot(cmd));
      printDiagnostics(coordinator.diagnostics, coordinator.settings.root, 'stderr');
      const { stateDir } = coordinator.settings;
      // The daemon's plan, when there is a store to read it from (SQLite loads only then).
      const planned = existsSync(path.join(stateDir, 'scheduler.db'))
        ? await (await import('./planned.js')).plannedNext(stateDir)
        : new Map<string, number>();
      const rows = listRows(coordinator, new Date(), planned);
      if (opts.json) printJson(rows);
      else
        printTable(
          ['agent', 'schedule', 'next', 'backend', 'run', 'credentials'],
          rows.map((r) => [
            r.name,
            r.schedule,
            formatTime(r.next),
            r.backend,
            r.run,
            r.credentials.join(', ') || '-',
          ]),
        );
    });

  program
    .command('schema')
    .description(
      "print the JSON Schema of agent files (or habitat.yaml), or refresh the coordinator's copies",
    )
    .option('--settings', "habitat.yaml's schema instead of the agent files'")
    .option('--write', `write both into the coordinator (${SCHEMA_FILES.agent}, ${SCHEMA_FILES.settings})`)
    .addHelpText(
      'after',
      `\nEditors (the YAML language server) read the files through the modeline habitat init puts at the top:\n  # yaml-language-server: $schema=./.schema.json\n\nExamples:\n  habitat schema --write          # after upgrading habitat\n  habitat schema --settings | jq .properties`,
    )
    .action(async (opts: { settings?: boolean; write?: boolean }, cmd: Command) => {
      const schemas = await jsonSchemas();
      if (!opts.write) return printJson(opts.settings ? schemas.settings : schemas.agent);
      const root = coordinatorRoot(cmd);
      const { written } = await writeTree(root, schemaFiles(schemas), true);
      for (const f of written) printLine(`wrote ${f}`);
    });
}

/** One row per valid agent; only credential names, never values. */
function listRows(coordinator: Coordinator, now: Date, planned: Map<string, number>): AgentJson[] {
  return coordinator.agents.map((a) => {
    const plan = planned.get(a.name);
    // Not planned yet: what the daemon plans at first sight (an `every` agent at once, else the next slot
    // with its jitter), the same as status and next show.
    const next = plan ?? initialPlan(a, now.getTime()).next_at;
    return {
      name: a.name,
      file: a.file,
      schedule: describeSchedule(a.schedule),
      next: next !== null ? new Date(next).toISOString() : null,
      nextSource: plan !== undefined ? 'plan' : next !== null ? 'schedule' : null,
      backend: a.isolation.backend,
      run:
        a.run.kind === 'claude'
          ? `claude ${a.run.prompt}`
          : a.run.kind === 'script'
            ? a.run.script
            : a.run.command.join(' '),
      credentials: a.credentials.map((c) => c.name),
    };
  });
}

function printDiagnostics(diagnostics: Diagnostic[], root: string, to: 'stdout' | 'stderr'): void {
  const stream = to === 'stdout' ? process.stdout : process.stderr;
  for (const d of diagnostics)
    stream.write(`${formatDiagnostic(d, { cwd: root, color: useColor(stream) })}\n`);
}

/** Write files under `root`, leaving existing ones alone unless `force`. Paths are returned relative. */
async function writeTree(
  root: string,
  files: Record<string, string>,
  force: boolean,
): Promise<{ written: string[]; kept: string[] }> {
  const written: string[] = [];
  const kept: string[] = [];
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    if (!force && existsSync(file)) {
      kept.push(rel);
      continue;
    }
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content, rel.endsWith('.sh') ? { mode: 0o755 } : {});
    written.push(rel);
  }
  return { written, kept };
}

/** Add `<habitat>/` to the coordinator's .gitignore when the habitat repo lives inside it. */
async function ignoreInCoordinator(root: string, repo: string): Promise<void> {
  const rel = path.relative(root, repo);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return;
  const top = rel.split(path.sep)[0]!;
  const file = path.join(root, '.gitignore');
  const text = existsSync(file) ? await readFile(file, 'utf8') : '';
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines.some((l) => [top, `${top}/`, `/${top}`, `/${top}/`].includes(l))) return;
  await writeFile(file, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}/${top}/\n`);
}

/**
 * `git init` (if needed) and commit `files`. git is optional: without it, or without an identity, the files
 * are there uncommitted and this returns why.
 */
function gitInitAndCommit(dir: string, files: string[], message: string): true | string {
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { stdio: 'pipe' });
  try {
    if (!existsSync(path.join(dir, '.git'))) execFileSync('git', ['init', '-q', dir], { stdio: 'ignore' });
  } catch {
    return 'git is not installed';
  }
  try {
    git('add', '--', ...files);
    git('commit', '-q', '-m', message, '--', ...files);
    return true;
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    // git's own words here are "fatal: unable to auto-detect email address (got 'root@vm.(none)')"
    if (/auto-detect email|Please tell me who you are|empty ident/.test(stderr))
      return `git does not know who you are: set git config --global user.name "Your Name" and user.email you@example.com, then: git -C ${dir} commit -m "${message}"`;
    return stderr.split('\n').at(-1) || 'git commit failed';
  }
}
