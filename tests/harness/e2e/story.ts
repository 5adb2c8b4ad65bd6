/**
 * The frame every e2e story file shares: its own sandbox created in beforeAll (setup failures are
 * reported by every test, not swallowed), closed in afterAll after the story's own teardown, and
 * the wall time of each command it ran printed at the end (`<title> durations:`).
 */
import { say, timings } from "./harness";
import { E2eSandbox } from "./sandbox";

/** What one story adds to the frame. */
export interface StoryHooks {
  /** After the sandbox exists, inside beforeAll; what it throws fails every test with the reason. */
  readonly setup?: (sb: E2eSandbox) => Promise<void> | void;
  /** In afterAll before the sandbox closes, after a failed setup too: stops what setup started. */
  readonly teardown?: (sb: E2eSandbox | undefined) => Promise<void> | void;
  /** Lines printed after the durations: figures the story measured. */
  readonly report?: () => readonly string[];
}

/** Registers the story's beforeAll/afterAll; `need()` is each test's sandbox, or its setup failure. */
export function e2eStory(title: string, hooks: StoryHooks = {}): { need: () => E2eSandbox } {
  const started = Date.now();
  let sb: E2eSandbox | undefined;
  let setupError: unknown;
  beforeAll(async () => {
    try {
      sb = await E2eSandbox.create();
      await hooks.setup?.(sb);
    } catch (e) {
      setupError = e;
      say(`${title}: SETUP FAILED: ${String(e)}`);
    }
  }, 45 * 60_000);
  afterAll(async () => {
    try {
      await hooks.teardown?.(sb);
    } finally {
      await sb?.close();
      const rows = timings.map(
        (t) => `  ${t.seconds.toFixed(1).padStart(7)}s  exit ${String(t.code).padEnd(3)} ${t.what}`,
      );
      const total = `  ${((Date.now() - started) / 1000).toFixed(1).padStart(7)}s  whole file`;
      const figures = hooks.report?.() ?? [];
      say(
        [
          `${title} durations:`,
          ...rows,
          total,
          ...(figures.length > 0 ? [`${title} figures:`, ...figures.map((l) => `  ${l}`)] : []),
        ].join("\n"),
      );
    }
  }, 10 * 60_000);
  return {
    need: () => {
      if (setupError !== undefined) {
        throw new Error(`e2e setup failed: ${String(setupError)}`, { cause: setupError });
      }
      if (sb === undefined) throw new Error(`${title}: no sandbox (its beforeAll has not run)`);
      return sb;
    },
  };
}
