/**
 * The base of every error habitat's libraries throw: a stable machine-readable `code` to branch on (first,
 * as in every subclass) and a message for people that says the fix. `name` is the subclass's name.
 * Messages never mention CLI flags: a library does not know how it was called.
 */
export class HabitatError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** True for any habitat library error. */
export function isHabitatError(error: unknown): error is HabitatError {
  return error instanceof HabitatError;
}

/** Stable codes for failures a caller may branch on. */
export type ConfigErrorCode =
  | 'invalid-duration'
  | 'invalid-size'
  | 'credential-unreadable'
  | 'not-a-coordinator';

/** A config failure with a machine-readable `code` and a message that says the fix. */
export class ConfigError extends HabitatError<ConfigErrorCode> {}
