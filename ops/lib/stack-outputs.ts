/**
 * The one way the ops tools read a stack's outputs: through the repo's Pulumi wrapper
 * (ops/pulumi/pulumi.sh), which takes the stack from K6OBS_STACK and the backend from
 * PULUMI_BACKEND_URL. Output names are typed by model/outputs.ts (index.ts's exports).
 */
import { execFileSync } from "node:child_process";
import { DEFAULT_STACK, StackOutputName } from "../../model/outputs";
import { isObject } from "./json";

/**
 * The stack a command works on: its --stack flag, else K6OBS_STACK, else {@link DEFAULT_STACK}.
 *
 * @param flag The value of --stack, if given.
 * @param env The environment to read K6OBS_STACK from.
 */
export function stackName(
  flag?: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  return flag ?? env.K6OBS_STACK ?? DEFAULT_STACK;
}

/** Arguments of {@link readStackOutputs}. */
export interface ReadStackOutputsArgs {
  /** Repository root: where ops/pulumi/pulumi.sh is run from. */
  readonly repoRoot: string;
  /** Stack to read, see {@link stackName}. */
  readonly stack: string;
  /** Also print secret outputs in clear text (`--show-secrets`). */
  readonly showSecrets?: boolean;
  /** Appended to the error when the outputs cannot be read: how to do without them. */
  readonly advice?: string;
}

/**
 * Runs `bash ops/pulumi/pulumi.sh stack output --json [--show-secrets]` for the stack and returns the
 * parsed object. Throws one message naming the command, the stack, the last lines Pulumi printed
 * and the advice.
 */
export function readStackOutputs(args: ReadStackOutputsArgs): Record<string, unknown> {
  const argv = [
    "ops/pulumi/pulumi.sh",
    "stack",
    "output",
    "--json",
    ...(args.showSecrets ? ["--show-secrets"] : []),
  ];
  const command = `K6OBS_STACK=${args.stack} bash ${argv.join(" ")}`;
  const advice = args.advice !== undefined ? `; ${args.advice}` : "";
  let stdout: string;
  try {
    stdout = execFileSync("bash", argv, {
      cwd: args.repoRoot,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, K6OBS_STACK: args.stack },
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim().split("\n").slice(-3).join(" ") ?? "";
    throw new Error(
      `Could not read the stack outputs with \`${command}\`${stderr ? `: ${stderr}` : ""}${advice}.`,
      { cause: err },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    parsed = undefined;
  }
  if (!isObject(parsed)) {
    throw new Error(`\`${command}\` did not print a JSON object; has the stack been deployed (npm run up)?`);
  }
  return parsed;
}

/**
 * The outputs `keys` as strings; throws naming every one that is missing, empty or not a string,
 * followed by `advice`.
 *
 * @param outputs Parsed `stack output --json`.
 * @param keys Output names that must be non-empty strings.
 * @param advice What to do when some are missing.
 */
export function pickStrings<K extends StackOutputName>(
  outputs: Readonly<Record<string, unknown>>,
  keys: readonly K[],
  advice: string,
): Record<K, string> {
  const missing = keys.filter((k) => typeof outputs[k] !== "string" || outputs[k] === "");
  if (missing.length > 0) {
    throw new Error(`stack outputs lack ${missing.join(", ")}; ${advice}`);
  }
  return Object.fromEntries(keys.map((k) => [k, outputs[k]])) as Record<K, string>;
}

/**
 * The outputs among `keys` that are non-empty strings; the others are left out.
 *
 * @param outputs Parsed `stack output --json`.
 * @param keys Output names to take when present.
 */
export function presentStrings<K extends StackOutputName>(
  outputs: Readonly<Record<string, unknown>>,
  keys: readonly K[],
): Partial<Record<K, string>> {
  return Object.fromEntries(
    keys.flatMap((k) => (typeof outputs[k] === "string" && outputs[k] !== "" ? [[k, outputs[k]]] : [])),
  ) as Partial<Record<K, string>>;
}
