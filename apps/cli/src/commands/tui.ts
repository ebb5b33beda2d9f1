// habitat tui: the terminal UI (@habitat/tui's `habitat-tui`), started in this terminal for this coordinator.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { coordinatorRoot } from '../cli.js';
import { CliError, ExitSignal } from '../output.js';

/** Where habitat-tui lives: the installed package, the workspace next to this CLI, or the PATH. */
function findTui(): { command: string; args: string[] } {
  try {
    const pkg = fileURLToPath(import.meta.resolve('@habitat/tui/package.json'));
    const entry = path.join(path.dirname(pkg), 'dist', 'index.js');
    if (existsSync(entry)) return { command: process.execPath, args: [entry] };
  } catch {
    // not installed alongside the CLI
  }
  const sibling = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tui/dist/index.js');
  if (existsSync(sibling)) return { command: process.execPath, args: [sibling] };
  return { command: 'habitat-tui', args: [] };
}

export function registerTuiCommand(program: Command): void {
  program
    .command('tui')
    .description('watch and steer the fleet live in the terminal (habitat-tui)')
    .action(async (_options: unknown, command: Command) => {
      const root = path.resolve(coordinatorRoot(command));
      const { command: bin, args } = findTui();
      const code = await new Promise<number>((resolve, reject) => {
        // `habitat --utc tui`: the TUI shows times as the CLI does
        const utc = (command.optsWithGlobals() as { utc?: boolean }).utc ? ['--utc'] : [];
        const child = spawn(bin, [...args, '--dir', root, ...utc], { stdio: 'inherit' });
        child.once('error', (error: NodeJS.ErrnoException) =>
          reject(
            error.code === 'ENOENT'
              ? new CliError('habitat-tui is not installed: npm install -g @habitat/tui', 1, 'tui-missing')
              : error,
          ),
        );
        child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
      });
      if (code !== 0) throw new ExitSignal(code);
    });
}
