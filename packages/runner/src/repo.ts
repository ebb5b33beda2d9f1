// Habitats given as a git URL: cloned into the state dir on first use, brought to their ref before each run.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RepoSource } from '@habitat/config';
import { RunError } from './errors.js';

const git = promisify(execFile);

/**
 * Make sure a git habitat is checked out at its ref. Local changes an agent made (and the audit trail
 * committed) are kept: the ref is only fetched and checked out when the work tree is clean.
 */
export async function ensureRepo(repo: RepoSource): Promise<void> {
  if (repo.kind !== 'git') return;
  try {
    if (!existsSync(path.join(repo.path, '.git'))) {
      await mkdir(path.dirname(repo.path), { recursive: true });
      await git('git', ['clone', '--quiet', '--branch', repo.ref, repo.url, repo.path], { timeout: 300_000 });
      return;
    }
    const { stdout } = await git('git', ['-C', repo.path, 'status', '--porcelain']);
    if (stdout.trim()) return;
    await git('git', ['-C', repo.path, 'fetch', '--quiet', 'origin', repo.ref], { timeout: 300_000 });
    await git('git', ['-C', repo.path, 'checkout', '--quiet', 'FETCH_HEAD']);
  } catch (error) {
    const message = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new RunError(
      'repo-missing',
      `cannot check out ${repo.url} at ${repo.ref} into ${repo.path}: ${message.split('\n')[0]}`,
    );
  }
}
