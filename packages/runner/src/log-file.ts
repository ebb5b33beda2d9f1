import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunResult } from './types.js';

/** `20261124-091500`: the UTC stamp hand-written cron scripts put in log names. */
export function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export interface RunPaths {
  /** `<stateDir>/logs/<agent>/<stamp>-<runId>.log`: raw output */
  logPath: string;
  /** the result record beside it (`.json`) */
  recordPath: string;
  /** when each log line arrived (`.times`, Claude stream-json runs): see RunOutput's `timesFd` */
  timesPath: string;
  /** `<stateDir>/runs/<runId>`: the run's scratch dir (wake file, credential files) */
  runDir: string;
  wakeFile: string;
  /** `<runDir>/learn`: the run's lessons (`habitat learn`, learn-file.ts) */
  learnFile: string;
  /** `<stateDir>/claude/<agent>`: the agent's persisted Claude Code config dir */
  claudeHome: string;
}

export function runPaths(stateDir: string, agent: string, runId: string, startedAt: Date): RunPaths {
  const base = path.join(stateDir, 'logs', agent, `${stamp(startedAt)}-${runId}`);
  const runDir = path.join(stateDir, 'runs', runId);
  return {
    logPath: `${base}.log`,
    recordPath: `${base}.json`,
    timesPath: `${base}.times`,
    runDir,
    wakeFile: path.join(runDir, 'wake'),
    learnFile: path.join(runDir, 'learn'),
    claudeHome: path.join(stateDir, 'claude', agent),
  };
}

/** Write the result record atomically: a crash leaves the old file or the new one, never half of one. */
export async function writeResultRecord(file: string, result: RunResult): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(result, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

/**
 * Log retention (the agent's `logs` option): drop the oldest runs' logs and records beyond `maxRuns`, and
 * those older than `maxAgeMs`. Names sort by time (UTC stamp, then ULID). Returns how many runs were dropped.
 */
export async function pruneLogs(
  dir: string,
  retention: { maxAgeMs?: number; maxRuns?: number },
  now: Date,
): Promise<number> {
  if (retention.maxAgeMs === undefined && retention.maxRuns === undefined) return 0;
  const runs = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  const drop = new Set<string>();
  if (retention.maxRuns !== undefined)
    for (const f of runs.slice(0, Math.max(0, runs.length - retention.maxRuns))) drop.add(f);
  if (retention.maxAgeMs !== undefined) {
    const cutoff = stamp(new Date(now.getTime() - retention.maxAgeMs));
    for (const f of runs) if (f.slice(0, 15) < cutoff) drop.add(f);
  }
  for (const f of drop) {
    await rm(path.join(dir, f), { force: true });
    await rm(path.join(dir, f.replace(/\.log$/, '.json')), { force: true });
    await rm(path.join(dir, f.replace(/\.log$/, '.times')), { force: true });
  }
  return drop.size;
}
