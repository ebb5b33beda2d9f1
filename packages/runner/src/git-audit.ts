// The git audit trail: after a run, commit what the run changed in the agent's repo, naming agent, run
// and status — and nothing else. Before the run the working tree's uncommitted files are fingerprinted
// (`snapshotRepo`); afterwards only paths that are new or different from that snapshot are committed, through
// a temporary index, so the user's unrelated uncommitted (and staged) work stays exactly as it was.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Paths never committed, whatever an agent leaves in its repo. */
const NEVER = [/(^|\/)[^/]*\.env$/, /(^|\/)\.env[^/]*$/, /(^|\/)secrets\//, /(^|\/)credentials\//];

/** Uncommitted paths of a repo before a run -> a fingerprint of their content (`-` when deleted). */
export type RepoSnapshot = Map<string, string>;

type Git = (args: string[], env?: Record<string, string>) => Promise<string>;

function gitIn(repo: string): Git {
  return async (args, env) =>
    (
      await run('git', ['-C', repo, ...args], {
        maxBuffer: 64 * 1024 * 1024,
        ...(env ? { env: { ...process.env, ...env } } : {}),
      })
    ).stdout;
}

/** Paths `git status` reports as changed or untracked (renames as their two paths). */
async function dirtyPaths(git: Git): Promise<string[]> {
  const out = await git(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames']);
  return out
    .split('\0')
    .filter(Boolean)
    .map((entry) => entry.slice(3));
}

async function fingerprints(git: Git, paths: string[]): Promise<RepoSnapshot> {
  const map: RepoSnapshot = new Map();
  if (paths.length === 0) return map;
  const { existsSync } = await import('node:fs');
  const root = (await git(['rev-parse', '--show-toplevel'])).trim();
  const present = paths.filter((p) => existsSync(path.join(root, p)));
  const hashes = present.length
    ? (await git(['hash-object', '--no-filters', '--', ...present])).trim().split('\n')
    : [];
  present.forEach((p, i) => {
    map.set(p, hashes[i] ?? '?');
  });
  for (const p of paths) if (!map.has(p)) map.set(p, '-');
  return map;
}

/** Fingerprint the repo's uncommitted files before a run (undefined when it is not a git repo). */
export async function snapshotRepo(repo: string): Promise<RepoSnapshot | undefined> {
  const git = gitIn(repo);
  try {
    await git(['rev-parse', '--git-dir']);
  } catch {
    return undefined;
  }
  return fingerprints(git, await dirtyPaths(git));
}

/**
 * Commit what the run changed since `before` (every uncommitted change when there is no snapshot); returns
 * the commit id, or undefined when the run changed nothing. `touched` lists paths the user had uncommitted
 * changes in that the run changed too: those are committed whole.
 */
export async function commitRunChanges(
  repo: string,
  info: { agent: string; runId: string; status: string },
  before: RepoSnapshot = new Map(),
): Promise<{ commit: string; touched: string[] } | undefined> {
  const git = gitIn(repo);
  await git(['rev-parse', '--git-dir']);
  const now = await fingerprints(git, await dirtyPaths(git));
  const changed = [...now].filter(([p, hash]) => before.get(p) !== hash).map(([p]) => p);
  // A path the user had changed that the run restored to its committed content is not dirty any more.
  for (const p of before.keys()) if (!now.has(p)) changed.push(p);
  const paths = changed.filter((p) => !NEVER.some((re) => re.test(p)));
  if (paths.length === 0) return undefined;

  const head = (await git(['rev-parse', '-q', '--verify', 'HEAD']).catch(() => '')).trim();
  // A private index: the user's staging area is not touched.
  const index = path.join(tmpdir(), `habitat-index-${process.pid}-${info.runId}`);
  const env = { GIT_INDEX_FILE: index };
  try {
    await git(head ? ['read-tree', head] : ['read-tree', '--empty'], env);
    await git(['add', '-A', '--', ...paths.map((p) => `:(literal)${p}`)], env);
    const tree = (await git(['write-tree'], env)).trim();
    if (head && tree === (await git(['rev-parse', `${head}^{tree}`])).trim()) return undefined;
    const message = `habitat: ${info.agent} run ${info.runId} ${info.status}\n\nAgent: ${info.agent}\nRun: ${info.runId}\nStatus: ${info.status}\n`;
    const identity = {
      GIT_AUTHOR_NAME: 'habitat',
      GIT_AUTHOR_EMAIL: 'habitat@localhost',
      GIT_COMMITTER_NAME: 'habitat',
      GIT_COMMITTER_EMAIL: 'habitat@localhost',
    };
    const commit = (
      await git(['commit-tree', tree, ...(head ? ['-p', head] : []), '-m', message], identity)
    ).trim();
    // Move the branch only if nobody else moved it meanwhile.
    await git(['update-ref', '-m', `habitat run ${info.runId}`, 'HEAD', commit, ...(head ? [head] : [])]);
    // The committed paths are now clean in the user's index too; every other entry stays as it was.
    await git(['reset', '-q', '--', ...paths.map((p) => `:(literal)${p}`)]).catch(() => '');
    return { commit, touched: paths.filter((p) => before.has(p)) };
  } finally {
    await rm(index, { force: true });
  }
}
