// Built-in defaults: what an agent gets for every key its file and habitat.yaml leave out.
// The backend defaults to `local` so a fresh coordinator runs without a Docker engine or an image;
// a fleet that wants isolation says `isolation: { backend: docker }` once in habitat.yaml's defaults.

export const DEFAULTS = {
  claude: { outputFormat: 'stream-json', skipPermissions: true },
  // A wake request in the past (or `0`) waits at least a minute: an agent must not loop itself.
  wake: { mode: 'agent', minMs: 60_000, maxMs: 7 * 86_400_000 },
  // Containers get no network unless the agent file asks (`network: bridge`, `host` or a network name).
  isolation: { backend: 'local', image: 'habitat-agent:latest', network: 'none' },
  timeoutMs: 30 * 60_000,
  graceMs: 10_000,
  overlap: { mode: 'skip', max: 1 },
  retry: { max: 0, backoffMs: 60_000, maxBackoffMs: 30 * 60_000 },
  rateLimit: {
    backoffMs: 5 * 60_000,
    maxBackoffMs: 6 * 3_600_000,
    marginMs: 5 * 60_000,
    prompt:
      'Your previous run was interrupted by a usage limit, which has now reset. Continue the task where you left off.',
  },
  notify: { after: 3 },
  missed: { policy: 'skip', deadlineMs: 3_600_000 },
  knowledge: { context: false, budgetTokens: 1500, extract: false },
  maxConcurrentRuns: 4,
  stateDir: '.habitat',
  agentsDir: 'agents',
  knowledgeDir: 'knowledge',
} as const;
