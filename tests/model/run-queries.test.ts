import { metricNames } from "../../dashboards/promql";
import {
  runCheckRateQuery,
  runDurationQuery,
  runEndQuery,
  runErrorRateQuery,
  runLatencyQuantileQuery,
  runPeakVusQuery,
  runRequestsQuery,
  runRunnersQuery,
  runSelector,
  runStartQuery,
  runThroughputQuery,
  runWorstCheckQuery,
} from "../../model/run-queries";
import { TREND_MODES } from "../../model/trend-mode";

describe("whole-run PromQL", () => {
  const sel = runSelector("run-1");

  test("a run split over k6 runners: peak VUs sum the runners at an instant; runners are counted by label", () => {
    expect(runPeakVusQuery(sel, "2h", "1s")).toBe(
      'max by (testid) (max_over_time(sum by (testid) (k6_vus{testid="run-1"})[2h:1s]))',
    );
    expect(runRunnersQuery(sel, "2h")).toBe(
      'count by (testid) (count by (testid, runner) (last_over_time(k6_vus{testid="run-1"}[2h])))',
    );
    expect(metricNames(runPeakVusQuery(sel, "2h"))).toEqual(["k6_vus"]);
  });

  test("a run's selector is its exact testid; ids PromQL would need escaped are refused by name", () => {
    expect(sel).toBe('testid="run-1"');
    expect(() => runSelector("")).toThrow('testid "" is not usable in PromQL');
    expect(() => runSelector('a"b')).toThrow('testid "a\\"b" is not usable in PromQL');
    expect(() => runSelector("a\\b")).toThrow("is not usable in PromQL");
  });

  test("start and end come from k6_vus timestamps; the resolution and @ modifier are the caller's", () => {
    expect(runStartQuery(sel, "2h", "1s")).toBe(
      'min by (testid) (min_over_time(timestamp(k6_vus{testid="run-1"})[2h:1s]))',
    );
    expect(runEndQuery("", "$__range", "1s", "end()")).toBe(
      "max by (testid) (max_over_time(timestamp(k6_vus)[$__range:1s] @ end()))",
    );
    expect(runDurationQuery(sel, "2h")).toBe(
      'max by (testid) (count_over_time(k6_vus{testid="run-1"}[2h])) - 1',
    );
  });

  test("error rate is 0, not empty, for a run without failures", () => {
    expect(runErrorRateQuery(sel, "2h")).toBe(
      'sum by (testid) (last_over_time(k6_http_reqs_total{testid="run-1", expected_response="false"}[2h])) / ' +
        `${runRequestsQuery(sel, "2h")} or 0 * ${runRequestsQuery(sel, "2h")}`,
    );
  });

  test.each(TREND_MODES)("%s latency reads only its own mode's metric", (mode) => {
    const p95 = runLatencyQuantileQuery(mode, "0.95", sel, "2h");
    const p99 = runLatencyQuantileQuery(mode, "0.99", sel, "2h");
    expect([metricNames(p95), metricNames(p99)]).toEqual(
      mode === "stats"
        ? [["k6_http_req_duration_p95"], ["k6_http_req_duration_p99"]]
        : [["k6_http_req_duration_seconds"], ["k6_http_req_duration_seconds"]],
    );
  });

  test("every builder is PromQL Prometheus' own grammar reads", () => {
    const all = [
      runStartQuery(sel, "2h"),
      runEndQuery(sel, "2h", "1s", "end()"),
      runDurationQuery(sel, "2h"),
      runRequestsQuery(sel, "2h"),
      runThroughputQuery(sel, "2h"),
      runErrorRateQuery(sel, "2h"),
      runCheckRateQuery(sel, "2h"),
      runWorstCheckQuery(sel, "2h"),
      ...TREND_MODES.map((m) => runLatencyQuantileQuery(m, "0.99", sel, "$__range")),
    ];
    for (const expr of all) {
      expect(metricNames(expr).length).toBeGreaterThan(0);
    }
  });
});
