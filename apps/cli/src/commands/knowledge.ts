import type { Command } from 'commander';

export function registerKnowledgeCommands(_program: Command): void {}
