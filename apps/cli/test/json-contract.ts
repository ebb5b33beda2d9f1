// The `--json` contract as zod schemas: the source of docs/json/*.schema.json and the check that real output
// keeps to it (strict objects: no key added or left out). Test-only: the CLI itself never loads zod.
import { z } from 'zod';

const iso = z.iso.datetime({ offset: false }).describe('ISO-8601 time in UTC, e.g. 2026-12-01T09:01:16.000Z');
const nullable = <T extends z.ZodType>(t: T) => t.nullable();

export const run = z
  .strictObject({
    runId: z.string().describe('ULID, time-sortable'),
    agent: z.string(),
    trigger: z.string().describe('schedule | manual | wake | retry | missed | ...'),
    status: z
      .string()
      .describe(
        'queued | running | succeeded | failed | timed-out | cancelled | error-before-start | lost | skipped',
      ),
    backend: nullable(z.string()),
    queuedAt: nullable(iso),
    startedAt: nullable(iso),
    endedAt: nullable(iso),
    durationMs: nullable(z.number()),
    exitCode: nullable(z.number().int()).describe(
      "the agent's own exit code; null if a signal ended it or it never ran",
    ),
    signal: nullable(z.string()).describe('the signal that ended the agent, e.g. SIGTERM'),
    wakeAt: nullable(iso),
    wakeReason: nullable(z.string()),
    costUsd: nullable(z.number()),
    logPath: nullable(z.string()),
    containerId: nullable(z.string()),
    error: nullable(z.string()).describe('why habitat could not run it, or what failed around the agent'),
  })
  .meta({ id: 'run', title: 'A run (history, run --json, up --once --json)' });

export const diagnostic = z.strictObject({
  code: z.string(),
  severity: z.enum(['error', 'warning']),
  file: z.string().describe('absolute path'),
  line: z.number().int().describe('1-based; 0 for the file as a whole'),
  column: z.number().int(),
  path: z.string().describe('key path, e.g. schedule.cron'),
  message: z.string(),
  hint: nullable(z.string()),
});

export const validate = z
  .strictObject({ valid: z.boolean(), agents: z.array(z.string()), diagnostics: z.array(diagnostic) })
  .meta({ id: 'validate', title: 'habitat validate --json' });

export const list = z
  .array(
    z.strictObject({
      name: z.string(),
      file: z.string(),
      schedule: z.string().describe('in words'),
      next: nullable(iso),
      nextSource: nullable(z.enum(['plan', 'schedule'])).describe("plan: the daemon's; schedule: computed"),
      backend: z.string(),
      run: z.string(),
      credentials: z.array(z.string()).describe('names only, never values'),
    }),
  )
  .meta({ id: 'list', title: 'habitat list --json' });

export const status = z
  .strictObject({
    daemon: z.strictObject({ live: z.boolean(), pid: nullable(z.number().int()), startedAt: nullable(iso) }),
    root: z.string(),
    stateDir: z.string(),
    agents: z.array(
      z.strictObject({
        agent: z.string(),
        state: z.enum(['idle', 'running', 'queued', 'sleeping', 'paused', 'failed']),
        schedule: z.string(),
        backend: z.string(),
        nextAt: nullable(iso),
        nextReason: nullable(z.string()),
        sleepReason: nullable(z.string()),
        running: nullable(
          z.strictObject({ runId: z.string(), startedAt: nullable(iso), trigger: z.string() }),
        ),
        lastRun: nullable(
          z.strictObject({
            runId: z.string(),
            status: z.string(),
            exitCode: nullable(z.number().int()),
            durationMs: nullable(z.number()),
            endedAt: nullable(iso),
          }),
        ),
        costToday: z.number(),
      }),
    ),
    running: z.number().int(),
    queued: z.number().int(),
    skippedLastHour: z
      .number()
      .int()
      .describe(
        "slots skipped in the last hour because the agent's previous run was still queued or running (more was due than maxConcurrentRuns could run)",
      ),
    diagnostics: z.array(diagnostic),
    credentialPauses: z.array(
      z.strictObject({ credential: z.string(), until: iso, reason: nullable(z.string()) }),
    ),
  })
  .meta({ id: 'status', title: 'habitat status --json' });

export const next = z
  .array(z.strictObject({ agent: z.string(), nextAt: iso, reason: nullable(z.string()), state: z.string() }))
  .meta({ id: 'next', title: 'habitat next --json' });

export const stats = z
  .array(
    z.strictObject({
      agent: z.string(),
      runs: z.number().int(),
      succeeded: z.number().int(),
      successRate: z.number(),
      p50DurationMs: nullable(z.number()),
      p95DurationMs: nullable(z.number()),
      rateLimitHits: z.number().int(),
      sleptMs: z.number(),
      costUsd: z.number(),
      failures: z.record(z.string(), z.number()),
    }),
  )
  .meta({ id: 'stats', title: 'habitat stats --json' });

export const history = z.array(run).meta({ id: 'history', title: 'habitat history --json' });

export const ack = z
  .strictObject({ ok: z.literal(true) })
  .meta({ id: 'ack', title: 'habitat pause|resume <agent> --json, habitat cancel <run> --json' });

// --- accounts and doctor

const tokens = z.strictObject({
  input: z.number(),
  output: z.number(),
  cacheRead: z.number(),
  cacheCreation: z.number(),
});
const usage = z.strictObject({
  runs: z.number().int(),
  costUsd: z.number(),
  tokens,
  since: iso.describe('start of the window the usage is summed over'),
});

export const accounts = z
  .array(
    z.strictObject({
      key: z.string().describe('stable identity: env:<VAR>, file:<path> or config:<dir> (never the value)'),
      label: z.string().describe('what people call it (never the value)'),
      kind: z.enum(['api-key', 'oauth', 'login']),
      agents: z.array(z.string()),
      windows: z.array(
        z.strictObject({
          window: z.string().describe('five_hour | seven_day | ...'),
          status: nullable(z.string()).describe('allowed | allowed_warning | rejected'),
          utilization: nullable(z.number()).describe('0..1'),
          resetsAt: nullable(iso),
          overageStatus: nullable(z.string()),
          updatedAt: iso,
        }),
      ),
      usage: z.strictObject({ fiveHour: usage, sevenDays: usage }),
      pausedUntil: nullable(iso).describe("the account's agents are held until then"),
      deferrals: z.array(z.strictObject({ agent: z.string(), at: iso, until: iso, reason: z.string() })),
    }),
  )
  .meta({ id: 'accounts', title: 'habitat accounts --json' });

export const doctor = z
  .array(
    z.strictObject({
      check: z
        .string()
        .describe('node | coordinator | docker | swarm | image | claude | state-dir | socket | ...'),
      status: z.enum(['ok', 'warn', 'fail', 'skip']),
      detail: z.string(),
      fix: nullable(z.string()).describe('what to do about it; null when there is nothing to do'),
    }),
  )
  .meta({ id: 'doctor', title: 'habitat doctor --json (exit 1 if any check fails)' });

// --- sessions

const source = z.enum(['claude', 'codex', 'cursor', 'habitat']);
const role = z.enum(['user', 'assistant', 'tool', 'system', 'meta']);
const kind = z.enum([
  'prompt',
  'text',
  'thinking',
  'tool_use',
  'tool_result',
  'summary',
  'compact',
  'system',
  'attachment',
  'queue',
  'last-prompt',
  'snapshot',
  'progress',
  'result',
  'meta',
]);

const session = z
  .strictObject({
    id: z.string(),
    source,
    path: z.string().describe('the file (or state.vscdb#composerId) it was read from'),
    project: nullable(z.string()),
    cwd: nullable(z.string()),
    branch: nullable(z.string()),
    title: nullable(z.string()),
    firstAt: nullable(iso),
    lastAt: nullable(iso),
    models: z.array(z.string()),
    tokens,
    costUsd: nullable(z.number()).describe('null when it cannot be derived'),
    agent: nullable(z.string()).describe('the habitat agent that ran it'),
    runId: nullable(z.string()),
    parentId: nullable(z.string()).describe('for a subagent transcript: the session that started it'),
    parentToolUseId: nullable(z.string()),
    agentId: nullable(z.string()),
    events: z.number().int(),
    toolCalls: z.number().int(),
    toolErrors: z.number().int(),
    malformed: z.number().int(),
    unknown: z.number().int(),
  })
  .meta({ title: 'A session' });

export const sessionsList = z
  .array(session)
  .meta({ id: 'sessions-list', title: 'habitat sessions list --json' });

export const sessionsSearch = z
  .strictObject({
    mode: z.enum(['all', 'any', 'none']).describe('all: every word matched; any: the fallback, any word'),
    terms: z.array(z.string()),
    hits: z.array(
      z.strictObject({
        sessionId: z.string(),
        eventId: z.number().int(),
        seq: z.number().int(),
        time: nullable(iso),
        role,
        kind,
        toolName: nullable(z.string()),
        snippet: z.string().describe('matched words between « and »'),
        score: z.number().describe('bm25: lower is better'),
        title: nullable(z.string()),
        project: nullable(z.string()),
        source,
      }),
    ),
  })
  .meta({ id: 'sessions-search', title: 'habitat sessions search --json' });

export const sessionsStats = z
  .array(
    z.strictObject({
      key: z.string().describe('the group: a day (YYYY-MM-DD), project, model, agent or source'),
      sessions: z.number().int(),
      inputTokens: z.number(),
      outputTokens: z.number(),
      cacheReadTokens: z.number(),
      cacheCreationTokens: z.number(),
      totalTokens: z.number(),
      costUsd: z.number(),
      toolCalls: z.number().int(),
      toolErrors: z.number().int(),
    }),
  )
  .meta({ id: 'sessions-stats', title: 'habitat sessions stats --json' });

export const sessionsIndex = z
  .strictObject({
    files: z.number().int(),
    added: z.number().int(),
    appended: z.number().int(),
    reindexed: z.number().int(),
    unchanged: z.number().int(),
    pruned: z.number().int(),
    events: z.number().int(),
    malformed: z.number().int(),
    unknown: z.number().int(),
    unknownTypes: z
      .array(z.strictObject({ path: z.string(), line: z.number().int(), type: z.string() }))
      .describe(
        'the first record of unknown type of each file (at most 10): its type ("?" without one) and line',
      ),
    errors: z.array(z.strictObject({ path: z.string(), message: z.string() })),
    durationMs: z.number(),
  })
  .meta({ id: 'sessions-index', title: 'habitat sessions index --json (one line per pass with --watch)' });

export const sessionsShow = z
  .strictObject({
    session,
    files: z.array(z.strictObject({ path: z.string(), ops: z.array(z.enum(['read', 'write', 'edit'])) })),
    commands: z.array(
      z.strictObject({ command: z.string(), eventId: z.number().int(), seq: z.number().int() }),
    ),
    tools: z.array(z.strictObject({ name: z.string(), calls: z.number().int(), errors: z.number().int() })),
    subagents: z.array(session),
    events: z.array(
      z.strictObject({
        id: z.number().int(),
        sessionId: z.string(),
        seq: z.number().int(),
        time: nullable(iso),
        role,
        kind,
        text: nullable(z.string()).describe('redacted'),
        thinking: nullable(z.string()),
        toolName: nullable(z.string()),
        toolUseId: nullable(z.string()),
        input: z.unknown().describe('a tool call input (tool_use events), else null'),
        isError: z.boolean(),
        model: nullable(z.string()),
        uuid: nullable(z.string()),
        parentUuid: nullable(z.string()),
        sidechain: z.boolean().describe("a subagent's step"),
        files: z.array(z.strictObject({ path: z.string(), op: z.enum(['read', 'write', 'edit']) })),
        commands: z.array(z.string()),
      }),
    ),
  })
  .meta({
    id: 'sessions-show',
    title: 'habitat sessions show --json, habitat sessions export --format json',
  });

// --- knowledge

const learning = z
  .strictObject({
    id: z.string().describe('k- and 8 base32 characters'),
    title: z.string(),
    body: z.string(),
    tags: z.array(z.string()),
    scope: z.strictObject({
      kind: z.enum(['org', 'project', 'agent']),
      name: nullable(z.string()).describe('null for org'),
    }),
    status: z.enum(['active', 'pending', 'superseded', 'retracted']),
    confidence: z.number().describe('0..1'),
    provenance: z.array(
      z.strictObject({
        source: z.enum(['explicit', 'person', 'extracted', 'heuristic', 'mcp']),
        action: nullable(z.enum(['retracted', 'accepted', 'superseded'])).describe(
          'null: where it came from',
        ),
        reason: nullable(z.string()).describe("why (a retraction's reason)"),
        time: iso,
        sessionId: nullable(z.string()),
        eventIds: z.array(z.number().int()),
        agent: nullable(z.string()),
        runId: nullable(z.string()),
        redactions: z.number().int().describe('secrets redacted from what was written'),
      }),
    ),
    supersedes: z.array(z.string()),
    conflictsWith: z.array(z.string()),
    created: iso,
    updated: iso,
    validUntil: nullable(z.string()).describe('ISO date after which it no longer holds, as written'),
    file: nullable(z.string()).describe('absolute path of its markdown file'),
  })
  .meta({ title: 'A learning' });

const stale = nullable(
  z.strictObject({
    reason: z
      .enum(['newer', 'expired', 'older'])
      .describe(
        'newer: contradicted by a newer learning; expired: past validUntil; older (briefs only): a newer learning of its scope is about the same subject',
      ),
    by: nullable(z.string()),
    since: z.string(),
  }),
);

const hit = z.strictObject({
  learning,
  score: z.number().describe('ranking score, higher is better; only the order is meaningful'),
  evidence: z.number().describe('0..1: how much of the query the learning covers, comparable across queries'),
  matched: nullable(z.number().int()).describe("how many of the query's key terms the learning contains"),
  titleEvidence: nullable(z.number()).describe(
    "0..1: how much of the query the learning's title alone covers",
  ),
  unknownShare: nullable(z.number()).describe(
    "0..1: the share of the query's information in words no learning contains (the same for every hit)",
  ),
  snippet: z.string(),
  stale,
  scopeMatch: z.enum(['agent', 'project', 'org', 'other']),
});

const addOutcome = z.strictObject({
  outcome: z.enum(['added', 'merged', 'conflict']),
  learning,
  existing: nullable(learning).describe('merged/conflict: the existing learning'),
  conflicts: z.array(z.strictObject({ learning, reason: z.string() })),
  redactions: z.number().int(),
});

export const knowledgeAdd = addOutcome.meta({ id: 'knowledge-add', title: 'habitat knowledge add --json' });
export const knowledgeSearch = z
  .array(hit)
  .meta({ id: 'knowledge-search', title: 'habitat knowledge search --json (best first)' });
export const knowledgeList = z
  .array(learning.extend({ stale: stale.describe('an active learning served as stale, and why') }))
  .meta({ id: 'knowledge-list', title: 'habitat knowledge list --json' });
export const knowledgeShow = learning.meta({ id: 'knowledge-show', title: 'habitat knowledge show --json' });
export const knowledgeContext = z
  .strictObject({
    markdown: z.string().describe('the brief; empty when nothing relevant is known'),
    tokens: z.number().int(),
    hits: z.array(hit),
    served: z.array(z.strictObject({ id: z.string(), tokens: z.number().int() })),
  })
  .meta({ id: 'knowledge-context', title: 'habitat knowledge context --json' });

const use = z.strictObject({
  id: z.string(),
  title: z.string(),
  status: z.string(),
  served: z.number().int().describe('briefs it was in'),
  tokens: z.number().int(),
  lastServed: nullable(iso),
});
export const knowledgeStats = z
  .strictObject({
    briefs: z.number().int(),
    emptyBriefs: z.number().int(),
    tokens: z.number().int(),
    served: z.array(use),
    neverServed: z.array(use),
    run: nullable(
      z.array(
        z.strictObject({
          runId: z.string(),
          time: iso,
          tokens: z.number().int(),
          learnings: z.array(z.strictObject({ id: z.string(), tokens: z.number().int() })),
        }),
      ),
    ).describe("with --run: that run's briefs; else null"),
  })
  .meta({ id: 'knowledge-stats', title: 'habitat knowledge stats --json' });

export const knowledgeExtract = z
  .array(
    z.strictObject({
      sessionId: z.string(),
      candidates: z.number().int(),
      outcomes: z.array(addOutcome),
      rejected: z.array(z.strictObject({ title: z.string(), failed: z.array(z.string()) })),
      modelError: nullable(z.string()).describe('the model step failed; offline results were kept'),
      overheadMs: z.number(),
    }),
  )
  .meta({ id: 'knowledge-extract', title: 'habitat knowledge extract --json' });

export const knowledgeIndex = z
  .strictObject({
    files: z.number().int(),
    added: z.number().int(),
    updated: z.number().int(),
    removed: z.number().int(),
    errors: z.array(z.string()),
    mode: z.enum(['skipped', 'swept']),
  })
  .meta({ id: 'knowledge-index', title: 'habitat knowledge index --json' });

/** Each output and its schema file in docs/json/. */
export const CONTRACT = {
  run,
  history,
  validate,
  list,
  status,
  next,
  stats,
  ack,
  accounts,
  doctor,
  'sessions-list': sessionsList,
  'sessions-search': sessionsSearch,
  'sessions-stats': sessionsStats,
  'sessions-index': sessionsIndex,
  'sessions-show': sessionsShow,
  'knowledge-add': knowledgeAdd,
  'knowledge-search': knowledgeSearch,
  'knowledge-list': knowledgeList,
  'knowledge-show': knowledgeShow,
  'knowledge-context': knowledgeContext,
  'knowledge-stats': knowledgeStats,
  'knowledge-extract': knowledgeExtract,
  'knowledge-index': knowledgeIndex,
} as const;

export function jsonSchemaOf(name: keyof typeof CONTRACT): unknown {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://raw.githubusercontent.com/habitat-dev/habitat/main/docs/json/${name}.schema.json`,
    ...(z.toJSONSchema(CONTRACT[name], { target: 'draft-2020-12' }) as Record<string, unknown>),
  };
}
