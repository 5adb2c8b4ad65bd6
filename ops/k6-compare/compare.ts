/**
 * Verdicts: one row per whole-run figure, judged against its limit. Pure.
 */
import { TrendMode } from "../../model/trend-mode";
import { LatencyLimit, Limits } from "./limits";

/** The figures compared, in table order. */
export const FIGURES = ["p95", "p99", "throughput", "errorRate", "checkRate"] as const;

/** A whole-run figure's key. */
export type Figure = (typeof FIGURES)[number];

/**
 * One run's whole-run figures: http_req_duration p95/p99 in seconds, requests per second, the
 * failed-request share and the check pass rate (fractions). `undefined`: the run has no data for it.
 */
export type RunFigures = Readonly<Partial<Record<Figure, number>>>;

/** One run as the gate sees it. */
export interface RunSummary {
  /** The run's testid. */
  readonly testId: string;
  /** The trend mode its latency series were written in; undefined when it has none. */
  readonly trendMode: TrendMode | undefined;
  /** First and last k6_vus sample, Unix seconds. */
  readonly start: number;
  readonly end: number;
  /** Its whole-run figures. */
  readonly figures: RunFigures;
}

/** `pass`/`fail` against a limit; `info` when the figure has no limit. */
export type Verdict = "pass" | "fail" | "info";

/** One row of the comparison. */
export interface ComparisonRow {
  readonly figure: Figure;
  readonly baseline: number | undefined;
  readonly candidate: number | undefined;
  /** The limit in the units of the figure's own limit flag (see {@link Limits}). */
  readonly limit: LatencyLimit | number | undefined;
  readonly verdict: Verdict;
}

/** The comparison of two runs. */
export interface Comparison {
  readonly baseline: RunSummary;
  readonly candidate: RunSummary;
  readonly rows: readonly ComparisonRow[];
  /** No row failed. */
  readonly passed: boolean;
}

/** The limit of a figure, if any. */
export function limitOf(figure: Figure, limits: Limits): LatencyLimit | number | undefined {
  switch (figure) {
    case "p95":
      return limits.p95;
    case "p99":
      return limits.p99;
    case "throughput":
      return limits.minThroughputRatio;
    case "errorRate":
      return limits.errorRateIncrease;
    case "checkRate":
      return limits.minCheckRate;
  }
}

/** Relative change candidate ÷ baseline − 1; 0 when both are 0, Infinity when only the baseline is 0. */
export function relativeChange(baseline: number, candidate: number): number {
  if (baseline === 0) return candidate === 0 ? 0 : Infinity;
  return candidate / baseline - 1;
}

function judge(figure: Figure, baseline: number, candidate: number, limit: LatencyLimit | number): boolean {
  // A tiny tolerance so that a limit written from the table's own rounding is not failed by float noise.
  const EPS = 1e-9;
  if (figure === "p95" || figure === "p99") {
    const l = limit as LatencyLimit;
    return l.kind === "absolute"
      ? candidate - baseline <= l.seconds + EPS
      : relativeChange(baseline, candidate) <= l.fraction + EPS;
  }
  const n = limit as number;
  if (figure === "throughput") return baseline === 0 || candidate / baseline >= n - EPS;
  if (figure === "errorRate") return candidate - baseline <= n + EPS;
  return candidate >= n - EPS;
}

/**
 * Compares the candidate with the baseline. A figure missing from a run is only allowed when it
 * has no limit (the caller reports missing data for limited figures before calling this); the
 * check-rate floor needs the candidate's rate only.
 */
export function compareRuns(baseline: RunSummary, candidate: RunSummary, limits: Limits): Comparison {
  const rows = FIGURES.map((figure): ComparisonRow => {
    const b = baseline.figures[figure];
    const c = candidate.figures[figure];
    const limit = limitOf(figure, limits);
    const needsBaseline = figure !== "checkRate";
    const verdict: Verdict =
      limit === undefined || c === undefined || (needsBaseline && b === undefined)
        ? "info"
        : judge(figure, b ?? 0, c, limit)
          ? "pass"
          : "fail";
    return { figure, baseline: b, candidate: c, limit, verdict };
  });
  return { baseline, candidate, rows, passed: rows.every((r) => r.verdict !== "fail") };
}

/** Figures that have a limit but no value in a run: what the gate cannot judge. */
export function missingFigures(run: RunSummary, limits: Limits, role: "baseline" | "candidate"): Figure[] {
  return FIGURES.filter(
    (f) =>
      limitOf(f, limits) !== undefined &&
      run.figures[f] === undefined &&
      !(role === "baseline" && f === "checkRate"),
  );
}
