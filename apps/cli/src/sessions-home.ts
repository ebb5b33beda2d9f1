// `habitat sessions` reads the user's own Claude Code, Codex and Cursor logs, which exist without any coordinator
// (ccusage reads them from anywhere too). Outside a coordinator, and when none is asked for with -C or HABITAT_DIR,
// the index lives in the user's state dir rather than failing; no coordinator (nor its .habitat/) is invented.
import { homedir } from 'node:os';
import path from 'node:path';
import { findCoordinator, resolveCoordinator } from './coordinator.js';

/** Where `habitat sessions` keeps its index outside a coordinator: `$XDG_STATE_HOME/habitat`, else `~/.local/state/habitat`. */
export function userStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : undefined;
  return path.join(base ?? path.join(homedir(), '.local', 'state'), 'habitat');
}

/**
 * The coordinator a sessions command belongs to, or undefined when none is found walking up and none was asked
 * for: `-C <dir>` and `HABITAT_DIR` still must name a coordinator (a mistyped one is an error, not a fallback).
 */
export function sessionsRoot(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): string | undefined {
  if (flag === undefined && !env.HABITAT_DIR) return findCoordinator(cwd);
  return resolveCoordinator(flag, env, cwd);
}
