import { HabitatError } from '@habitat/config/core';

export type SessionsErrorCode = 'db-open' | 'db-schema' | 'not-found' | 'bad-query' | 'bad-option' | 'busy';

/** A session index failure with a stable `code` (first, as in every habitat error). */
export class SessionsError extends HabitatError<SessionsErrorCode> {}
