// Examples for `habitat <command> --help`, kept in one place (commands with their own examples skip these).
import type { Command } from 'commander';

const EXAMPLES: Record<string, string[]> = {
  new: ['habitat new agent twitter-feed', 'habitat new agent feed --path ../habitats/feed'],
  validate: ['habitat validate', 'habitat validate --json | jq ".diagnostics[].message"'],
  list: ['habitat list', 'habitat list --format tsv | cut -f1,3'],
  run: ['habitat run feed', 'habitat run feed --json > result.json   # the agent’s output goes to stderr'],
  wake: [
    'habitat wake --in 46m --reason "x-rate-limit-remaining: 3"',
    'habitat wake --at 2026-11-24T14:46:00Z',
  ],
  up: ['habitat up', 'habitat up --grace 2m', 'habitat up --once --json   # run what is due, then exit'],
  status: [
    'habitat status',
    'habitat status --json | jq -r ".agents[] | select(.state == \\"failed\\") | .agent"',
  ],
  next: ['habitat next', 'habitat next --utc'],
  pause: ['habitat pause feed'],
  resume: ['habitat resume feed'],
  cancel: ['habitat cancel 01M8RERNDJ4QBEQ7KMEFGQ4DV6'],
  history: ['habitat history', 'habitat history feed -n 5 --json'],
  stats: ['habitat stats', 'habitat stats --agent feed --json'],
  logs: ['habitat logs feed', 'habitat logs feed --follow'],
  sessions: [
    'habitat sessions index',
    'habitat sessions search "rate limit" -n 5',
    'habitat sessions stats --by day',
  ],
  knowledge: [
    'habitat knowledge add "the API pages at 100" --tags api',
    'habitat knowledge search pagination',
  ],
  mcp: ['claude --mcp-config \'{"mcpServers":{"habitat":{"command":"habitat","args":["mcp"]}}}\''],
  tui: ['habitat tui', 'habitat -C ~/fleet tui'],
};

/** Add the examples to each registered command that has none of its own. */
export function addExamples(program: Command): void {
  for (const command of program.commands) {
    const examples = EXAMPLES[command.name()];
    if (!examples) continue;
    command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}`);
  }
}
