import type { Command } from 'commander';

export function registerSessionsCommands(_program: Command): void {}
