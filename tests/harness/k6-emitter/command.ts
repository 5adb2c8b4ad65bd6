import * as path from "node:path";

/** The program and leading arguments that run a k6-compatible binary. */
export interface K6Command {
  readonly file: string;
  readonly args: readonly string[];
  /** `emitter` (this repo's stand-in) or `k6` (a real k6 the user pointed K6_BIN at). */
  readonly kind: "emitter" | "k6";
}

/**
 * How the tests and benchmarks run "k6": this repo's emitter through Node (vm modules for the
 * script's ES modules, tsx for the TypeScript sources), or a real k6 when `k6Bin` is given (the
 * output-overhead benchmark). k6 itself is never built or downloaded here (AGPL).
 */
export function k6Command(k6Bin: string | undefined = process.env.K6_BIN): K6Command {
  if (k6Bin !== undefined && k6Bin !== "") return { file: k6Bin, args: [], kind: "k6" };
  return {
    file: process.execPath,
    args: [
      "--experimental-vm-modules",
      "--no-warnings",
      "-r",
      require.resolve("tsx/cjs"),
      path.join(__dirname, "cli.ts"),
    ],
    kind: "emitter",
  };
}
