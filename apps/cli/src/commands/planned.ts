// The daemon's plan for `habitat list`, read from its store (a module of its own: loaded only when a store exists).
import { openStore } from '@habitat/scheduler';

/**
 * The daemon's planned next run per agent (what `habitat status` shows), read from its store; empty when
 * there is no state yet. The store is read-only here and SQLite loads only when a store exists.
 */
export async function plannedNext(stateDir: string): Promise<Map<string, number>> {
  try {
    const store = openStore(stateDir, { readonly: true });
    try {
      return new Map(
        store
          .plans()
          .filter((p) => p.next_at !== null && p.next_at !== undefined)
          .map((p) => [p.agent, p.next_at as number]),
      );
    } finally {
      store.close();
    }
  } catch {
    return new Map();
  }
}
