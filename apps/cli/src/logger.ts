// The daemon's logger: JSON lines (one event per line, for journald, files, Loki/Vector) unless stderr is a
// terminal, where pino-pretty prints them for people. HABITAT_LOG_LEVEL and HABITAT_LOG_FORMAT choose;
// a value that is not one of theirs is a usage error, not silently ignored. See docs/daemon.md.
import type { Logger } from 'pino';
import { UsageError, useColor } from './output.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;

/** The level and format from the environment (or the defaults), checked. */
export function logSettings(
  env: NodeJS.ProcessEnv,
  defaults: { level: string; tty: boolean },
): { level: string; format: 'json' | 'pretty' } {
  const level = (env.HABITAT_LOG_LEVEL ?? defaults.level).trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new UsageError(
      `HABITAT_LOG_LEVEL=${env.HABITAT_LOG_LEVEL} is not a log level: use one of ${LOG_LEVELS.join(', ')}`,
      'bad-log-level',
    );
  const format = (env.HABITAT_LOG_FORMAT ?? (defaults.tty ? 'pretty' : 'json')).trim().toLowerCase();
  if (!(LOG_FORMATS as readonly string[]).includes(format))
    throw new UsageError(
      `HABITAT_LOG_FORMAT=${env.HABITAT_LOG_FORMAT} is not a log format: use json or pretty`,
      'bad-log-format',
    );
  return { level, format: format as 'json' | 'pretty' };
}

/** A pino logger writing to stderr: pretty on a terminal, JSON otherwise. */
export async function daemonLogger(defaultLevel: string): Promise<Logger> {
  const { level, format } = logSettings(process.env, {
    level: defaultLevel,
    tty: Boolean(process.stderr.isTTY),
  });
  const { default: pino } = await import('pino');
  if (format === 'json') return pino({ level }, pino.destination(2));
  const { default: pretty } = await import('pino-pretty');
  // Synchronous: the last lines before an exit are not lost, and a terminal is slow only for people.
  const stream = pretty({
    destination: 2,
    sync: true,
    colorize: useColor(process.stderr),
    ignore: 'hostname',
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o',
    messageKey: 'msg',
    singleLine: true,
  });
  return pino({ level }, stream);
}
