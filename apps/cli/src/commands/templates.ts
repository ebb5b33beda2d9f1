// The files `habitat init` and `habitat new agent` write.
const SCHEMA_FILE = '.schema.json';

/** `schema`: the agent files' JSON Schema (agentJsonSchema()), written for editors. */
export function coordinatorFiles(schema: object): Record<string, string> {
  return {
    'habitat.yaml': `# habitat coordinator settings. Every key is optional.
# stateDir: .habitat          # runtime state: SQLite files, run logs, the daemon's socket
# maxConcurrentRuns: 4
defaults:                     # merged under every agents/*.yaml
  timeout: 30m
  # isolation: { backend: docker, image: habitat-agent:latest, network: bridge, memory: 2g, cpus: 1 }
# sessions: { claude: [~/.claude], codex: [~/.codex], defaults: true }
`,
    [`agents/${SCHEMA_FILE}`]: `${JSON.stringify(schema, null, 2)}\n`,
    'agents/hello.yaml': `# yaml-language-server: $schema=./${SCHEMA_FILE}
# An example agent: runs a command every hour on the local backend.
run:
  command: [sh, -c, 'echo "hello from $HABITAT_AGENT, run $HABITAT_RUN_ID"']
schedule: { every: 1h }
timeout: 1m
`,
    'knowledge/README.md':
      '# Shared knowledge\n\nLearnings agents and people record, as markdown files with front matter.\n',
    // habitats/ holds each agent's own git repo (see `habitat new agent`): not part of this one.
    '.gitignore': '.habitat/\n/habitats/\n*.env\n.env*\nsecrets/\ncredentials/\n',
  };
}

export function habitatFiles(name: string): Record<string, string> {
  return {
    'CLAUDE.md': `# ${name}\n\nStanding instructions and memory for the ${name} agent.\n\n- Work only inside this repository.\n- When a rate limit says to wait, write the time to wake to $HABITAT_WAKE_FILE (or run \`habitat wake --in 46m\`).\n- Record what you learn as lines starting with \`LEARNED:\`.\n`,
    'prompts/main.md': `You are the ${name} agent. Read CLAUDE.md, do the task, and summarise what you did.\n`,
    'skills/.gitkeep': '',
    'scripts/run.sh': '#!/bin/sh\nset -eu\necho "running $HABITAT_AGENT ($HABITAT_RUN_ID)"\n',
    'memory/.gitkeep': '',
    '.gitignore': '# credentials and logs are never committed\n*.env\n.env*\nsecrets/\n*.log\n',
  };
}

export function agentFileTemplate(
  name: string,
  repoRelative: string,
  _root: string,
  _agentsDir: string,
): string {
  return `# yaml-language-server: $schema=./${SCHEMA_FILE}
# The ${name} agent. Docs: habitat schema, or the README.
repo: ${repoRelative}
run:
  claude: { prompt: prompts/main.md, model: sonnet }
  # script: scripts/run.sh
schedule: manual            # or { cron: "0 * * * *", timezone: Europe/Berlin } or { every: 6h }
wake: agent                 # the agent may ask to be woken earlier or later ($HABITAT_WAKE_FILE)
# credentials:               # as: file (the default here) -> /run/secrets/<name>, 0400, removed after the run;
#                            # as: env is readable in /proc/<pid>/environ (local) and docker inspect (Docker)
#   - { name: anthropic, from: ~/.config/habitat/anthropic.env, as: file }
timeout: 30m
`;
}
