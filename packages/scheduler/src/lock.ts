// One daemon per state dir. The lock is an abstract Unix socket named after the state dir's real path:
// binding it is atomic and the kernel releases it when its owner dies, however it dies, so two daemons
// starting at the same instant cannot both get it, a kill -9 leaves nothing stale to clean up, and
// `rm -rf .habitat` under a running daemon does not free it (the name outlives the files). The pid
// file beside it is informational only (for messages and `habitat status`).
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SchedulerError } from './errors.js';

export const LOCK_FILE = 'daemon.lock';

/** The abstract socket name that stands for "a daemon holds `stateDir`". */
export function lockName(stateDir: string): string {
  let real = path.resolve(stateDir);
  try {
    real = realpathSync(real);
  } catch {
    // not there yet: the resolved path names it
  }
  return `\0habitat-daemon-${createHash('sha256').update(real).digest('hex').slice(0, 40)}`;
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z/.test(stat)) return false;
  } catch {
    // no /proc: trust kill(0)
  }
  return true;
}

/** The pid that last took the lock, if that process is alive (informational: the lock is the socket). */
export function lockOwner(stateDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(stateDir, LOCK_FILE), 'utf8').trim());
    return pidAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Does a live daemon hold `stateDir`'s lock? True even when that daemon is stopped (SIGSTOP) or too busy
 * to answer its socket: the kernel accepts on the lock socket for it.
 */
export function lockHeld(stateDir: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(lockName(stateDir));
    const done = (held: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(held);
    };
    const timer = setTimeout(() => done(true), timeoutMs); // a full backlog: someone holds it
    socket.once('connect', () => done(true));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'EAGAIN'));
  });
}

/** Take the lock or throw `SchedulerError('locked')` naming the owner. Resolves to the release function. */
export async function acquireLock(stateDir: string): Promise<() => void> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') {
        reject(error);
        return;
      }
      const owner = lockOwner(stateDir);
      reject(
        new SchedulerError(
          'locked',
          owner !== undefined
            ? `another habitat daemon (pid ${owner}) is already running on ${stateDir}: stop it first (kill ${owner}), or use its socket (habitat status)`
            : `another habitat daemon is already running on ${stateDir} (its lock is held; if its state dir was removed, stop that daemon first)`,
        ),
      );
    });
    server.listen({ path: lockName(stateDir), exclusive: true }, () => resolve());
  });
  server.unref();
  const file = path.join(stateDir, LOCK_FILE);
  try {
    const fd = openSync(file, 'w', 0o600);
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
  } catch {
    // informational only
  }
  return () => {
    server.close();
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      // already gone
    }
  };
}
