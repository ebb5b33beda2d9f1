import { Command } from 'commander';
import { ExitSignal, UsageError } from './output.js';

type Register = (program: Command) => void;

/**
 * Command families, loaded only when their command is used: each pulls in its libraries (SQLite, Docker,
 * MCP, ...), and a CLI that loads all of them for every call starts several times slower.
 */
const FAMILIES: { commands: string[]; load: () => Promise<Register> }[] = [
  {
    commands: ['init', 'new', 'validate', 'list', 'schema'],
    load: async () => (await import('./commands/config.js')).registerConfigCommands,
  },
  { commands: ['run', 'wake'], load: async () => (await import('./commands/run.js')).registerRunCommands },
  {
    commands: ['up', 'status', 'next', 'pause', 'resume', 'cancel', 'history', 'stats', 'logs'],
    load: async () => (await import('./commands/daemon.js')).registerDaemonCommands,
  },
  {
    commands: ['sessions'],
    load: async () => (await import('./commands/sessions.js')).registerSessionsCommands,
  },
  {
    commands: ['knowledge', 'learn', 'mcp'],
    load: async () => (await import('./commands/knowledge.js')).registerKnowledgeCommands,
  },
  { commands: ['tui'], load: async () => (await import('./commands/tui.js')).registerTuiCommand },
];

/** The first argument that is not an option (or an option's value): the command being run, if any. */
function commandOf(argv: string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-C' || arg === '--dir') i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** The `habitat` command tree. Each family registers its commands from its own module. */
export async function buildProgram(argv: string[] = process.argv): Promise<Command> {
  const program = new Command('habitat')
    .description('Repos, containers and cron for a fleet of AI agents, plus the memory they share.')
    .option('-C, --dir <path>', 'coordinator root (default: the working directory)')
    .configureOutput({ outputError: () => {} })
    .exitOverride((err) => {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') throw new ExitSignal(0);
      if (err.code === 'commander.help') throw new ExitSignal(0);
      throw new UsageError(`${err.message.replace(/^error: /, '')} (see habitat --help)`);
    });
  const command = commandOf(argv);
  const family = FAMILIES.find((f) => command !== undefined && f.commands.includes(command));
  // Help, or an unknown command: every family, so help is complete and "did you mean" works.
  for (const f of family ? [family] : FAMILIES) (await f.load())(program);
  return program;
}

/** The coordinator root for a command: `--dir` or the working directory. */
export function coordinatorRoot(command: Command): string {
  const opts = command.optsWithGlobals() as { dir?: string };
  return opts.dir ?? process.cwd();
}
