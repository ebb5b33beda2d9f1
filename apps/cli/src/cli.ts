import { Command } from 'commander';
import { registerConfigCommands } from './commands/config.js';
import { registerDaemonCommands } from './commands/daemon.js';
import { registerKnowledgeCommands } from './commands/knowledge.js';
import { registerRunCommands } from './commands/run.js';
import { registerSessionsCommands } from './commands/sessions.js';
import { registerTuiCommand } from './commands/tui.js';
import { ExitSignal, UsageError } from './output.js';

/** The `habitat` command tree. Each family registers its commands from its own module. */
export function buildProgram(): Command {
  const program = new Command('habitat')
    .description('Repos, containers and cron for a fleet of AI agents, plus the memory they share.')
    .option('-C, --dir <path>', 'coordinator root (default: the working directory)')
    .configureOutput({ outputError: () => {} })
    .exitOverride((err) => {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') throw new ExitSignal(0);
      if (err.code === 'commander.help') throw new ExitSignal(0);
      throw new UsageError(`${err.message.replace(/^error: /, '')} (see habitat --help)`);
    });
  registerConfigCommands(program);
  registerRunCommands(program);
  registerDaemonCommands(program);
  registerSessionsCommands(program);
  registerKnowledgeCommands(program);
  registerTuiCommand(program);
  return program;
}

/** The coordinator root for a command: `--dir` or the working directory. */
export function coordinatorRoot(command: Command): string {
  const opts = command.optsWithGlobals() as { dir?: string };
  return opts.dir ?? process.cwd();
}
