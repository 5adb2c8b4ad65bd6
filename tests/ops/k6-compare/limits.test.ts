import { UsageError } from "../../../ops/k6-compare/errors";
import {
  parseErrorRateLimit,
  parseFraction,
  parseLatencyLimit,
  parseLimits,
} from "../../../ops/k6-compare/limits";

describe("k6:compare limits", () => {
  it("defaults to p95 +10% and error rate +1pp, the other figures unjudged", () => {
    expect(parseLimits({})).toEqual({ p95: { kind: "relative", fraction: 0.1 }, errorRateIncrease: 0.01 });
  });

  it("reads every documented form", () => {
    expect(parseLatencyLimit("max-p95-increase", "10%")).toEqual({ kind: "relative", fraction: 0.1 });
    expect(parseLatencyLimit("max-p95-increase", "0.1")).toEqual({ kind: "relative", fraction: 0.1 });
    expect(parseLatencyLimit("max-p99-increase", "5ms")).toEqual({ kind: "absolute", seconds: 0.005 });
    expect(parseLatencyLimit("max-p99-increase", "0.2s")).toEqual({ kind: "absolute", seconds: 0.2 });
    expect(parseLatencyLimit("max-p99-increase", "250us")).toEqual({ kind: "absolute", seconds: 0.00025 });
    expect(parseErrorRateLimit("max-error-rate-increase", "1pp")).toBe(0.01);
    expect(parseErrorRateLimit("max-error-rate-increase", "0.02")).toBe(0.02);
    expect(parseFraction("min-throughput-ratio", "0.9")).toBe(0.9);
    expect(parseFraction("min-throughput-ratio", "90%")).toBe(0.9);
    expect(parseFraction("min-check-rate", "95%", 1)).toBe(0.95);
    expect(
      parseLimits({
        "max-p95-increase": "off",
        "max-p99-increase": "20ms",
        "max-error-rate-increase": "off",
        "min-throughput-ratio": "0.8",
        "min-check-rate": "0.99",
      }),
    ).toEqual({ p99: { kind: "absolute", seconds: 0.02 }, minThroughputRatio: 0.8, minCheckRate: 0.99 });
  });

  it.each([
    [
      "max-p95-increase",
      "10x",
      '--max-p95-increase "10x": expected a relative increase (10%, 0.1) or a duration (5ms, 0.2s), or off',
    ],
    [
      "max-p95-increase",
      "-5%",
      '--max-p95-increase "-5%": expected a relative increase (10%, 0.1) or a duration (5ms, 0.2s), or off',
    ],
    [
      "max-p99-increase",
      "fastms",
      '--max-p99-increase "fastms": expected a relative increase (10%, 0.1) or a duration (5ms, 0.2s), or off',
    ],
    [
      "max-error-rate-increase",
      "1%",
      '--max-error-rate-increase "1%" is ambiguous (relative or absolute?); write percentage points as 1pp: expected percentage points (1pp) or a fraction (0.01), or off',
    ],
    [
      "max-error-rate-increase",
      "2",
      '--max-error-rate-increase "2" is more than the whole (1 = 100pp): expected percentage points (1pp) or a fraction (0.01), or off',
    ],
    [
      "max-error-rate-increase",
      "lots",
      '--max-error-rate-increase "lots": expected percentage points (1pp) or a fraction (0.01), or off',
    ],
    [
      "min-throughput-ratio",
      "x0.9",
      '--min-throughput-ratio "x0.9": expected a ratio (0.9) or a percentage (90%), or off',
    ],
    [
      "min-check-rate",
      "1.5",
      '--min-check-rate "1.5" is above 1: expected a fraction between 0 and 1 (0.95) or a percentage (95%), or off',
    ],
    [
      "min-check-rate",
      "101%",
      '--min-check-rate "101%" is above 1: expected a fraction between 0 and 1 (0.95) or a percentage (95%), or off',
    ],
  ] as const)("refuses --%s %s naming the flag, the value and the allowed forms", (flag, value, message) => {
    const parse = (): unknown => parseLimits({ [flag]: value });
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(message);
  });
});
