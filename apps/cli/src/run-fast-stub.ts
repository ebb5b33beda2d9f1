// The error the one-file run build's stubs throw (tsup.config.ts: the full config load, dockerode), known by its
// code: run-fast.ts hands such a run to the full CLI, and a reworded message must not turn that into a failure.

/** `code` of the stubs' error. */
export const OUTSIDE_RUN_FAST_PATH = 'outside-run-fast-path';

/** The one-file build reached a stubbed module: nothing was done yet, the full CLI takes the command. */
export function isOutsideRunFastPath(error: unknown): boolean {
  return error instanceof Error && (error as Error & { code?: unknown }).code === OUTSIDE_RUN_FAST_PATH;
}
