// Finding the coordinator the way git finds a repo: -C <dir> (then walk up from it), HABITAT_DIR (exactly
// that directory), or walk up from the working directory to the nearest habitat.yaml or agents/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { SETTINGS_FILE } from '@habitat/config';
import { UsageError } from './output.js';

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Does `dir` look like a coordinator root (a habitat.yaml or an agents/ directory)? */
export function isCoordinator(dir: string): boolean {
  return existsSync(path.join(dir, SETTINGS_FILE)) || isDir(path.join(dir, 'agents'));
}

/** The names of the agent files in `agentsDir` (valid or not), sorted; none when it is missing. */
export function agentFileNames(agentsDir: string): string[] {
  try {
    return readdirSync(agentsDir)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => f.replace(/\.ya?ml$/, ''))
      .sort();
  } catch {
    return [];
  }
}

/** Is there an agent file for `name` in `agentsDir` (valid or not)? */
export function hasAgentFile(agentsDir: string, name: string): boolean {
  return ['.yaml', '.yml'].some((ext) => existsSync(path.join(agentsDir, `${name}${ext}`)));
}

/** The nearest coordinator root at or above `start`, or undefined. */
export function findCoordinator(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    if (isCoordinator(dir)) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The coordinator root for a command, or a usage error (exit 2) saying there is none: commands never
 * invent one (and its .habitat/ state) in whatever directory they were started.
 */
export function resolveCoordinator(flag: string | undefined, env = process.env, cwd = process.cwd()): string {
  if (flag === undefined && env.HABITAT_DIR) {
    const dir = path.resolve(cwd, env.HABITAT_DIR);
    if (!isDir(dir))
      throw new UsageError(
        `HABITAT_DIR=${env.HABITAT_DIR}: no such directory (${dir}): fix the variable, or run \`habitat init ${dir}\``,
        'no-coordinator',
      );
    if (!isCoordinator(dir))
      throw new UsageError(
        `HABITAT_DIR=${env.HABITAT_DIR} is not a coordinator (no ${SETTINGS_FILE} or agents/ in ${dir}): fix the variable, or run \`habitat init ${dir}\``,
        'no-coordinator',
      );
    return dir;
  }
  const start = path.resolve(cwd, flag ?? '.');
  // a mistyped -C would otherwise read as "no coordinator in /x or above", hiding that /x is not there at all
  if (flag !== undefined && !isDir(start))
    throw new UsageError(
      `-C ${flag}: ${existsSync(start) ? 'not a directory' : 'no such directory'} (${start}). Give the coordinator's directory, or make one there with \`habitat init ${start}\`.`,
      'no-coordinator',
    );
  const found = findCoordinator(start);
  if (found) return found;
  throw new UsageError(
    `no coordinator here: no ${SETTINGS_FILE} or agents/ in ${start} or any directory above it. Run \`habitat init\` to make one, or point at one with -C <dir> or HABITAT_DIR.`,
    'no-coordinator',
  );
}
