// One daemon per state dir. The lock is a file created with O_EXCL holding the owner's pid: a second
// daemon sees a live owner and refuses; after a kill -9 the pid is dead and the next daemon takes over.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { SchedulerError } from './errors.js';

export const LOCK_FILE = 'daemon.lock';

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // A zombie or a recycled pid that is not a node process does not hold the lock.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z/.test(stat)) return false;
  } catch {
    // no /proc: trust kill(0)
  }
  return true;
}

/** The pid holding the lock, if a live process does. */
export function lockOwner(stateDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(stateDir, LOCK_FILE), 'utf8').trim());
    return pidAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Take the lock or throw `SchedulerError('locked')` naming the owner. Returns the release function. */
export function acquireLock(stateDir: string): () => void {
  const file = path.join(stateDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = lockOwner(stateDir);
      if (owner !== undefined && owner !== process.pid) {
        throw new SchedulerError(
          'locked',
          `another habitat daemon (pid ${owner}) is already running on ${stateDir}: stop it first (kill ${owner}), or use its socket (habitat status)`,
        );
      }
      try {
        unlinkSync(file); // stale: its owner died without releasing it
      } catch {
        // raced with another starter; try again
      }
    }
  }
  throw new SchedulerError('locked', `could not take the daemon lock ${file}`);
}
