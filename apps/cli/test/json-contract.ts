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

/** Each output and its schema file in docs/json/. */
export const CONTRACT = { run, history, validate, list, status, next, stats } as const;

export function jsonSchemaOf(name: keyof typeof CONTRACT): unknown {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://raw.githubusercontent.com/habitat-dev/habitat/main/docs/json/${name}.schema.json`,
    ...(z.toJSONSchema(CONTRACT[name], { target: 'draft-2020-12' }) as Record<string, unknown>),
  };
}
