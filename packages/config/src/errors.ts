/** Stable codes for failures a caller may branch on. */
export type ConfigErrorCode =
  | 'invalid-duration'
  | 'invalid-size'
  | 'credential-unreadable'
  | 'not-a-coordinator';

/** A config failure with a machine-readable `code` and a message that says the fix. */
export class ConfigError extends Error {
  constructor(
    readonly code: ConfigErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}
