// What a run left on disk when its coordinator died: the result record (it finished and the runner wrote
// it, but the daemon never recorded it), and the wake file (the agent asked for a time, then the daemon
// died before reading it), and the learn file (lessons it submitted). Reconciliation reads these instead of
// running the agent again.
import { closeSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { type AgentConfig, readCredentialValues } from '@habitat/config';
import {
  LEARN_FILE,
  leftoverOutput,
  type RunLearning,
  RunOutput,
  type RunResult,
  readLearnFile,
  readWakeRequest,
  Scrubber,
  takeLeftoverOutput,
} from '@habitat/runner';

/**
 * A file the runner wrote for `runId` beside its log (`logs/<agent>/<stamp>-<runId>.<ext>`), found by the run id:
 * the stamp is the runner's start time, which a row left by a killed daemon may not hold.
 */
function runFile(stateDir: string, agent: string, runId: string, ext: 'json' | 'log'): string | undefined {
  const dir = path.join(stateDir, 'logs', agent);
  try {
    const name = readdirSync(dir).find((f) => f.endsWith(`-${runId}.${ext}`));
    return name ? path.join(dir, name) : undefined;
  } catch {
    return undefined; // no logs for this agent yet
  }
}

/** The result record the runner wrote for `runId`, if there is one. */
export function readRecord(stateDir: string, agent: string, runId: string): RunResult | undefined {
  const file = runFile(stateDir, agent, runId, 'json');
  if (!file) return undefined;
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as RunResult;
    return record.runId === runId && record.status ? record : undefined;
  } catch {
    return undefined;
  }
}

export function runDirOf(stateDir: string, runId: string): string {
  return path.join(stateDir, 'runs', runId);
}

/** The wake request an agent wrote before its coordinator died (relative times count from when it wrote it). */
export async function leftoverWake(
  stateDir: string,
  agent: AgentConfig,
  runId: string,
): Promise<{ wakeAt?: string; wakeReason?: string; warning?: string }> {
  const file = path.join(runDirOf(stateDir, runId), 'wake');
  let written: Date;
  try {
    written = statSync(file).mtime;
  } catch {
    return {};
  }
  const wake = await readWakeRequest(file, written, agent.wake);
  return {
    ...(wake.wakeAt ? { wakeAt: wake.wakeAt.toISOString() } : {}),
    ...(wake.wakeAt ? { wakeReason: wake.reason ?? 'requested by the agent' } : {}),
    ...(wake.warning ? { warning: wake.warning } : {}),
  };
}

/** The lessons a run submitted (its learn file) before its coordinator died, scrubbed of its credentials. */
export async function leftoverLearnings(
  stateDir: string,
  agent: AgentConfig,
  runId: string,
): Promise<{ learnings?: RunLearning[]; warning?: string }> {
  const secrets = (await readCredentialValues(agent).catch(() => [])).flatMap((c) =>
    c.values.map((value) => ({ name: c.name, value })),
  );
  const scrubber = new Scrubber(secrets);
  const read = await readLearnFile(path.join(runDirOf(stateDir, runId), LEARN_FILE), (t) =>
    scrubber.scrubText(t),
  );
  return {
    ...(read.learnings.length > 0 ? { learnings: read.learnings } : {}),
    ...(read.warning ? { warning: read.warning } : {}),
  };
}

/**
 * The output of a local run that ended while no coordinator was up, which its wrapper drained into the run dir
 * (what went to the killed coordinator before is in the log already): added to the log, scrubbed, exactly once
 * (a daemon killed after this and before recording the run leaves a note the next one cuts the log back to:
 * drain-handoff.ts). Returns the streams it had (none: nothing was drained), so the record can say which
 * output after the kill was kept.
 */
export async function appendLeftoverOutput(
  stateDir: string,
  agent: AgentConfig,
  runId: string,
  logPath: string | null,
): Promise<('stdout' | 'stderr')[]> {
  const runDir = runDirOf(stateDir, runId);
  if (!logPath || leftoverOutput(runDir).length === 0) return [];
  const secrets = (await readCredentialValues(agent).catch(() => [])).flatMap((c) =>
    c.values.map((value) => ({ name: c.name, value })),
  );
  const fd = openSync(logPath, 'a', 0o600);
  try {
    const output = new RunOutput({ logFd: fd, secrets, streamJson: false });
    const sink = Object.assign((stream: 'stdout' | 'stderr', chunk: Buffer) => output.push(stream, chunk), {
      logFd: fd,
    });
    const kept = takeLeftoverOutput(runDir, sink);
    output.end();
    return kept;
  } finally {
    closeSync(fd);
  }
}

/**
 * The log of a run whose row has none: a daemon killed after it spawned the run and before the run's start was
 * recorded (with its log path) leaves the row without one, and the runner had opened the log already
 * (`logs/<agent>/<stamp>-<runId>.log`). Without this, what the run printed after the kill went nowhere.
 */
export function findRunLog(stateDir: string, agent: string, runId: string): string | undefined {
  return runFile(stateDir, agent, runId, 'log');
}

/** Remove run dirs (wake files, credential files) no open run needs: after a kill -9 nothing lingers. */
export function sweepRunDirs(stateDir: string, keep: ReadonlySet<string>): number {
  const dir = path.join(stateDir, 'runs');
  let removed = 0;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const id of entries) {
    if (keep.has(id)) continue;
    rmSync(path.join(dir, id), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

export function removeRunDir(stateDir: string, runId: string): void {
  rmSync(runDirOf(stateDir, runId), { recursive: true, force: true });
  // its credential files (runner: run-files.ts)
  rmSync(path.join(stateDir, 'secrets', runId), { recursive: true, force: true });
  rmSync(path.join(stateDir, 'secrets', `${runId}.owner`), { force: true });
}
