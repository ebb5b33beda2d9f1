// From a validated file (plus habitat.yaml's defaults) to a fully resolved `AgentConfig`.
import { homedir } from 'node:os';
import path from 'node:path';
import { DEFAULTS } from './defaults.js';
import { parseDuration, parseSize } from './duration.js';
import { NOTIFY_EVENTS } from './notify-events.js';
import type { AgentDefaults, AgentFile } from './schema.js';
import type {
  AgentConfig,
  CoordinatorSettings,
  Credential,
  NotifyTarget,
  RunSpec,
  Schedule,
} from './types.js';

/** `defaults` under `file`: objects merge one level deep, credentials by name, everything else replaces. */
export function mergeDefaults(defaults: AgentDefaults | undefined, file: AgentFile): AgentFile {
  if (!defaults) return file;
  const merged: Record<string, unknown> = { ...defaults, ...file };
  for (const key of [
    'isolation',
    'retry',
    'rateLimit',
    'missed',
    'env',
    'knowledge',
    'logs',
    'git',
  ] as const) {
    const a = defaults[key];
    const b = file[key];
    if (a && b) merged[key] = { ...a, ...b };
  }
  if (defaults.credentials && file.credentials) {
    const own = new Set(file.credentials.map((c) => c.name));
    merged.credentials = [...defaults.credentials.filter((c) => !own.has(c.name)), ...file.credentials];
  }
  return merged as AgentFile;
}

/** Expand `~` and resolve against `base`. */
export function resolvePath(p: string, base: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(homedir(), p.slice(1));
  return path.resolve(base, p);
}

const ms = (v: string | number | undefined, fallback: number): number =>
  v === undefined ? fallback : parseDuration(v);

export function resolveAgent(
  name: string,
  file: string,
  raw: AgentFile,
  settings: CoordinatorSettings,
): AgentConfig {
  const dir = path.dirname(file);
  const repo: AgentConfig['repo'] =
    raw.repo === undefined
      ? { kind: 'path', path: settings.root }
      : typeof raw.repo === 'string'
        ? { kind: 'path', path: resolvePath(raw.repo, dir) }
        : {
            kind: 'git',
            url: raw.repo.git,
            ref: raw.repo.ref ?? 'main',
            path: path.join(settings.stateDir, 'repos', name),
          };
  const iso = raw.isolation ?? {};
  const overlap =
    typeof raw.overlap === 'string'
      ? { mode: raw.overlap, max: raw.overlap === 'allow' ? 2 : 1 }
      : raw.overlap;
  const wake = typeof raw.wake === 'string' ? { mode: raw.wake } : (raw.wake ?? {});
  return {
    name,
    file,
    ...(raw.description ? { description: raw.description } : {}),
    repo,
    run: resolveRun(raw.run),
    schedule: resolveSchedule(raw.schedule),
    wake: {
      mode: wake.mode ?? DEFAULTS.wake.mode,
      minMs: ms('min' in wake ? wake.min : undefined, DEFAULTS.wake.minMs),
      maxMs: ms('max' in wake ? wake.max : undefined, DEFAULTS.wake.maxMs),
    },
    credentials: (raw.credentials ?? []).map((c) => resolveCredential(c, dir)),
    isolation: {
      backend: iso.backend ?? DEFAULTS.isolation.backend,
      image: iso.image ?? DEFAULTS.isolation.image,
      network: iso.network ?? DEFAULTS.isolation.network,
      ...(iso.user !== undefined ? { user: iso.user } : {}),
      ...(iso.memory !== undefined ? { memoryBytes: parseSize(iso.memory) } : {}),
      ...(iso.cpus !== undefined ? { cpus: iso.cpus } : {}),
      ...(iso.pids !== undefined ? { pids: iso.pids } : {}),
      ...(iso.capAdd !== undefined ? { capAdd: iso.capAdd } : {}),
      ...(iso.placement !== undefined ? { placement: iso.placement } : {}),
    },
    timeoutMs: ms(raw.timeout, DEFAULTS.timeoutMs),
    graceMs: ms(raw.grace, DEFAULTS.graceMs),
    overlap: { mode: overlap?.mode ?? DEFAULTS.overlap.mode, max: overlap?.max ?? DEFAULTS.overlap.max },
    retry: {
      max: raw.retry?.max ?? DEFAULTS.retry.max,
      backoffMs: ms(raw.retry?.backoff, DEFAULTS.retry.backoffMs),
      maxBackoffMs: ms(raw.retry?.maxBackoff, DEFAULTS.retry.maxBackoffMs),
    },
    rateLimit: {
      backoffMs: ms(raw.rateLimit?.backoff, DEFAULTS.rateLimit.backoffMs),
      maxBackoffMs: ms(raw.rateLimit?.maxBackoff, DEFAULTS.rateLimit.maxBackoffMs),
      resume: raw.rateLimit?.resume ?? false,
      marginMs: ms(raw.rateLimit?.margin, DEFAULTS.rateLimit.marginMs),
      prompt: raw.rateLimit?.prompt ?? DEFAULTS.rateLimit.prompt,
      ...(raw.rateLimit?.pace !== undefined ? { pace: raw.rateLimit.pace } : {}),
    },
    missed: {
      policy: raw.missed?.policy ?? DEFAULTS.missed.policy,
      deadlineMs: ms(raw.missed?.deadline, DEFAULTS.missed.deadlineMs),
    },
    env: Object.fromEntries(Object.entries(raw.env ?? {}).map(([k, v]) => [k, String(v)])),
    knowledge: {
      context: raw.knowledge?.context ?? DEFAULTS.knowledge.context,
      budgetTokens: raw.knowledge?.budget ?? DEFAULTS.knowledge.budgetTokens,
      extract: raw.knowledge?.extract ?? DEFAULTS.knowledge.extract,
      ...(raw.knowledge?.project ? { project: raw.knowledge.project } : {}),
      tags: raw.knowledge?.tags ?? [],
    },
    logs: {
      ...(raw.logs?.retain !== undefined ? { maxAgeMs: parseDuration(raw.logs.retain) } : {}),
      ...(raw.logs?.maxRuns !== undefined ? { maxRuns: raw.logs.maxRuns } : {}),
    },
    gitCommit: raw.git?.commit ?? false,
    priority: raw.priority ?? 'normal',
    notify: [...(settings.notify ?? []), ...resolveNotify(raw.notify)],
  };
}

export function resolveNotify(raw: AgentFile['notify']): NotifyTarget[] {
  return (raw ?? []).map((t) => ({
    ...(t.webhook !== undefined
      ? { kind: 'webhook' as const, url: t.webhook }
      : { kind: 'command' as const, command: t.command ?? [] }),
    on: t.on ?? [...NOTIFY_EVENTS],
    after: t.after ?? DEFAULTS.notify.after,
  }));
}

function resolveRun(run: AgentFile['run']): RunSpec {
  if (run.claude !== undefined) {
    const c = typeof run.claude === 'string' ? { prompt: run.claude } : run.claude;
    return {
      kind: 'claude',
      prompt: c.prompt,
      ...('model' in c && c.model ? { model: c.model } : {}),
      args: ('args' in c && c.args) || [],
      outputFormat: ('outputFormat' in c && c.outputFormat) || DEFAULTS.claude.outputFormat,
      skipPermissions:
        ('skipPermissions' in c ? c.skipPermissions : undefined) ?? DEFAULTS.claude.skipPermissions,
    };
  }
  if (run.script !== undefined) {
    const s = typeof run.script === 'string' ? { path: run.script } : run.script;
    return { kind: 'script', script: s.path, args: ('args' in s && s.args) || [] };
  }
  return { kind: 'command', command: run.command ?? [] };
}

function resolveSchedule(schedule: AgentFile['schedule']): Schedule {
  if (schedule === undefined || schedule === 'manual' || schedule.manual) return { kind: 'manual' };
  const jitterMs = ms(schedule.jitter, 0);
  if (schedule.cron !== undefined) {
    return {
      kind: 'cron',
      cron: schedule.cron,
      ...(schedule.timezone ? { timezone: schedule.timezone } : {}),
      jitterMs,
    };
  }
  return { kind: 'every', everyMs: ms(schedule.every, 0), jitterMs };
}

/** A credential; a relative `from` is relative to `base`, the agent file's directory. */
function resolveCredential(c: NonNullable<AgentFile['credentials']>[number], base: string): Credential {
  const source: Credential['source'] =
    c.from !== undefined
      ? { kind: 'file', path: resolvePath(c.from, base) }
      : { kind: 'env', variable: c.env! };
  const envName =
    c.envName ?? (source.kind === 'env' ? source.variable : c.name.toUpperCase().replace(/[^A-Z0-9]+/g, '_'));
  return { name: c.name, source, as: c.as ?? 'env', envName };
}
