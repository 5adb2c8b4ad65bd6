/**
 * What every ops command shares: strict flag parsing and the process plumbing around `main`.
 */
import { parseArgs } from "node:util";

/** How a flag takes values: once (`value`), any number of times (`repeat`), or none (`bool`). */
export type FlagKind = "value" | "repeat" | "bool";

/** Flags a command accepts, by long name without the leading `--`. */
export type FlagSpec = Readonly<Record<string, FlagKind>>;

/** Parsed flag values: a string per `value`, a list per `repeat`, `true` per `bool`; absent ones are undefined. */
export type FlagValues<S extends FlagSpec> = {
  readonly [K in keyof S]?: S[K] extends "bool" ? true : S[K] extends "repeat" ? string[] : string;
};

/** Result of {@link parseFlags}. */
export interface ParsedFlags<S extends FlagSpec> {
  /** `-h` or `--help` was given (flags after it are not checked). */
  readonly help: boolean;
  /** The flags given. */
  readonly values: FlagValues<S>;
  /** Arguments that are not flags, in order; only when allowed. */
  readonly positionals: readonly string[];
}

/**
 * Strict flag parsing over `util.parseArgs`: `--flag value`, `--flag=value`, booleans and
 * repeats. parseArgs alone would let a repeated single-value flag win silently and take a
 * following `--other` as a value, so the tokens are checked here in order, and the first problem
 * is thrown with the message the commands have always printed.
 *
 * @param argv The arguments after the script name.
 * @param spec The accepted flags; `-h`/`--help` is always accepted.
 * @param options `positionals`: how many non-flag arguments are allowed (default 0).
 */
export function parseFlags<S extends FlagSpec>(
  argv: readonly string[],
  spec: S,
  options: { readonly positionals?: number } = {},
): ParsedFlags<S> {
  const { tokens } = parseArgs({
    args: [...argv],
    options: {
      ...Object.fromEntries(
        Object.entries(spec).map(([name, kind]) => [
          name,
          kind === "bool"
            ? { type: "boolean" as const }
            : { type: "string" as const, multiple: kind === "repeat" },
        ]),
      ),
      help: { type: "boolean", short: "h" },
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const expected = Object.keys(spec)
    .map((name) => `--${name}`)
    .join(", ");
  const unknown = (index: number): Error =>
    new Error(`unknown argument "${argv[index] ?? ""}"; expected one of ${expected}`);
  const values: Record<string, string | string[] | true> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "option-terminator") throw unknown(token.index);
    if (token.kind === "positional") {
      if (positionals.length >= (options.positionals ?? 0)) throw unknown(token.index);
      positionals.push(token.value);
      continue;
    }
    if (token.name === "help" && argv[token.index] === token.rawName) {
      return { help: true, values: values as FlagValues<S>, positionals };
    }
    const flag = `--${token.name}`;
    const kind = token.rawName === flag ? spec[token.name] : undefined;
    if (kind === undefined) throw unknown(token.index);
    let value: string | true;
    if (kind === "bool") {
      if (token.value !== undefined) throw new Error(`${flag} takes no value`);
      value = true;
    } else {
      if (token.value === undefined || (!token.inlineValue && token.value.startsWith("--"))) {
        throw new Error(`${flag} needs a value`);
      }
      if (token.value === "") throw new Error(`${flag} needs a non-empty value`);
      value = token.value;
    }
    const seen = values[token.name];
    if (kind === "repeat") {
      values[token.name] = [...((seen as string[] | undefined) ?? []), value as string];
    } else if (seen !== undefined) {
      throw new Error(`${flag} given twice`);
    } else {
      values[token.name] = value;
    }
  }
  return { help: false, values: values as FlagValues<S>, positionals };
}

/** Options of {@link runCli}. */
export interface RunCliOptions {
  /**
   * Called on SIGINT and SIGTERM instead of Node's default (exit at once). A command that stops
   * services uses it to make its pending step fail, so that its `finally` starts them again.
   */
  readonly onSignal?: (signal: NodeJS.Signals) => void;
}

/**
 * Runs a command's `main`: an error is printed as `<name>: <message>` and sets exit code 1; a
 * number returned sets the exit code. The process exits on its own once nothing is pending.
 *
 * @param name Prefix of the error line, e.g. `backup`.
 * @param main The command.
 * @param options Signal handling.
 */
export function runCli(name: string, main: () => Promise<number | void>, options: RunCliOptions = {}): void {
  const { onSignal } = options;
  if (onSignal !== undefined) {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.on(signal, () => onSignal(signal));
    }
  }
  main().then(
    (code) => {
      if (typeof code === "number") process.exitCode = code;
    },
    (err: unknown) => {
      console.error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
