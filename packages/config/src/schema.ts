// The zod schema of the files people write: `agents/<name>.yaml` and `habitat.yaml`.
// It validates shapes and values; `resolve.ts` turns a valid file into an `AgentConfig`.
import { z } from 'zod';
import { parseDuration, parseSize } from './duration.js';
import { NOTIFY_EVENTS } from './notify-events.js';
import { cronProblem, isValidTimezone } from './schedule.js';
import type { DiagnosticCode } from './types.js';

/** Extra data a refinement attaches to an issue so the diagnostic gets the right code and hint. */
export interface IssueParams {
  diag: DiagnosticCode;
  hint?: string;
}

const params = (diag: DiagnosticCode, hint?: string): IssueParams => (hint ? { diag, hint } : { diag });

const duration = z
  .union([z.string(), z.number()], { error: 'expected a duration such as "30s", "46m" or "6h"' })
  .superRefine((value, ctx) => {
    try {
      parseDuration(value);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `"${value}" is not a duration`,
        params: params(
          'invalid-duration',
          'use a number and a unit (ms, s, m, h, d, w), e.g. "30s", "46m", "6h", "1h30m"',
        ),
      });
      void error;
    }
  })
  .describe('A duration: "500ms", "30s", "46m", "6h", "1d", "1h30m"');

/** Node timers hold at most 2^31-1 ms (~24.8 days); a longer one fires at once, so cap what becomes a timer. */
export const MAX_TIMER_DURATION_MS = 24 * 86_400_000;

const timerDuration = duration.superRefine((value, ctx) => {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch {
    return; // reported by duration
  }
  if (ms > MAX_TIMER_DURATION_MS) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is longer than the longest timeout habitat can keep (24d)`,
      params: params('invalid-duration', 'use at most 24d, e.g. "6h" or "1d"'),
    });
  }
});

const size = z
  .union([z.string(), z.number()], { error: 'expected a size such as "512m" or "2g"' })
  .superRefine((value, ctx) => {
    try {
      parseSize(value);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `"${value}" is not a size`,
        params: params('invalid-size', 'use a number and a unit (b, k, m, g), e.g. "512m" or "2g"'),
      });
    }
  })
  .describe('A size in bytes or with a binary unit: "512m", "2g"');

const stringList = z.array(z.string());

const claudeRun = z.union([
  z.string().describe('prompt file, relative to the habitat repo'),
  z.strictObject({
    prompt: z.string().describe('prompt file, relative to the habitat repo; sent to claude on stdin'),
    model: z.string().optional().describe('e.g. sonnet, opus, or a full model id'),
    args: stringList.optional().describe('extra flags for the claude command line'),
    outputFormat: z.enum(['stream-json', 'json', 'text']).optional(),
    skipPermissions: z.boolean().optional().describe('pass --dangerously-skip-permissions (default true)'),
  }),
]);

const runSchema = z
  .strictObject({
    claude: claudeRun.optional().describe('run Claude Code with a prompt file'),
    script: z
      .union([z.string(), z.strictObject({ path: z.string(), args: stringList.optional() })])
      .optional()
      .describe('run a script from the habitat repo'),
    command: z.array(z.string()).min(1).optional().describe('run a command (argv, no shell)'),
  })
  .superRefine((run, ctx) => {
    const given = (['claude', 'script', 'command'] as const).filter((k) => run[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          given.length === 0
            ? 'run needs exactly one of claude, script or command'
            : `run has ${given.join(' and ')}; it takes exactly one of claude, script or command`,
        params: params(
          given.length === 0 ? 'missing-key' : 'invalid-value',
          'e.g. run: { command: ["echo", "hello"] }',
        ),
      });
    }
  });

const scheduleObject = z
  .strictObject({
    cron: z.string().optional().describe('five-field cron expression, e.g. "0 * * * *"'),
    timezone: z.string().optional().describe('IANA time zone for cron, e.g. Europe/Berlin'),
    every: duration.optional().describe('run at a fixed interval, e.g. 6h'),
    jitter: duration.optional().describe('spread fire times by up to this much'),
    manual: z.boolean().optional().describe('never scheduled: runs only when triggered'),
  })
  .superRefine((s, ctx) => {
    const kinds = (['cron', 'every', 'manual'] as const).filter((k) => s[k] !== undefined && s[k] !== false);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          kinds.length === 0
            ? 'schedule needs one of cron, every or manual'
            : `schedule has ${kinds.join(' and ')}; it takes exactly one of cron, every or manual`,
        params: params(
          'invalid-value',
          'e.g. schedule: { cron: "0 * * * *" }, schedule: { every: 6h } or schedule: manual',
        ),
      });
    }
    if (s.cron !== undefined) {
      const problem = cronProblem(s.cron);
      if (problem) {
        ctx.addIssue({
          code: 'custom',
          path: ['cron'],
          message: `"${s.cron}" is not a valid cron expression: ${problem}`,
          params: params(
            'invalid-cron',
            'e.g. "*/15 * * * *" (every 15 minutes) or "0 9 * * 1-5" (weekdays at 09:00)',
          ),
        });
      }
    }
    if (s.timezone !== undefined && !isValidTimezone(s.timezone)) {
      ctx.addIssue({
        code: 'custom',
        path: ['timezone'],
        message: `"${s.timezone}" is not a known IANA time zone`,
        params: params('invalid-timezone', 'use a name like "Europe/Berlin", "America/New_York" or "UTC"'),
      });
    }
    if (s.timezone !== undefined && s.cron === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['timezone'],
        message: 'timezone only applies to a cron schedule',
        params: params('invalid-value', 'remove timezone, or use cron'),
      });
    }
  });

const scheduleSchema = z.union([z.literal('manual'), scheduleObject], {
  error: 'expected "manual" or an object with cron, every or manual',
});

const wakeSchema = z.union([
  z.enum(['agent', 'ignore']),
  z.strictObject({
    mode: z.enum(['agent', 'ignore']).optional(),
    min: duration.optional().describe('a request sooner than this is pushed out to it'),
    max: duration.optional().describe('a request later than this is pulled in to it'),
  }),
]);

const credentialSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'credential names are letters, digits, ".", "_" and "-"'),
    from: z
      .string()
      .optional()
      .describe(
        "a file on the host (~ expands; relative to this file's directory, or to habitat.yaml's in its defaults)",
      ),
    env: z.string().optional().describe("a variable in the coordinator's environment"),
    as: z
      .enum(['env', 'file'])
      .optional()
      .describe('env: environment variable(s); file: /run/secrets/<name>'),
    envName: z.string().optional().describe('the variable the agent sees (as: env)'),
  })
  .superRefine((c, ctx) => {
    if ((c.from === undefined) === (c.env === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: `credential "${c.name}" needs exactly one source: from (a file) or env (a variable)`,
        params: params('invalid-value', 'e.g. { name: github, from: ~/.config/habitat/github.env, as: env }'),
      });
    }
  });

const isolationSchema = z.strictObject({
  backend: z.enum(['docker', 'local', 'swarm']).optional(),
  image: z.string().optional().describe('Docker image (docker and swarm backends)'),
  user: z.string().optional().describe('uid:gid or a user name; claude agents must not run as root'),
  network: z.string().optional().describe('none, host, bridge or a network name'),
  memory: size.optional(),
  cpus: z.number().positive().optional(),
  pids: z.int().positive().optional().describe('process limit in the container (default 512)'),
  capAdd: z
    .array(z.string().regex(/^[A-Z_]+$/, 'a Linux capability name, e.g. NET_BIND_SERVICE'))
    .optional()
    .describe('capabilities given back (containers drop all by default), e.g. [NET_BIND_SERVICE]'),
  placement: stringList
    .optional()
    .describe('Swarm placement constraints, e.g. node.labels.habitat==agents (swarm backend)'),
});

const overlapSchema = z.union([
  z.enum(['skip', 'queue', 'allow']),
  z.strictObject({ mode: z.enum(['skip', 'queue', 'allow']), max: z.int().min(1).optional() }),
]);

const notifyEvent = z.enum(NOTIFY_EVENTS);

const notifyTarget = z
  .strictObject({
    webhook: z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
      .optional()
      .describe('POST a JSON body (Slack-compatible `text` included)'),
    command: z.array(z.string()).min(1).optional().describe('run a command (argv) with the JSON on stdin'),
    on: z.array(notifyEvent).min(1).optional().describe('events to send (default: all)'),
    after: z
      .int()
      .min(1)
      .optional()
      .describe('needs-attention after this many consecutive failures (default 3)'),
  })
  .superRefine((t, ctx) => {
    if ((t.webhook === undefined) === (t.command === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'a notification needs exactly one of webhook or command',
        params: params(
          'invalid-value',
          'e.g. { webhook: "https://hooks.slack.com/...", on: [failed] } or { command: ["notify-send"] }',
        ),
      });
    }
  });

const notifySchema = z.array(notifyTarget);

/** Every key an agent file may have (and habitat.yaml's `defaults:` may preset). */
const agentShape = {
  $schema: z.string().optional(),
  description: z.string().optional(),
  repo: z
    .union([
      z.string().describe('path of the habitat repo, relative to this file'),
      z.strictObject({ git: z.string(), ref: z.string().optional() }),
    ])
    .optional(),
  run: runSchema,
  schedule: scheduleSchema.optional(),
  wake: wakeSchema.optional(),
  credentials: z.array(credentialSchema).optional(),
  isolation: isolationSchema.optional(),
  timeout: timerDuration.optional(),
  grace: timerDuration.optional().describe('time between SIGTERM and SIGKILL'),
  overlap: overlapSchema.optional(),
  retry: z
    .strictObject({
      max: z.int().min(0).optional(),
      backoff: duration.optional(),
      maxBackoff: duration.optional(),
    })
    .optional(),
  rateLimit: z
    .strictObject({
      backoff: duration.optional(),
      maxBackoff: duration.optional(),
      resume: z.boolean().optional().describe('continue the same Claude conversation after the limit resets'),
      margin: duration.optional().describe('how long after the reset to resume (default 5m, plus jitter)'),
      prompt: z.string().min(1).optional().describe('the continuation prompt of a resumed run'),
      pace: z
        .number()
        .gt(0)
        .max(1)
        .optional()
        .describe('defer priority: low agents once their account reports this utilization (e.g. 0.9)'),
    })
    .optional(),
  priority: z.enum(['low', 'normal', 'high']).optional().describe('low: deferred first when pacing'),
  notify: notifySchema.optional().describe('notifications, added to those in habitat.yaml'),
  missed: z
    .strictObject({ policy: z.enum(['skip', 'once']).optional(), deadline: duration.optional() })
    .optional(),
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  knowledge: z
    .strictObject({
      context: z.boolean().optional(),
      budget: z.int().positive().optional().describe('token budget of the brief'),
      extract: z.boolean().optional(),
      project: z.string().optional(),
      tags: stringList.optional(),
    })
    .optional(),
  logs: z.strictObject({ retain: duration.optional(), maxRuns: z.int().positive().optional() }).optional(),
  git: z.strictObject({ commit: z.boolean().optional() }).optional(),
};

export const agentFileSchema = z.strictObject(agentShape).describe('A habitat agent (agents/<name>.yaml)');
export type AgentFile = z.infer<typeof agentFileSchema>;

const { run: _run, description: _description, $schema: _s, ...defaultsShape } = agentShape;
export const agentDefaultsSchema = z.strictObject(defaultsShape);
export type AgentDefaults = z.infer<typeof agentDefaultsSchema>;

export const settingsFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    stateDir: z.string().optional().describe('runtime state (default .habitat)'),
    agentsDir: z.string().optional().describe('agent files (default agents)'),
    knowledgeDir: z.string().optional().describe('shared learnings (default knowledge)'),
    maxConcurrentRuns: z.int().positive().optional(),
    sessions: z
      .strictObject({
        claude: stringList.optional(),
        cursor: stringList.optional(),
        codex: stringList.optional(),
        defaults: z.boolean().optional(),
      })
      .optional(),
    defaults: agentDefaultsSchema.optional().describe('merged under every agent file'),
    notify: notifySchema.optional().describe('notifications for every agent'),
    http: z
      .strictObject({
        listen: z
          .string()
          .regex(/^(\[[0-9a-f:]+\]|[^:\s]+):\d{1,5}$/i, 'expected host:port, e.g. 127.0.0.1:7070')
          .describe('serve the HTTP API on host:port'),
        public: z.boolean().optional().describe('allow a non-loopback address'),
      })
      .optional()
      .describe('the HTTP trigger and status API (habitat up --http)'),
    knowledge: z
      .strictObject({
        embeddings: z
          .strictObject({
            url: z
              .string()
              .regex(/^https?:\/\//, 'expected an http(s) URL, e.g. http://127.0.0.1:11434/v1')
              .describe('an OpenAI-compatible embeddings API (its /v1 base or the /v1/embeddings URL)'),
            model: z.string().min(1).describe('the embedding model name'),
            apiKeyEnv: z.string().optional().describe('environment variable holding the API key'),
            denseWeight: z
              .number()
              .min(0)
              .optional()
              .describe("the dense ranking's weight in the search's fusion, BM25's being 1 (default 0.05)"),
            minCosine: z
              .number()
              .min(-1)
              .max(1)
              .optional()
              .describe(
                'the cosine at which the dense top hit vouches for a lexical hit in the brief (default 0.6)',
              ),
          })
          .optional()
          .describe('fuse dense retrieval with BM25 (search falls back to BM25 when it is down)'),
      })
      .optional()
      .describe('the shared knowledge base'),
  })
  .describe('habitat coordinator settings (habitat.yaml)');
export type SettingsFile = z.infer<typeof settingsFileSchema>;

/** Every key at each level, for "did you mean" suggestions. */
export const knownAgentKeys = Object.keys(agentShape);
