// Reading files a person points us at (agent files, habitat.yaml, credential sources) without letting
// one wedge the process: only regular files (symlinks to them are followed), bounded in size and time.
// The file is opened O_NONBLOCK and checked with fstat on the same descriptor, so a FIFO or a device
// is refused without ever blocking on it, and cannot be swapped in between a check and the read.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { MAX_CONFIG_BYTES } from './limits.js';
import type { Diagnostic } from './types.js';

export class FileReadError extends Error {
  constructor(
    readonly code: 'ENOENT' | 'not-a-file' | 'too-large' | 'timeout' | string,
    message: string,
  ) {
    super(message);
  }
}

/** What a path is, in words, from its stat mode (for "is a FIFO, not a file"). */
function kindOf(mode: number): string {
  switch (mode & constants.S_IFMT) {
    case constants.S_IFDIR:
      return 'a directory';
    case constants.S_IFIFO:
      return 'a FIFO (named pipe)';
    case constants.S_IFCHR:
      return 'a character device';
    case constants.S_IFBLK:
      return 'a block device';
    case constants.S_IFSOCK:
      return 'a socket';
    default:
      return 'not a regular file';
  }
}

/** Read a regular file (following symlinks) as UTF-8. Throws `FileReadError` naming the file. */
export async function readRegularFile(
  file: string,
  options: { maxBytes: number; timeoutMs?: number },
): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new FileReadError(code, `cannot read ${file} (${code})`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new FileReadError('not-a-file', `${file} is ${kindOf(st.mode)}, not a file`);
    if (st.size > options.maxBytes) {
      throw new FileReadError(
        'too-large',
        `${file} is ${st.size} bytes, more than the ${options.maxBytes} allowed`,
      );
    }
    const signal = AbortSignal.timeout(options.timeoutMs ?? 5000);
    try {
      const text = await handle.readFile({ encoding: 'utf8', signal });
      if (Buffer.byteLength(text) > options.maxBytes)
        throw new FileReadError('too-large', `${file} grew past the ${options.maxBytes} bytes allowed`);
      return text;
    } catch (error) {
      if ((error as Error).name === 'AbortError')
        throw new FileReadError(
          'timeout',
          `reading ${file} took longer than ${options.timeoutMs ?? 5000} ms`,
        );
      throw error;
    }
  } finally {
    await handle.close().catch(() => {});
  }
}

/** A config file's text, or a file-level diagnostic, or (for an optional file) that it is missing. */
export async function readConfigFile(
  file: string,
  options: { optional?: boolean } = {},
): Promise<{ text: string } | { diagnostic: Diagnostic } | { missing: true }> {
  try {
    return { text: await readRegularFile(file, { maxBytes: MAX_CONFIG_BYTES }) };
  } catch (error) {
    const e = error as FileReadError;
    if (e.code === 'ENOENT' && options.optional) return { missing: true };
    const base = { severity: 'error' as const, file, line: 0, column: 0, path: '' };
    if (e.code === 'too-large') {
      return {
        diagnostic: {
          ...base,
          code: 'file-too-large',
          message: `the file is larger than ${MAX_CONFIG_BYTES / 1024} KiB; not read`,
          hint: 'an agent file is a few dozen lines: move data into the habitat repo',
        },
      };
    }
    return {
      diagnostic: {
        ...base,
        code: 'missing-file',
        message:
          e.code === 'ENOENT'
            ? 'the file cannot be read: it is a symlink to nothing'
            : `the file cannot be read: ${e.message}`,
        hint:
          e.code === 'ENOENT' || e.code === 'not-a-file'
            ? 'an agent file must be a regular file (or a symlink to one)'
            : 'check its permissions',
      },
    };
  }
}
