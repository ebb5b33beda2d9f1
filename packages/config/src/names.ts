// Which files make up a coordinator: shared by the full loader and the snapshot check (no YAML or zod here).
import { readdir } from 'node:fs/promises';
import path from 'node:path';

export const SETTINGS_FILE = 'habitat.yaml';
export const AGENT_FILE = /\.ya?ml$/;

/** The agent name a file defines: its base name without `.yaml`/`.yml`. */
export function agentNameOf(file: string): string {
  return path.basename(file).replace(AGENT_FILE, '');
}

/** The agent file names in `agentsDir`, sorted; none when the directory is missing. */
export async function listAgentFiles(agentsDir: string): Promise<string[]> {
  try {
    // Symlinked agent files count too: readConfigFile follows them and diagnoses what is not a file.
    return (await readdir(agentsDir, { withFileTypes: true }))
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && AGENT_FILE.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch {
    // No agents dir: an empty fleet, which `habitat validate` reports as such.
    return [];
  }
}

/**
 * What validating an agent looked at besides its file: paths that had to exist (repo, prompt, credential
 * files) and environment variables that had to be set. A snapshot of the result holds only while each
 * answer is the same.
 */
export type Probe =
  | { kind: 'exists' | 'dir'; path: string; value: boolean }
  | { kind: 'env'; name: string; value: boolean }
  /** the uid owning a path (-1: none), which decides a container's default user */
  | { kind: 'owner'; path: string; value: number };
