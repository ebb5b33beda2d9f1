// `habitat up` says which agent files it cannot use. The daemon keeps a broken file's last good version (or
// does not run that agent) and publishes `agent.invalid` at start and on each reload (a file changed) while
// any file is broken; without this the log said nothing, and a typo showed only as an agent that never ran.
import type { Diagnostic } from '@habitat/config';
import type { Daemon } from '@habitat/scheduler';
import type { Logger } from 'pino';

/** Log each problem of the agent files, as `agent.invalid` (warn), with its file, line and fix. */
export function subscribeInvalidAgents(daemon: Daemon, logger: Logger): void {
  daemon.onEvent((event) => {
    if (event.event !== 'agent.invalid') return;
    for (const d of (event.diagnostics ?? []) as Diagnostic[]) {
      const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
      logger[d.severity === 'error' ? 'warn' : 'info'](
        { event: 'agent.invalid', file: d.file, line: d.line, column: d.column, path: d.path, code: d.code },
        `${where}${d.path ? ` ${d.path}` : ''}: ${d.message}${d.hint ? ` (${d.hint})` : ''}`,
      );
    }
  });
}
