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
export class SchedulerError extends Error {
  constructor(
    readonly code: SchedulerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SchedulerError';
  }
}
