// habitat init | new agent | validate | list | schema — flags in, @habitat/config calls, output out.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  agentJsonSchema,
  type Coordinator,
  type Diagnostic,
  describeSchedule,
  formatDiagnostic,
  jitterFor,
  loadCoordinator,
  loadSettings,
  nextFireTime,
} from '@habitat/config';
import type { Command } from 'commander';
import { coordinatorRoot } from '../cli.js';
import { CliError, printJson, printLine, printTable, useColor } from '../output.js';
import { agentFileTemplate, coordinatorFiles, habitatFiles } from './templates.js';

export function registerConfigCommands(program: Command): void {
  program
    .command('init [dir]')
    .description('create a coordinator repo: habitat.yaml, agents/, knowledge/, .gitignore (git-initialised)')
    .action(async (dir: string | undefined, _opts, cmd: Command) => {
      const root = path.resolve(coordinatorRoot(cmd), dir ?? '.');
      if (existsSync(path.join(root, 'habitat.yaml'))) {
        throw new CliError(`${root} already holds a coordinator (habitat.yaml exists)`, 1, 'exists');
      }
      await writeTree(root, coordinatorFiles());
      gitInit(root);
      printLine(`Created a habitat coordinator in ${root}`);
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
      const root = path.resolve(coordinatorRoot(cmd));
      const { settings } = await loadSettings(root);
      const agentFile = path.join(settings.agentsDir, `${name}.yaml`);
      if (existsSync(agentFile)) throw new CliError(`${agentFile} already exists`, 1, 'exists');
      const repo = path.resolve(root, opts.path ?? path.join('habitats', name));
      if (!existsSync(repo)) {
        await writeTree(repo, habitatFiles(name));
        gitInit(repo);
      }
      await mkdir(settings.agentsDir, { recursive: true });
      await writeFile(
        agentFile,
        agentFileTemplate(name, path.relative(settings.agentsDir, repo), root, settings.agentsDir),
      );
      printLine(
        `Created the habitat ${path.relative(process.cwd(), repo) || repo} and ${path.relative(process.cwd(), agentFile)}`,
      );
    });

  program
    .command('validate')
    .description('check habitat.yaml and every agent file; exit 2 if anything is wrong')
    .option('--json', 'print diagnostics as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const coordinator = await loadCoordinator(coordinatorRoot(cmd));
      const errors = coordinator.diagnostics.filter((d) => d.severity === 'error');
      if (opts.json) {
        printJson({ agents: coordinator.agents.map((a) => a.name), diagnostics: coordinator.diagnostics });
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

  program
    .command('list')
    .description('list agents: schedule in words, next fire time, backend, credential names (never values)')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const coordinator = await loadCoordinator(coordinatorRoot(cmd));
      printDiagnostics(coordinator.diagnostics, coordinator.settings.root, 'stderr');
      const rows = listRows(coordinator, new Date());
      if (opts.json) printJson(rows);
      else
        printTable(
          ['agent', 'schedule', 'next', 'backend', 'run', 'credentials'],
          rows.map((r) => [
            r.name,
            r.schedule,
            r.next ?? '-',
            r.backend,
            r.run,
            r.credentials.join(', ') || '-',
          ]),
        );
    });

  program
    .command('schema')
    .description('print the JSON Schema of agent files (for editor completion)')
    .action(() => printJson(agentJsonSchema()));
}

/** One row per valid agent; only credential names, never values. */
function listRows(coordinator: Coordinator, now: Date) {
  return coordinator.agents.map((a) => {
    const next = nextFireTime(a.schedule, now);
    const jitter = next && a.schedule.kind !== 'manual' ? jitterFor(a.name, next, a.schedule.jitterMs) : 0;
    return {
      name: a.name,
      schedule: describeSchedule(a.schedule),
      next: next ? new Date(next.getTime() + jitter).toISOString() : undefined,
      backend: a.isolation.backend,
      run:
        a.run.kind === 'claude'
          ? `claude ${a.run.prompt}`
          : a.run.kind === 'script'
            ? a.run.script
            : a.run.command.join(' '),
      credentials: a.credentials.map((c) => c.name),
      file: a.file,
    };
  });
}

function printDiagnostics(diagnostics: Diagnostic[], root: string, to: 'stdout' | 'stderr'): void {
  const stream = to === 'stdout' ? process.stdout : process.stderr;
  for (const d of diagnostics)
    stream.write(`${formatDiagnostic(d, { cwd: root, color: useColor(stream) })}\n`);
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content, rel.endsWith('.sh') ? { mode: 0o755 } : {});
  }
}

function gitInit(dir: string): void {
  try {
    execFileSync('git', ['init', '-q', dir], { stdio: 'ignore' });
  } catch {
    // git is optional: the files are there either way.
  }
}
