// The layers after a run (session ingest, then knowledge) subscribe to the daemon's run.finished
// events: the scheduler knows nothing about them.
import { loadCoordinator, readCredentialValues } from '@habitat/config';
import type { Daemon } from '@habitat/scheduler';
import type { Logger } from 'pino';

export function subscribeLayers(daemon: Daemon, root: string, logger: Logger): void {
  let indexing: Promise<void> = Promise.resolve();
  daemon.onEvent((event) => {
    if (event.event !== 'run.finished') return;
    // One indexing pass at a time; runs that finish meanwhile are picked up by the next pass.
    indexing = indexing.then(async () => {
      try {
        const { indexSessions } = await import('@habitat/sessions');
        const { agents } = await loadCoordinator(root);
        const values = await Promise.all(agents.map((a) => readCredentialValues(a).catch(() => [])));
        const secrets = values.flat().flatMap((c) => c.values);
        // The agents' own sessions (their persisted Claude homes) and run logs: not the operator's ~/.claude.
        const report = indexSessions({
          stateDir: daemon.stateDir,
          sources: { stateDir: daemon.stateDir, defaults: false },
          secrets,
        });
        logger.debug({ event: 'sessions.indexed', files: report.files }, 'sessions indexed');
      } catch (error) {
        logger.warn(
          { event: 'sessions.index-failed', err: (error as Error).message },
          'session indexing failed',
        );
      }
    });
  });
}
