/**
 * The gate's failures other than a regression, each with its exit code, so that CI can tell
 * "the candidate is slower" (1) from "the gate was called wrongly" (2) and "the gate could not
 * judge" (3).
 */

/** Exit code: the candidate is within every limit. */
export const EXIT_PASS = 0;
/** Exit code: the candidate regressed beyond at least one limit. */
export const EXIT_REGRESSED = 1;
/** Exit code: bad usage or input (flags, limit values, an unknown testid). */
export const EXIT_USAGE = 2;
/** Exit code: the comparison could not be made (Prometheus unreachable or failing, a run lacks data). */
export const EXIT_UNAVAILABLE = 3;

/** Bad flags, limits or testids: exit {@link EXIT_USAGE}. */
export class UsageError extends Error {
  readonly exitCode = EXIT_USAGE;
}

/** Prometheus unreachable or failing, stack outputs unreadable, a run without data: exit {@link EXIT_UNAVAILABLE}. */
export class UnavailableError extends Error {
  readonly exitCode = EXIT_UNAVAILABLE;
}
