// The files `habitat init` and `habitat new agent` write.
const SCHEMA_FILE = '.schema.json';

/** Where the JSON Schemas go in a coordinator, for editors (`habitat schema --write` refreshes them). */
export const SCHEMA_FILES = { agent: `agents/${SCHEMA_FILE}`, settings: '.habitat.schema.json' } as const;

/** The schema files' contents. */
export function schemaFiles(schemas: { agent: object; settings: object }): Record<string, string> {
  return {
    [SCHEMA_FILES.agent]: `${JSON.stringify(schemas.agent, null, 2)}\n`,
    [SCHEMA_FILES.settings]: `${JSON.stringify(schemas.settings, null, 2)}\n`,
  };
}

/** What `habitat init` writes; `schemas` are the agent files' and habitat.yaml's JSON Schemas. */
export function coordinatorFiles(schemas: { agent: object; settings: object }): Record<string, string> {
  return {
    'habitat.yaml': `# yaml-language-server: $schema=./${SCHEMA_FILES.settings}
# habitat coordinator settings. Every key is optional; relative paths are relative to this file.
# stateDir: .habitat          # runtime state: SQLite files, run logs, the daemon's socket
# maxConcurrentRuns: 4
defaults:                     # merged under every agents/*.yaml
  timeout: 30m
  # isolation: { backend: docker, image: habitat-agent:latest, network: bridge, memory: 2g, cpus: 1 }
# sessions: { claude: [~/.claude], codex: [~/.codex], defaults: true }
`,
    ...schemaFiles(schemas),
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
# isolation: { user: agent }  # Claude Code refuses to run as root: a root coordinator names a user here
timeout: 30m
`;
}
