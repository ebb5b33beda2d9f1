import { HabitatError } from '@habitat/config';

export type KnowledgeErrorCode =
  | 'not-found'
  | 'bad-learning-file'
  | 'bad-model-answer'
  | 'claude-failed'
  | 'session-not-indexed';

/** A knowledge failure with a stable `code` (first, as in every habitat error) and a message with the fix. */
export class KnowledgeError extends HabitatError<KnowledgeErrorCode> {}
