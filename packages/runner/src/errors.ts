import { HabitatError } from '@habitat/config';

export type RunErrorCode =
  | 'image-missing'
  | 'docker-unavailable'
  | 'spawn-failed'
  | 'repo-missing'
  | 'prompt-missing'
  | 'credential-unreadable'
  | 'not-in-run'
  | 'invalid-wake'
  | 'not-a-manager'
  | 'unschedulable'
  | 'task-failed';

/** A failure around a run, with a stable `code` and a message that says the fix. */
export class RunError extends HabitatError<RunErrorCode> {}
