/**
 * The gate's limits: parsed from the command-line forms (`10%`, `0.1`, `5ms`, `1pp`, `off`) into
 * plain numbers, with messages naming the flag, the value and the allowed forms. Pure.
 */
import { UsageError } from "./errors";

/** A limit on a latency percentile's increase: relative (0.1 = 10 %) or absolute (seconds). */
export type LatencyLimit =
  | { readonly kind: "relative"; readonly fraction: number }
  | { readonly kind: "absolute"; readonly seconds: number };

/** The limits of one comparison; `undefined` means the figure is reported but not judged. */
export interface Limits {
  /** Largest allowed increase of the whole-run p95 of http_req_duration. */
  readonly p95?: LatencyLimit;
  /** Largest allowed increase of the whole-run p99 of http_req_duration. */
  readonly p99?: LatencyLimit;
  /** Largest allowed increase of the failed-request share, as a fraction (0.01 = 1 percentage point). */
  readonly errorRateIncrease?: number;
  /** Smallest allowed candidate ÷ baseline throughput (requests per second). */
  readonly minThroughputRatio?: number;
  /** Smallest allowed check pass rate of the candidate, a fraction. */
  readonly minCheckRate?: number;
}

/** The limit flags, by long name, and what each takes. */
export const LIMIT_FLAGS = {
  "max-p95-increase": "a relative increase (10%, 0.1) or a duration (5ms, 0.2s)",
  "max-p99-increase": "a relative increase (10%, 0.1) or a duration (5ms, 0.2s)",
  "max-error-rate-increase": "percentage points (1pp) or a fraction (0.01)",
  "min-throughput-ratio": "a ratio (0.9) or a percentage (90%)",
  "min-check-rate": "a fraction between 0 and 1 (0.95) or a percentage (95%)",
} as const;

/** A limit flag's name. */
export type LimitFlag = keyof typeof LIMIT_FLAGS;

/** What applies when a limit flag is not given: p95 and the error rate are judged by default. */
export const DEFAULT_LIMITS: Readonly<Record<LimitFlag, string>> = {
  "max-p95-increase": "10%",
  "max-p99-increase": "off",
  "max-error-rate-increase": "1pp",
  "min-throughput-ratio": "off",
  "min-check-rate": "off",
};

/** The value that turns a limit off. */
export const OFF = "off";

const NUMBER = String.raw`(\d+(?:\.\d+)?|\.\d+)`;
const DURATION_UNITS: Readonly<Record<string, number>> = { us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1 };

function bad(flag: LimitFlag, value: string, detail = ""): UsageError {
  return new UsageError(
    `--${flag} ${JSON.stringify(value)}${detail ? ` ${detail}` : ""}: expected ${LIMIT_FLAGS[flag]}, or ${OFF}`,
  );
}

function match(value: string, suffix: string): number | undefined {
  const m = new RegExp(`^${NUMBER}${suffix}$`).exec(value.trim());
  return m?.[1] !== undefined ? Number(m[1]) : undefined;
}

/** Parses a `--max-p95-increase`/`--max-p99-increase` value. */
export function parseLatencyLimit(flag: LimitFlag, value: string): LatencyLimit | undefined {
  if (value === OFF) return undefined;
  const percent = match(value, "%");
  if (percent !== undefined) return { kind: "relative", fraction: percent / 100 };
  const unit = /(us|µs|ms|s)$/.exec(value.trim())?.[1];
  if (unit !== undefined) {
    const n = match(value, unit);
    if (n === undefined) throw bad(flag, value);
    return { kind: "absolute", seconds: n * (DURATION_UNITS[unit] ?? 1) };
  }
  const fraction = match(value, "");
  if (fraction === undefined) throw bad(flag, value);
  return { kind: "relative", fraction };
}

/** Parses a `--max-error-rate-increase` value into a fraction. */
export function parseErrorRateLimit(flag: LimitFlag, value: string): number | undefined {
  if (value === OFF) return undefined;
  const points = match(value, "pp");
  if (points !== undefined) return points / 100;
  if (match(value, "%") !== undefined) {
    throw bad(flag, value, "is ambiguous (relative or absolute?); write percentage points as 1pp");
  }
  const fraction = match(value, "");
  if (fraction === undefined) throw bad(flag, value);
  if (fraction > 1) throw bad(flag, value, "is more than the whole (1 = 100pp)");
  return fraction;
}

/** Parses a ratio or a percentage (`0.9`, `90%`) into a fraction; `max` bounds it when set. */
export function parseFraction(flag: LimitFlag, value: string, max?: number): number | undefined {
  if (value === OFF) return undefined;
  const percent = match(value, "%");
  const n = percent !== undefined ? percent / 100 : match(value, "");
  if (n === undefined) throw bad(flag, value);
  if (max !== undefined && n > max) throw bad(flag, value, `is above ${max}`);
  return n;
}

/**
 * The limits from the flags given (a flag absent takes {@link DEFAULT_LIMITS}). Throws a
 * {@link UsageError} for the first bad value.
 */
export function parseLimits(given: Readonly<Partial<Record<LimitFlag, string>>>): Limits {
  const value = (flag: LimitFlag): string => given[flag] ?? DEFAULT_LIMITS[flag];
  const p95 = parseLatencyLimit("max-p95-increase", value("max-p95-increase"));
  const p99 = parseLatencyLimit("max-p99-increase", value("max-p99-increase"));
  const errorRateIncrease = parseErrorRateLimit("max-error-rate-increase", value("max-error-rate-increase"));
  const minThroughputRatio = parseFraction("min-throughput-ratio", value("min-throughput-ratio"));
  const minCheckRate = parseFraction("min-check-rate", value("min-check-rate"), 1);
  return {
    ...(p95 !== undefined ? { p95 } : {}),
    ...(p99 !== undefined ? { p99 } : {}),
    ...(errorRateIncrease !== undefined ? { errorRateIncrease } : {}),
    ...(minThroughputRatio !== undefined ? { minThroughputRatio } : {}),
    ...(minCheckRate !== undefined ? { minCheckRate } : {}),
  };
}
