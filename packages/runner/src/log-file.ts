import { mkdir, rename, writeFile } from 'node:fs/promises';
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
  /** `<stateDir>/runs/<runId>`: the run's scratch dir (wake file, credential files) */
  runDir: string;
  wakeFile: string;
  /** `<stateDir>/claude/<agent>`: the agent's persisted Claude Code config dir */
  claudeHome: string;
}

export function runPaths(stateDir: string, agent: string, runId: string, startedAt: Date): RunPaths {
  const base = path.join(stateDir, 'logs', agent, `${stamp(startedAt)}-${runId}`);
  const runDir = path.join(stateDir, 'runs', runId);
  return {
    logPath: `${base}.log`,
    recordPath: `${base}.json`,
    runDir,
    wakeFile: path.join(runDir, 'wake'),
    claudeHome: path.join(stateDir, 'claude', agent),
  };
}

/** Write the result record atomically: a crash leaves the old file or the new one, never half of one. */
export async function writeResultRecord(file: string, result: RunResult): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(result, null, 2)}\n`);
  await rename(tmp, file);
}
