// Files an agent leaves in its own run dir for the coordinator (the wake file, the learn file). The agent owns
// that dir, so what is there may be anything: a symlink to a file only the coordinator may read, a FIFO that
// would block an open() forever (a libuv thread per read, and the process could not even exit), a huge file.
// Only a regular file that is itself in the run dir is read, and only its first `maxBytes`.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

export type RunDirFile =
  | { kind: 'missing' }
  | { kind: 'file'; text: string; size: number }
  | { kind: 'refused'; problem: string };

/** Read `file` if it is a regular file (not through a symlink, never blocking on a FIFO or a device). */
export async function readRunDirFile(file: string, maxBytes: number): Promise<RunDirFile> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    // O_NOFOLLOW: a symlink fails (ELOOP); O_NONBLOCK: a FIFO opens at once instead of waiting for a writer
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const st = await handle.stat();
    if (!st.isFile()) return { kind: 'refused', problem: 'not a regular file' };
    const buffer = Buffer.alloc(Math.min(st.size, maxBytes));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return { kind: 'file', text: buffer.subarray(0, bytesRead).toString('utf8'), size: st.size };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    return {
      kind: 'refused',
      problem: code === 'ELOOP' ? 'not a regular file (a symlink)' : `cannot read it (${code})`,
    };
  } finally {
    await handle?.close().catch(() => {});
  }
}
