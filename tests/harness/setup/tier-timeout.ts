/**
 * Each tier's default bound for one test (a bound, never a speed assertion). jest reads
 * `testTimeout` from the global config only (a project's own is ignored), so every project runs
 * this file instead; tests that need longer set their own.
 */
const path = expect.getState().testPath ?? "";

const TIMEOUT_MS = path.includes("/tests/e2e/")
  ? 15 * 60_000 // one ordered story step on a real engine
  : path.includes("/tests/integration/") || path.endsWith(".cli.test.ts")
    ? 60_000 // real binaries and containers on 2 shared cores
    : 30_000; // a mocks run of the whole program on 2 busy cores

jest.setTimeout(TIMEOUT_MS);
