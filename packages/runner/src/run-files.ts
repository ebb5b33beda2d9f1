// A run's files on the host besides its log: the scratch dir (`runs/<id>`: the wake file) and its
// credential files (`secrets/<id>/<name>`, kept apart so that mounting the scratch dir into a container
// does not expose them a second time). Both go when the run ends; whatever a crash left is swept when
// a coordinator starts: a run's files stay only while its run is open or the process that made them lives.
import { readFileSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { activeSpawner } from './spawner.js';

/** `<stateDir>/secrets/<runId>`: mode 0700, owned by the run's user; its files 0400. */
export function secretsDirOf(stateDir: string, runId: string): string {
  return path.join(stateDir, 'secrets', runId);
}

const ownerFile = (stateDir: string, runId: string) => path.join(stateDir, 'secrets', `${runId}.owner`);

/** This process's start time (field 22 of /proc/<pid>/stat): a pid alone may be reused. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Note which process owns a run's files (so a sweep by another process leaves them while it lives). */
export async function claimRunFiles(stateDir: string, runId: string): Promise<void> {
  const dir = path.join(stateDir, 'secrets');
  // Traversable, not listable (0711), like runs/: a local agent running as its own uid (isolation.user)
  // reaches its own `<run>/` (0700, its uid) and nothing else; containers get their files by bind mount.
  await mkdir(dir, { recursive: true, mode: 0o711 });
  await chmod(dir, 0o711);
  await writeFile(ownerFile(stateDir, runId), `${process.pid} ${startTimeOf(process.pid) ?? ''}\n`, {
    mode: 0o600,
  });
}

/** Remove a run's credential files (as soon as the run has ended). */
export async function removeRunSecrets(stateDir: string, runId: string): Promise<void> {
  await rm(secretsDirOf(stateDir, runId), { recursive: true, force: true });
}

/**
 * Remove everything of a run but its log and record. The run dir (the agent's to fill) goes through the
 * spawner process when one is in use (spawner.ts): Node's async recursive rm walks the tree in JS, on this loop.
 */
export async function removeRunFiles(stateDir: string, runId: string): Promise<void> {
  await removeRunSecrets(stateDir, runId);
  const runDir = path.join(stateDir, 'runs', runId);
  if (!(await activeSpawner()?.remove([runDir]))) await rm(runDir, { recursive: true, force: true });
  await rm(ownerFile(stateDir, runId), { force: true });
}

async function ownerAlive(stateDir: string, runId: string): Promise<boolean> {
  const text = await readFile(ownerFile(stateDir, runId), 'utf8').catch(() => '');
  const [pid, started] = text.trim().split(' ');
  if (!pid || Number(pid) === 0) return false;
  const now = startTimeOf(Number(pid));
  return now !== undefined && (!started || now === started);
}

/**
 * Remove the files of every run that is neither in `keep` (open runs) nor owned by a live process.
 * Returns a line per run swept, for the log.
 */
export async function sweepRunFiles(stateDir: string, keep: ReadonlySet<string>): Promise<string[]> {
  const ids = new Set<string>();
  for (const sub of ['runs', 'secrets']) {
    for (const name of await readdir(path.join(stateDir, sub)).catch(() => [] as string[]))
      ids.add(name.replace(/\.owner$/, ''));
  }
  const swept: string[] = [];
  for (const id of ids) {
    if (keep.has(id) || (await ownerAlive(stateDir, id))) continue;
    await removeRunFiles(stateDir, id);
    swept.push(`removed the leftover files (scratch dir, credential files) of run ${id}`);
  }
  return swept;
}
