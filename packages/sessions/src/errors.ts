/** A session index failure with a stable `code`. */
export class SessionsError extends Error {
  constructor(
    message: string,
    readonly code: 'db-open' | 'db-schema' | 'not-found' | 'bad-query' | 'bad-option' | 'busy',
  ) {
    super(message);
    this.name = 'SessionsError';
  }
}
