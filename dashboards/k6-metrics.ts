import { K6_TREND_STATS } from "../model/k6";
import { TrendMode } from "../model/trend-mode";

/**
 * k6 metric names as they reach Prometheus through k6 v1.8's `experimental-prometheus-rw` output
 * (verified against real k6 output by the integration tests; see docs/research/k6-metrics.md).
 * Every name is `k6_` + the k6 metric name + a suffix chosen by the metric type.
 */

/** Counters: `k6_<name>_total`, cumulative since the start of the run. */
export const K6_COUNTERS = ["http_reqs", "iterations", "data_sent", "data_received"] as const;
/** Rates: `k6_<name>_rate`, the cumulative fraction of non-zero values since the start of the run. */
export const K6_RATES = ["http_req_failed", "checks"] as const;
/** Gauges: `k6_<name>`. */
export const K6_GAUGES = ["vus", "vus_max"] as const;
/**
 * Trends of time values: `k6_<name>_<stat>` gauges in stats mode (seconds, cumulative since the
 * start of the run), `k6_<name>_seconds` native histograms in nativeHistogram mode.
 */
export const K6_TIME_TRENDS = [
  "http_req_duration",
  "http_req_blocked",
  "http_req_connecting",
  "http_req_tls_handshaking",
  "http_req_sending",
  "http_req_waiting",
  "http_req_receiving",
  "iteration_duration",
] as const;

/** Suffix k6 gives a trend stat: `p(95)` → `p95`, `p(99.9)` → `p999`, `avg` → `avg`. */
export function trendStatSuffix(stat: string): string {
  const m = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat);
  return m?.[1] !== undefined ? `p${m[1].replace(".", "")}` : stat;
}

/** Name of a stats-mode trend gauge, e.g. `k6_http_req_duration_p95`. */
export function statsTrendMetric(trend: (typeof K6_TIME_TRENDS)[number], stat: string): string {
  const suffix = trendStatSuffix(stat);
  if (!K6_TREND_STATS.map(trendStatSuffix).includes(suffix)) {
    throw new Error(
      `trend stat "${stat}" is not emitted in stats mode (K6_TREND_STATS: ${K6_TREND_STATS.join(", ")})`,
    );
  }
  return `k6_${trend}_${suffix}`;
}

/** Name of a nativeHistogram-mode trend histogram, e.g. `k6_http_req_duration_seconds`. */
export function nativeTrendMetric(trend: (typeof K6_TIME_TRENDS)[number]): string {
  return `k6_${trend}_seconds`;
}

/** Every k6 metric name the project's k6 settings produce in a trend mode. */
export function k6MetricNames(mode: TrendMode): string[] {
  const trends =
    mode === "stats"
      ? K6_TIME_TRENDS.flatMap((t) => K6_TREND_STATS.map((s) => statsTrendMetric(t, s)))
      : K6_TIME_TRENDS.map(nativeTrendMetric);
  return [
    ...K6_COUNTERS.map((c) => `k6_${c}_total`),
    ...K6_RATES.map((r) => `k6_${r}_rate`),
    ...K6_GAUGES.map((g) => `k6_${g}`),
    ...trends,
  ].sort();
}

/** Metric names one trend mode emits and the other does not. */
export function modeOnlyMetricNames(mode: TrendMode): string[] {
  const other = new Set(k6MetricNames(mode === "stats" ? "nativeHistogram" : "stats"));
  return k6MetricNames(mode).filter((n) => !other.has(n));
}
