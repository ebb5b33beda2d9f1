// With the daemon down, its state read directly (read-only). Apart from client.ts so that a read-only command
// does not load node:net, the lock module and node:crypto when there is no daemon socket to talk to.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadCoordinator } from '@habitat/config';
import { SchedulerError } from './errors.js';
import { type AgentStats, buildStatus, computeStats, type StatusReport } from './status.js';
import { DB_FILE, openStore, type RunRow, type Store, stateError } from './store.js';

/** Read-only access to the scheduler state when the daemon is down. */
export interface StateReader {
  store: Store;
  status(): Promise<StatusReport>;
  history(agent?: string, limit?: number): RunRow[];
  stats(agent?: string): AgentStats[];
  close(): void;
}

export function openStateReadOnly(
  root: string,
  stateDir: string,
  options: { emptyIfMissing?: boolean } = {},
): StateReader {
  const missing = !existsSync(path.join(stateDir, DB_FILE));
  if (missing && !options.emptyIfMissing) {
    throw new SchedulerError(
      'not-initialised',
      `no scheduler state in ${stateDir} yet: start the daemon (habitat up) once first`,
    );
  }
  // emptyIfMissing: nothing has run yet is an answer (every agent idle, no runs), read from an empty store made
  // aside so that a read-only command does not create the coordinator's state dir.
  const empty = missing ? mkdtempSync(path.join(tmpdir(), 'habitat-empty-state-')) : undefined;
  const store = empty ? openStore(empty) : openStore(stateDir, { readonly: true });
  // damage met by a query (the open reads only the header and the schema) named as the open names it
  const named = <T>(read: () => T): T => {
    try {
      return read();
    } catch (error) {
      throw stateError(path.join(stateDir, DB_FILE), error);
    }
  };
  return {
    store,
    async status() {
      const coordinator = await loadCoordinator(root);
      return named(() =>
        buildStatus({
          store,
          agents: coordinator.agents,
          diagnostics: coordinator.diagnostics,
          root: coordinator.settings.root,
          stateDir,
          daemon: { live: false },
          now: Date.now(),
        }),
      );
    },
    history: (agent, limit = 50) => named(() => store.history(agent, limit)),
    stats: (agent) => named(() => computeStats(store, agent ? { agent } : {})),
    close: () => {
      store.close();
      if (empty) rmSync(empty, { recursive: true, force: true });
    },
  };
}
