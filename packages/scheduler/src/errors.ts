import { HabitatError } from '@habitat/config';

export type SchedulerErrorCode =
  | 'locked'
  | 'daemon-down'
  | 'unknown-agent'
  | 'unknown-run'
  | 'bad-request'
  | 'not-initialised'
  | 'state-corrupt'
  | 'socket-path'
  | 'daemon-busy'
  | 'permission';

/** A scheduler failure with a stable `code` and a message that says what to do. */
export class SchedulerError extends HabitatError<SchedulerErrorCode> {}
