// Examples for `habitat <command> [<subcommand>] --help`, kept in one place (commands with their own examples skip these).
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
  'sessions index': [
    'habitat sessions index',
    'habitat sessions index --claude-dir ~/.claude-work --json',
    'habitat sessions index --watch',
  ],
  'sessions list': [
    'habitat sessions list -n 10',
    'habitat sessions list --agent feed --since 7d --errors',
    'habitat sessions list --format tsv | cut -f1,5',
  ],
  'sessions search': [
    'habitat sessions search "rate limit" -n 5',
    'habitat sessions search ECONNRESET --tool Bash --since 2d',
    'habitat sessions search migration --json | jq -r ".hits[].sessionId"',
    'habitat sessions search docker --sort recent -n 5',
  ],
  'sessions show': ['habitat sessions show 3f2a', 'habitat sessions show 3f2a --json | jq ".files"'],
  'sessions replay': ['habitat sessions replay 3f2a --speed 20', 'habitat sessions replay 3f2a --step'],
  'sessions export': [
    'habitat sessions export 3f2a > session.md',
    'habitat sessions export 3f2a --format html -o session.html',
  ],
  'sessions stats': [
    'habitat sessions stats --by day --since 30d',
    'habitat sessions stats --by model --json | jq ".[0]"',
  ],
  'knowledge add': [
    'habitat knowledge add "the API pages at 100 items; follow the Link header" --tags api',
    'habitat knowledge add "deploys need VPN" --project payments',
  ],
  'knowledge search': [
    'habitat knowledge search pagination',
    'habitat knowledge search "presign region" --project uploads --json',
  ],
  'knowledge list': ['habitat knowledge list', 'habitat knowledge list --status pending -n 20'],
  'knowledge show': ['habitat knowledge show k-7q2m4x9a'],
  'knowledge retract': ['habitat knowledge retract k-7q2m4x9a --reason "the API changed in v3"'],
  'knowledge accept': ['habitat knowledge list --status pending', 'habitat knowledge accept k-7q2m4x9a'],
  'knowledge supersede': ['habitat knowledge supersede k-old12345 k-new67890'],
  'knowledge context': [
    'habitat knowledge context --task "fix the flaky upload test" --project uploads',
    'habitat knowledge context --task "release notes" --budget 500 --json',
  ],
  'knowledge stats': [
    'habitat knowledge stats --since 7d',
    'habitat knowledge stats --run 01M8RERNDJ4QBEQ7KMEFGQ4DV6',
  ],
  'knowledge extract': [
    'habitat knowledge extract --since 1d',
    'habitat knowledge extract --session 3f2a --model claude-haiku-4-5 --accept',
  ],
  'knowledge index': ['habitat knowledge index', 'habitat knowledge index --json'],
  'knowledge lint': ['habitat knowledge lint', 'habitat knowledge lint || echo "fix the files named above"'],
  learn: ['habitat learn "the staging DB resets at 03:00 UTC" --tags staging   # inside a run'],
  accounts: ['habitat accounts', 'habitat accounts --json | jq ".[] | {label, pausedUntil}"'],
  image: ['habitat image build', 'habitat doctor   # is the image there?'],
  'image build': ['habitat image build', 'habitat image build --if-changed -t habitat-agent:dev'],
  'new agent': ['habitat new agent twitter-feed', 'habitat new agent feed --path ../habitats/feed'],
  mcp: ['claude --mcp-config \'{"mcpServers":{"habitat":{"command":"habitat","args":["mcp"]}}}\''],
  tui: ['habitat tui', 'habitat -C ~/fleet tui'],
};

/** Add the examples to each registered command and subcommand (`sessions search`) that has none of its own. */
export function addExamples(program: Command, prefix = ''): void {
  for (const command of program.commands) {
    const name = `${prefix}${command.name()}`;
    const examples = EXAMPLES[name];
    if (examples) command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}`);
    addExamples(command, `${name} `);
  }
}
