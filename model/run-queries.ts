import { TrendMode } from "./trend-mode";

/**
 * Whole-run PromQL: one value per run (`by (testid)`), evaluated as an instant query at (or after)
 * the run's end over a range that covers the run. Shared by the Runs and comparison dashboards and
 * the `k6:compare` gate, so the dashboards and the gate read the same numbers.
 *
 * Every builder takes a label-matcher list for the runs (e.g. `testid=~"$testid"` in a dashboard,
 * `testid="run-1"` in the gate) and a range (`$__range` in a dashboard, `2h` elsewhere). k6's
 * remote-write series are cumulative since the start of the run, so the last sample in the range
 * is the whole run's value; stale markers end every series at the run's end.
 *
 * A run split over several k6 runners (k6Runners: one testid, a `runner` label each) is one run
 * here: counters are summed over every series of the testid, whatever runner sent it; VUs are the
 * sum across runners at each instant; start and end the earliest and latest of any runner;
 * native histograms sum exactly. Stats-mode percentiles cannot be combined, across endpoints or
 * runners: the slowest series' value (`max`) is an upper bound of the run's overall percentile.
 */

/** A PromQL range: `$__range`, `${__range}`, or a duration such as `90m`. */
export type PromRange = string;

/** The whole-run percentiles k6 is configured to send in both trend modes. */
export type RunQuantile = "0.95" | "0.99";

function matchers(selector: string, extra = ""): string {
  const list = [selector, extra].filter((s) => s !== "").join(", ");
  return list === "" ? "" : `{${list}}`;
}

function atModifier(at: string): string {
  return at === "" ? "" : ` @ ${at}`;
}

/**
 * Matcher list of one run: `testid="<id>"`. Throws when the id is empty or holds a character
 * that would need escaping in PromQL (`"` or `\`), naming the id.
 */
export function runSelector(testId: string): string {
  if (testId === "" || /["\\\n]/.test(testId)) {
    throw new Error(
      `testid ${JSON.stringify(testId)} is not usable in PromQL: it must be non-empty, without " or \\`,
    );
  }
  return `testid="${testId}"`;
}

/**
 * Run start, Unix seconds: the earliest `k6_vus` sample (k6 sends it every second, with the
 * testid label only, so this is the cheapest series per run). The subquery resolution bounds the
 * precision: the result is the first sample seen at a subquery step, at most `resolution` late.
 * Omitting the resolution uses Prometheus' evaluation_interval (15s here), which also misses runs
 * shorter than a step; `1s` matches k6's ticker. `at` (e.g. `end()`) pins the subquery with an `@`
 * modifier, so a range query evaluates it once instead of once per step (annotations).
 */
export function runStartQuery(selector: string, range: PromRange, resolution = "", at = ""): string {
  return `min by (testid) (min_over_time(timestamp(k6_vus${matchers(selector)})[${range}:${resolution}]${atModifier(at)}))`;
}

/**
 * Run end, Unix seconds: the latest `k6_vus` sample (at most `resolution` early; see
 * {@link runStartQuery}). An empty selector lists every run in the range.
 */
export function runEndQuery(selector: string, range: PromRange, resolution = "", at = ""): string {
  return `max by (testid) (max_over_time(timestamp(k6_vus${matchers(selector)})[${range}:${resolution}]${atModifier(at)}))`;
}

/**
 * Run duration, seconds: the number of `k6_vus` samples (one per second) minus one. Exact to
 * k6's 1 s ticker without a subquery, so much cheaper than end − start. With several runners,
 * each has its own k6_vus series: the longest-running one's duration (runners start together, all
 * from one `pulumi up`; a late runner shows as end − start exceeding this).
 */
export function runDurationQuery(selector: string, range: PromRange): string {
  return `max by (testid) (count_over_time(k6_vus${matchers(selector)}[${range}])) - 1`;
}

/**
 * Peak VUs of the run: the highest sum of every runner's `k6_vus` at one instant (a subquery at
 * Prometheus' evaluation interval unless `resolution` is given). The max of each runner's own peak
 * would understate a split run by the number of runners.
 */
export function runPeakVusQuery(selector: string, range: PromRange, resolution = ""): string {
  return `max by (testid) (max_over_time(sum by (testid) (k6_vus${matchers(selector)})[${range}:${resolution}]))`;
}

/**
 * Number of k6 runners of the run: distinct `runner` labels on its `k6_vus` series; 1 for a run
 * without the label (a stack without extra runners).
 */
export function runRunnersQuery(selector: string, range: PromRange): string {
  return `count by (testid) (count by (testid, runner) (last_over_time(k6_vus${matchers(selector)}[${range}])))`;
}

/** HTTP requests of the run (k6_http_reqs_total at its last sample, summed over its series and runners). */
export function runRequestsQuery(selector: string, range: PromRange): string {
  return `sum by (testid) (last_over_time(k6_http_reqs_total${matchers(selector)}[${range}]))`;
}

/**
 * Throughput, requests per second over the whole run: requests ÷ duration (both from
 * {@link runRequestsQuery} and {@link runDurationQuery}; a one-second run divides by 1).
 */
export function runThroughputQuery(selector: string, range: PromRange): string {
  return `${runRequestsQuery(selector, range)} / clamp_min(${runDurationQuery(selector, range)}, 1)`;
}

/**
 * Share of the run's requests k6 counted as failed (expected_response="false"); 0 when no request
 * failed (not "no data").
 */
export function runErrorRateQuery(selector: string, range: PromRange): string {
  const failed = `sum by (testid) (last_over_time(k6_http_reqs_total${matchers(selector, 'expected_response="false"')}[${range}]))`;
  const all = runRequestsQuery(selector, range);
  return `${failed} / ${all} or 0 * ${all}`;
}

/**
 * Pass rate of all the run's checks together. k6_checks_rate is each check's pass rate since the
 * start of the run, per check and scenario; without the per-check counts the series are averaged
 * unweighted, which equals k6's overall rate when every check runs equally often (one check per
 * request, the common case). {@link runWorstCheckQuery} is exact.
 */
export function runCheckRateQuery(selector: string, range: PromRange): string {
  return `avg by (testid) (last_over_time(k6_checks_rate${matchers(selector)}[${range}]))`;
}

/** Pass rate of the run's worst check (exact: the minimum of per-check rates). */
export function runWorstCheckQuery(selector: string, range: PromRange): string {
  return `min by (testid) (last_over_time(k6_checks_rate${matchers(selector)}[${range}]))`;
}

/**
 * Whole-run http_req_duration quantile, seconds, in a trend mode.
 * - stats: k6 sends `k6_http_req_duration_p95`/`_p99` per series (endpoint, status, method), each
 *   the percentile of that series since the start of the run; percentiles cannot be merged, so this
 *   is the slowest series' value (`max`), an upper bound of the run's overall percentile.
 * - nativeHistogram: the last (cumulative) histogram of each series, summed: the exact percentile
 *   of all the run's requests, within the histogram's bucket resolution (factor 1.1).
 */
export function runLatencyQuantileQuery(
  mode: TrendMode,
  quantile: RunQuantile,
  selector: string,
  range: PromRange,
): string {
  if (mode === "stats") {
    const metric = quantile === "0.95" ? "k6_http_req_duration_p95" : "k6_http_req_duration_p99";
    return `max by (testid) (last_over_time(${metric}${matchers(selector)}[${range}]))`;
  }
  return `histogram_quantile(${quantile}, sum by (testid) (last_over_time(k6_http_req_duration_seconds${matchers(selector)}[${range}])))`;
}

/**
 * The raw `k6_vus` samples of the runs in `range` (an instant query answers a matrix): the first
 * and last timestamps are the exact start and end, without a subquery's resolution. Cheap for one
 * run (one sample per second of the run); {@link runStartQuery} is the one for many runs.
 */
export function runVusSamplesQuery(selector: string, range: PromRange): string {
  return `k6_vus${matchers(selector)}[${range}]`;
}

/**
 * Per trend mode, the series selector of the run's http_req_duration (a `match[]` of
 * /api/v1/series): which of them exists tells the mode the run was written in.
 */
export function runLatencySeriesSelectors(selector: string): Readonly<Record<TrendMode, string>> {
  return {
    stats: `k6_http_req_duration_p95${matchers(selector)}`,
    nativeHistogram: `k6_http_req_duration_seconds${matchers(selector)}`,
  };
}

/**
 * Seconds from the baseline's start to the candidate's start, as a one-element vector (rounded;
 * negative when the baseline is the newer run): the `offset` that draws the baseline on the
 * candidate's timeline, so both runs line up on their own starts. 1 s resolution, as k6's ticker.
 */
export function runStartShiftQuery(baseline: string, candidate: string, range: PromRange): string {
  return `round(vector(scalar(${runStartQuery(candidate, range, "1s")}) - scalar(${runStartQuery(baseline, range, "1s")})))`;
}
