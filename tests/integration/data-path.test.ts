// Every panel of every provisioned dashboard shows data: the repo's own k6 scripts and k6 env run
// against a local target and remote-write into a real Prometheus started with the repo's own flags
// and config; then every dashboard query, interpolated the way Grafana does, runs against it.
import * as path from "node:path";
import { modeOnlyMetricNames } from "../../dashboards/k6-metrics";
import { metricNames } from "../../dashboards/promql";
import { TREND_MODES, TrendMode } from "../../model/trend-mode";
import { runDashboardQueries, runSelection } from "../harness/dashboard-queries";
import { DashboardJson, provisionedDashboardFiles, variableValues } from "../harness/grafana";
import { K6Result, SCRIPTS_DIR, runK6, uniqueTestId } from "../harness/k6";
import { PrometheusServer, startPrometheus } from "../harness/prometheus";
import { Target, startTarget } from "../harness/target";
import { TOOLS_TIMEOUT_MS, Tools, installTools } from "../harness/tools";
import { TrendModeSetups } from "../harness/trend-mode-setups";

/** Short runs: long enough for several remote-write pushes and two self-scrapes. */
const RUN_ENV = { DURATION: "20s", VUS: "3", SLEEP: "0.2" } as const;
const SCRIPTS = ["smoke.js", "load.js"] as const;

let tools: Tools;
let target: Target;

/** One trend mode's Prometheus, with both example scripts run into it. */
interface ModeSetup {
  readonly prom: PrometheusServer;
  readonly runs: Map<string, { testId: string; result: K6Result }>;
  /** Metric names the mode's k6 runs actually wrote. */
  readonly emitted: Set<string>;
}

async function setUp(mode: TrendMode): Promise<ModeSetup> {
  const prom = await startPrometheus({ tools, trendMode: mode });
  // Both example scripts at once, each with its own testid, on one Prometheus.
  const results = await Promise.all(
    SCRIPTS.map(async (script) => {
      const testId = uniqueTestId(`it-${mode}-${script.replace(".js", "")}`);
      const result = await runK6({
        trendMode: mode,
        script: path.join(SCRIPTS_DIR, script),
        testId,
        remoteWriteUrl: prom.remoteWriteUrl,
        targetUrl: target.url,
        extraEnv: RUN_ENV,
      });
      return [script, { testId, result }] as const;
    }),
  );
  // The self-health panels rate() Prometheus' own counters: wait for a third self-scrape.
  await prom.waitForSelfScrapes(3);
  const names = await prom.api<string[]>("/api/v1/label/__name__/values", { "match[]": '{testid=~".+"}' });
  return { prom, runs: new Map(results), emitted: new Set(names.data) };
}

/** Both modes are set up at the same time (separate Prometheus servers) to halve the wall time. */
const setups = new TrendModeSetups<ModeSetup>();

beforeAll(async () => {
  tools = await installTools();
  target = await startTarget({ failEvery: 20 });
  setups.start(setUp);
}, TOOLS_TIMEOUT_MS);

afterAll(async () => {
  await setups.stop();
  await target?.close();
});

describe.each(TREND_MODES)("%s trend mode", (mode) => {
  let prom: PrometheusServer;
  let runs: ModeSetup["runs"];
  let emitted: Set<string>;
  let dashboards: { file: string; json: DashboardJson }[];

  beforeAll(async () => {
    ({ prom, runs, emitted } = await setups.get(mode)!);
    dashboards = provisionedDashboardFiles(["common", mode]);
  }, 180_000);

  test.each(SCRIPTS)("%s runs, passes its thresholds and pushes without errors", (script) => {
    const run = runs.get(script);
    expect(run).toBeDefined();
    const { result } = run!;
    expect({ code: result.code, stderr: result.stderr.slice(-2000) }).toEqual({
      code: 0,
      stderr: expect.any(String),
    });
    expect(result.stderr).not.toMatch(/Failed to send the time series|Some samples may be dropped/);
    expect(result.env.K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM).toBe(String(mode === "nativeHistogram"));
  });

  test.each(SCRIPTS)(
    "Prometheus holds exactly the requests k6 counted (%s)",
    async (script) => {
      const { testId, result } = runs.get(script)!;
      const k6Count = Number(result.summary.metrics.http_reqs?.count);
      expect(k6Count).toBeGreaterThan(0);
      const stored = await prom.scalar(
        `sum(last_over_time(k6_http_reqs_total{testid="${testId}"}[10m]))`,
        result.endedAt + 1,
      );
      expect(stored).toBe(k6Count);
    },
    30_000,
  );

  test("the dashboard variables list the runs and their endpoints", async () => {
    const { testId, result } = runs.get("load.js")!;
    const range = { from: Math.floor(result.startedAt) - 60, to: Math.ceil(result.endedAt) + 60 };
    for (const { json } of dashboards) {
      for (const v of json.templating.list ?? []) {
        // Evaluated as Grafana does (label_values or query_result, regex, sort), with the run selected.
        const values = await variableValues(prom, v, {
          range,
          variables: json.templating.list ?? [],
          selection: runSelection(testId),
        });
        expect({ variable: v.name, values: values.length > 0 }).toEqual({ variable: v.name, values: true });
        if (["testid", "baseline", "candidate"].includes(v.name)) {
          expect(values).toContain(testId);
        }
        if (v.name === "endpoint") {
          expect(values).toEqual(
            expect.arrayContaining(["/-/healthy", "/api/v1/query", "/k6obs/deliberately-missing"]),
          );
        }
      }
    }
  }, 30_000);

  test.each(SCRIPTS)(
    "every panel query of every provisioned dashboard returns data for the run (%s)",
    async (script) => {
      const { testId, result } = runs.get(script)!;
      // The dashboard's time range: from a little before the run until now.
      const range = { from: Math.floor(result.startedAt) - 30, to: Math.ceil(Date.now() / 1000) };
      for (const { json } of dashboards) {
        for (const t of json.panels.flatMap((p) => p.targets ?? [])) {
          expect(t.datasource).toEqual({ type: "prometheus", uid: "prometheus" });
        }
      }
      const results = await runDashboardQueries(prom, dashboards, testId, range);
      expect(results.length).toBeGreaterThan(20);
      // k6 queries return the selected run only, never the other script's run on the same Prometheus.
      const leaks = results.filter((r) => r.expr.includes("testid=") && r.series.length !== r.shown.length);
      expect(leaks.map((r) => r.where)).toEqual([]);
      expect(results.filter((r) => !r.hasData).map((r) => `${r.where}: ${r.expr}`)).toEqual([]);
    },
    30_000,
  );

  test("the metric names the dashboards use are the names k6 actually wrote", () => {
    const written = emitted;
    const used = new Set(
      dashboards.flatMap(({ json }) =>
        json.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(t.expr))),
      ),
    );
    const k6Used = [...used].filter((n) => n.startsWith("k6_"));
    expect(k6Used.length).toBeGreaterThan(5);
    expect(k6Used.filter((n) => !written.has(n))).toEqual([]);
    // The static list of mode-only names (used by the unit test) matches what k6 really wrote.
    expect(modeOnlyMetricNames(mode).filter((n) => !written.has(n))).toEqual([]);
  });
});

test("each mode's dashboards reference no metric that only the other mode emits", async () => {
  for (const mode of TREND_MODES) {
    const other: TrendMode = mode === "stats" ? "nativeHistogram" : "stats";
    const mine = (await setups.get(mode)!).emitted;
    const theirs = (await setups.get(other)!).emitted;
    const otherOnly = [...theirs].filter((n) => !mine.has(n));
    expect(otherOnly.length).toBeGreaterThan(0);
    const used = provisionedDashboardFiles(["common", mode]).flatMap(({ json }) =>
      json.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(t.expr))),
    );
    expect({ mode, conflicts: used.filter((n) => otherOnly.includes(n)) }).toEqual({ mode, conflicts: [] });
  }
});
