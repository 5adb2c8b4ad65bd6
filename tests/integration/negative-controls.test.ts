// Negative controls: the checks of data-path.test.ts can fail. Without the remote-write receiver
// k6's writes are refused; a dashboard query on a metric k6 does not emit returns nothing, and the
// same dashboard checker that passes the project's settings flags it.
import * as path from "node:path";
import { K6_TREND_STATS } from "../../model/k6";
import { runDashboardQueries } from "../harness/dashboard-queries";
import { provisionedDashboardFiles } from "../harness/grafana";
import { K6Result, SCRIPTS_DIR, runK6, uniqueTestId } from "../harness/k6";
import { PrometheusServer, REMOTE_WRITE_RECEIVER_FLAG, startPrometheus } from "../harness/prometheus";
import { Target, startTarget } from "../harness/target";
import { TOOLS_TIMEOUT_MS, Tools, installTools } from "../harness/tools";

const SHORT_RUN = { DURATION: "6s", VUS: "2", SLEEP: "0.2", MAX_FAILURE_RATE: "1" } as const;

let tools: Tools;
let target: Target;

beforeAll(async () => {
  tools = await installTools();
  target = await startTarget({ failEvery: 20 });
}, TOOLS_TIMEOUT_MS);

afterAll(async () => {
  await target?.close();
});

describe("without --web.enable-remote-write-receiver", () => {
  let prom: PrometheusServer;
  let removed = false;

  beforeAll(async () => {
    prom = await startPrometheus({
      tools,
      trendMode: "stats",
      editFlags: (flags) => {
        removed = flags.includes(REMOTE_WRITE_RECEIVER_FLAG);
        return flags.filter((f) => f !== REMOTE_WRITE_RECEIVER_FLAG);
      },
    });
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    prom?.removeWorkDir();
  });

  test("the project's flags include the receiver (so removing it is the only difference)", () => {
    expect(removed).toBe(true);
    expect(prom.flags).not.toContain(REMOTE_WRITE_RECEIVER_FLAG);
  }, 30_000);

  test("k6's remote writes are answered 404 and nothing is stored", async () => {
    const testId = uniqueTestId("neg-receiver");
    const result = await runK6({
      trendMode: "stats",
      script: path.join(SCRIPTS_DIR, "smoke.js"),
      testId,
      remoteWriteUrl: prom.remoteWriteUrl,
      targetUrl: target.url,
      extraEnv: SHORT_RUN,
    });
    // The load test itself runs; only the output fails.
    expect(Number(result.summary.metrics.http_reqs?.count)).toBeGreaterThan(0);
    expect(result.stderr).toMatch(/Failed to send the time series data to the endpoint/);
    expect(result.stderr).toMatch(/got status code: 404/);
    expect(await prom.query(`{testid="${testId}"}`, result.endedAt)).toEqual([]);
  }, 60_000);
});

describe("dashboard queries on metrics k6 does not emit", () => {
  let prom: PrometheusServer;
  let p99Only: { testId: string; result: K6Result };
  let statsRun: { testId: string; result: K6Result };

  // Gauges end with a stale marker, so a run must span a 15s panel step to show in it: 22s runs.
  const run = async (
    label: string,
    editEnv?: (env: Record<string, string>) => Record<string, string>,
    paths?: string,
  ) => {
    const testId = uniqueTestId(label);
    const result = await runK6({
      trendMode: "stats",
      script: path.join(SCRIPTS_DIR, "smoke.js"),
      testId,
      remoteWriteUrl: prom.remoteWriteUrl,
      targetUrl: target.url,
      extraEnv: { ...SHORT_RUN, DURATION: "22s", ...(paths === undefined ? {} : { PATHS: paths }) },
      editEnv,
    });
    expect(result.code).toBe(0);
    return { testId, result };
  };
  const rangeOf = (r: K6Result) => ({ from: Math.floor(r.startedAt) - 30, to: Math.ceil(r.endedAt) + 5 });

  beforeAll(async () => {
    prom = await startPrometheus({ tools, trendMode: "stats" });
    let removedStats: string | undefined;
    [p99Only, statsRun] = await Promise.all([
      // The most common misconfiguration: K6_PROMETHEUS_RW_TREND_STATS left at k6's default.
      run("neg-p99only", (env) => {
        const { K6_PROMETHEUS_RW_TREND_STATS: stats, ...rest } = env;
        removedStats = stats;
        return rest;
      }),
      // Also exercises the PATHS override and the grouping of URLs into endpoints.
      run("neg-mixed", undefined, "/-/healthy, /items/7,/items/8?x=1"),
    ]);
    expect(removedStats).toBe(K6_TREND_STATS.join(","));
  }, 90_000);

  afterAll(async () => {
    await prom?.stop();
    prom?.removeWorkDir();
  });

  test("k6's default trend stats (p99 only) leave the stats dashboard's p95 panels empty", async () => {
    const { testId, result } = p99Only;
    const results = await runDashboardQueries(
      prom,
      provisionedDashboardFiles(["stats"]),
      testId,
      rangeOf(result),
    );
    const empty = results.filter((r) => !r.hasData).map((r) => r.where);
    // Every query built on p95 is empty; p99 and everything else still shows data.
    expect(empty.sort()).toEqual(
      [
        "k6obs-compare-stats.json / Latency p95 over time / A",
        "k6obs-compare-stats.json / Latency p95 over time / B",
        "k6obs-compare-stats.json / p95 latency / A",
        "k6obs-compare-stats.json / p95 latency / B",
        "k6obs-compare-stats.json / p95 latency change / A",
        "k6obs-k6-overview-stats.json / Iteration duration p95 / A",
        "k6obs-k6-overview-stats.json / Latency p95 / p99 / A",
        "k6obs-k6-overview-stats.json / Latency p95 by endpoint / A",
        "k6obs-k6-overview-stats.json / p95 latency / A",
      ].sort(),
    );
  }, 30_000);

  test("the native-histogram dashboard shows no latency for a stats-mode run", async () => {
    const { testId, result } = statsRun;
    const results = await runDashboardQueries(
      prom,
      provisionedDashboardFiles(["nativeHistogram"]),
      testId,
      rangeOf(result),
    );
    const latency = results.filter((r) => r.expr.includes("_seconds"));
    expect(latency.length).toBeGreaterThan(3);
    expect(latency.filter((r) => r.hasData).map((r) => r.where)).toEqual([]);
    // ...while the mode-independent panels (request rate, VUs, ...) of the same dashboard have data.
    expect(results.filter((r) => !r.expr.includes("_seconds") && !r.hasData).map((r) => r.where)).toEqual([]);
    const names = await prom.api<string[]>("/api/v1/label/name/values", {
      "match[]": `k6_http_reqs_total{testid="${testId}"}`,
      start: String(result.startedAt - 60),
      end: String(result.endedAt + 60),
    });
    expect(names.data).toEqual(["/-/healthy", "/items/:id", "/k6obs/deliberately-missing"]);
  }, 30_000);
});
