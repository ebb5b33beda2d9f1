// What the daemon watches for hot reload: agents/*.yaml (chokidar on the agents dir, depth 0) and habitat.yaml.
// habitat.yaml is polled (a stat every SETTINGS_POLL_MS), not watched: a watch on one file that survives
// editors' atomic saves and the file's creation is a watch on its directory, the coordinator root, and every
// change there would wake the daemon — a log written into the root (`habitat up 2>> daemon.log`) means an
// event per line (measured: ~50-85 µs of the daemon's loop each, fs.watch or chokidar). The stat poll costs
// nothing between changes and sees a replaced file (new inode) as well as an edited one.
import { type Stats, unwatchFile, watchFile } from 'node:fs';
import path from 'node:path';
import { watch } from 'chokidar';

/** How often habitat.yaml is looked at; a settings change is picked up within this. */
export const SETTINGS_POLL_MS = 500;

export interface CoordinatorWatch {
  close(): Promise<void>;
}

/** Call `onChange` when an agent file or habitat.yaml changes; resolves once watching. */
export async function watchCoordinator(
  root: string,
  agentsDir: string,
  onChange: () => void,
): Promise<CoordinatorWatch> {
  const agents = watch(agentsDir, {
    depth: 0,
    ignoreInitial: true,
    awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 },
  });
  agents.on('all', (_event, file) => {
    if (/\.ya?ml$/.test(file)) onChange();
  });
  const settings = path.join(root, 'habitat.yaml');
  const changed = (curr: Stats, prev: Stats) => {
    if (curr.mtimeMs !== prev.mtimeMs || curr.ino !== prev.ino || curr.size !== prev.size) onChange();
  };
  watchFile(settings, { interval: SETTINGS_POLL_MS, persistent: false }, changed);
  await new Promise<void>((resolve) => agents.once('ready', () => resolve()));
  return {
    close: async () => {
      unwatchFile(settings, changed);
      await agents.close();
    },
  };
}
