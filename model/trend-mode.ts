/**
 * The one setting that decides how k6 trend metrics (http_req_duration, ...) reach Prometheus.
 * k6's env, Prometheus' flags and the provisioned k6 dashboard are all derived from it, so they
 * cannot disagree.
 */
export const TREND_MODES = ["stats", "nativeHistogram"] as const;

/** `stats`: one gauge per statistic (`k6_http_req_duration_p95`, ...); `nativeHistogram`: `*_seconds` native histograms. */
export type TrendMode = (typeof TREND_MODES)[number];

export function isTrendMode(value: string): value is TrendMode {
  return (TREND_MODES as readonly string[]).includes(value);
}
