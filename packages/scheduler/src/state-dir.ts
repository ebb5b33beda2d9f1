// The state dir holds run logs, credential files in flight, the socket and the databases: owner-only
// (0700 dirs, 0600 files) whatever the umask, and watched for the disk filling up. The state dir itself
// and `runs/`, `claude/` and `secrets/` are 0711: an agent running as another uid can pass through them to
// its own run dir, home and credential files (0700, its own) but cannot list or read anything else.
import { chmodSync, mkdirSync, readdirSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { SchedulerError } from './errors.js';

/** The daemon's control socket in the state dir. */
export const SOCKET_FILE = 'habitat.sock';

/** Below this much free space the daemon starts no run: it could not record it. */
export const MIN_FREE_BYTES = 2 * 1024 * 1024;
/** sun_path holds 108 bytes including the terminating NUL. */
export const MAX_SOCKET_PATH = 107;

const TRAVERSED = new Set(['runs', 'claude', 'secrets']);

/** Create (or tighten) the state dir and what is directly in it, and one level of subdirs. */
export function secureStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o711 });
  chmodSync(stateDir, 0o711);
  for (const entry of readdirSync(stateDir, { withFileTypes: true })) {
    const p = path.join(stateDir, entry.name);
    try {
      if (entry.isDirectory()) {
        chmodSync(p, TRAVERSED.has(entry.name) ? 0o711 : 0o700);
        for (const sub of readdirSync(p, { withFileTypes: true }))
          if (sub.isDirectory()) chmodSync(path.join(p, sub.name), 0o700);
      } else if (entry.isFile() || entry.isSocket()) chmodSync(p, 0o600);
    } catch {
      // raced with a removal
    }
  }
}

/** Is this the disk (or the database) being full? */
export function isStorageFull(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code ?? '';
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_IOERR_WRITE';
}

/** Free bytes on the file system of `dir` (for unprivileged users), or Infinity if unknown. */
export function freeBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Refuse a socket path the kernel cannot bind, with the fix. */
export function checkSocketPath(socketPath: string): void {
  const bytes = Buffer.byteLength(socketPath);
  if (bytes > MAX_SOCKET_PATH) {
    throw new SchedulerError(
      'socket-path',
      `the socket path ${socketPath} is ${bytes} bytes, over the ${MAX_SOCKET_PATH}-byte limit of Unix sockets: set a shorter stateDir in habitat.yaml (e.g. stateDir: /var/lib/habitat/<fleet>) or move the coordinator to a shorter path`,
    );
  }
}
