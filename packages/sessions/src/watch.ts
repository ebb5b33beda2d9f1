import { join } from 'node:path';
import { watch } from 'chokidar';
import { discoverFiles, resolveSources } from './discover.js';
import { type IndexOptions, type IndexReport, indexSessions } from './indexer.js';

export interface WatchHandle {
  close(): Promise<void>;
}

/**
 * Index now, then again whenever a source changes (debounced). `onIndex` receives each pass's report;
 * errors of a pass go to `onError` and the watch goes on.
 */
export function watchSessions(
  options: IndexOptions & { debounceMs?: number },
  onIndex: (report: IndexReport) => void,
  onError: (error: unknown) => void = () => {},
): WatchHandle {
  const run = () => {
    try {
      onIndex(indexSessions(options));
    } catch (error) {
      onError(error);
    }
  };
  run();
  const roots = resolveSources({
    ...options.sources,
    stateDir: options.sources?.stateDir ?? options.stateDir,
  });
  const paths = [
    ...roots.claude.map((c) => join(c.dir, 'projects')),
    ...roots.codex.map((c) => join(c, 'sessions')),
    ...discoverFiles({ claude: [], codex: [], cursor: roots.cursor }).map((f) => f.path),
    ...(roots.stateDir ? [join(roots.stateDir, 'logs'), join(roots.stateDir, 'claude')] : []),
  ];
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(paths, {
    ignoreInitial: true,
    ignored: (p) => p.endsWith('sessions.db') || p.includes('sessions.db-'),
  });
  watcher.on('all', () => {
    clearTimeout(timer);
    timer = setTimeout(run, options.debounceMs ?? 300);
  });
  return {
    async close() {
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
