import path from 'node:path';
import { Command, Option } from 'commander';
import { resolveCoordinator } from './coordinator.js';
import { addExamples } from './help.js';
import { configureOutput, ExitSignal, UsageError } from './output.js';
import { commandOf } from './stop-signals.js';

declare const __HABITAT_VERSION__: string;

/** This package's version (tsup writes it in at build time). */
export function cliVersion(): string {
  return typeof __HABITAT_VERSION__ === 'string' ? __HABITAT_VERSION__ : 'unknown';
}

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
  {
    commands: ['accounts'],
    load: async () => (await import('./commands/accounts.js')).registerAccountsCommand,
  },
  { commands: ['tui'], load: async () => (await import('./commands/tui.js')).registerTuiCommand },
  { commands: ['image'], load: async () => (await import('./commands/image.js')).registerImageCommands },
  { commands: ['doctor'], load: async () => (await import('./commands/doctor.js')).registerDoctorCommand },
];

/** `completion` describes every command: it loads every family, then registers itself. */
const COMPLETION = {
  commands: ['completion'],
  load: async (): Promise<Register> => {
    const all = await Promise.all(FAMILIES.map((f) => f.load()));
    const { registerCompletionCommand } = await import('./commands/completion.js');
    return (program) => {
      for (const register of all) register(program);
      registerCompletionCommand(program);
    };
  },
};

/**
 * The command a usage error is about, for its "see … --help": `habitat knowledge context` for a missing --task
 * there (its own options and examples), plain `habitat` for an unknown command.
 */
function helpCommand(program: Command, argv: string[]): string {
  const names = ['habitat'];
  let current = program;
  for (const word of argv.slice(2)) {
    if (word === '--') break;
    if (word.startsWith('-')) continue;
    const sub = current.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (sub) {
      names.push(word);
      current = sub;
    } else if (names.length > 1) break; // an argument of the command found
  }
  return names.join(' ');
}

/** The `habitat` command tree. Each family registers its commands from its own module. */
export async function buildProgram(argv: string[] = process.argv): Promise<Command> {
  const program = new Command('habitat')
    .description('Repos, containers and cron for a fleet of AI agents, plus the memory they share.')
    .version(cliVersion(), '-V, --version', 'print the version')
    .option('-C, --dir <path>', 'run as if started in <path> (the coordinator is found from there upwards)')
    .option('--utc', 'show times in UTC (default: the local time zone, with its offset)')
    .addHelpText(
      'after',
      `
The coordinator is the nearest directory at or above the working directory (or -C <dir>) holding
habitat.yaml or agents/; HABITAT_DIR names one exactly. Exit codes: 0 ok, 1 failure, 2 usage or config
error; \`habitat run\` exits with the agent's own code (128+N when a signal N ended it). NO_COLOR and
FORCE_COLOR are honoured; every listing takes --json (docs/json/).

Examples:
  habitat init my-fleet && cd my-fleet && habitat new agent feed
  habitat validate && habitat up
  habitat status --json | jq '.agents[].state'
  habitat -C ~/fleet history feed -n 5 --utc`,
    )
    .hook('preAction', (_program, action) => {
      const opts = action.optsWithGlobals() as { utc?: boolean; format?: string };
      configureOutput({ utc: Boolean(opts.utc), format: opts.format === 'tsv' ? 'tsv' : 'table' });
    })
    .configureOutput({ outputError: () => {} })
    .exitOverride((err) => {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') throw new ExitSignal(0);
      if (err.code === 'commander.help') throw new ExitSignal(0);
      throw new UsageError(
        `${err.message.replace(/^error: /, '')} (see ${helpCommand(program, argv)} --help)`,
      );
    });
  const command = commandOf(argv);
  // `habitat -V`: nothing to load.
  if (command === undefined && (argv.includes('-V') || argv.includes('--version'))) return program;
  const family = [...FAMILIES, COMPLETION].find((f) => command !== undefined && f.commands.includes(command));
  // Help, or an unknown command: every family, so help is complete and "did you mean" works.
  if (family) (await family.load())(program);
  else (await COMPLETION.load())(program); // every family, and completion itself
  addExamples(program);
  return program;
}

/**
 * The coordinator root for a command: found from `-C <dir>` or the working directory upwards, or
 * HABITAT_DIR. Outside any coordinator it throws a usage error (exit 2) rather than inventing one.
 */
export function coordinatorRoot(command: Command): string {
  const opts = command.optsWithGlobals() as { dir?: string };
  return resolveCoordinator(opts.dir);
}

/** The directory a command that makes a coordinator works in: `-C <dir>` or the working directory. */
export function baseDir(command: Command): string {
  const opts = command.optsWithGlobals() as { dir?: string };
  return path.resolve(opts.dir ?? '.');
}

/** `--format table|tsv` for a command that prints a table (sessions export has its own --format). */
export function withTableFormat(command: Command): Command {
  return command.addOption(
    new Option(
      '--format <format>',
      'table: aligned columns fitted to the terminal; tsv: tab-separated, for scripts',
    )
      .choices(['table', 'tsv'])
      .default('table'),
  );
}
