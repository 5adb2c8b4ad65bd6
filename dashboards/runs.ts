import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as table from "@grafana/grafana-foundation-sdk/table";
import { NAME_PREFIX } from "../model/naming";
import {
  runCheckRateQuery,
  runDurationQuery,
  runEndQuery,
  runErrorRateQuery,
  runLatencyQuantileQuery,
  runRequestsQuery,
  runStartQuery,
  runRunnersQuery,
} from "../model/run-queries";
import { TrendMode } from "../model/trend-mode";
import { runAnnotations } from "./annotations";
import { k6DashboardLinks } from "./links";
import { k6OverviewUid } from "./k6-overview";
import { PROMETHEUS_DATASOURCE } from "./panels";

/** Uid of the Runs dashboard of a trend mode (its latency columns are mode-specific). */
export function runsUid(mode: TrendMode): string {
  return `${NAME_PREFIX}-runs-${mode === "stats" ? "stats" : "native"}`;
}

/** A column of the run table: its header, unit and whole-run query (one value per testid). */
interface RunColumn {
  readonly header: string;
  readonly unit: string;
  readonly expr: string;
}

/** Every run with data in the range; all columns go through it. */
const ALL_RUNS = "";
const RANGE = "$__range";

/** The columns of the run table, in order; Start and End are Unix milliseconds (Grafana's time unit). */
export function runColumns(mode: TrendMode): RunColumn[] {
  return [
    { header: "Start", unit: "dateTimeAsIso", expr: `${runStartQuery(ALL_RUNS, RANGE, "1s")} * 1000` },
    { header: "End", unit: "dateTimeAsIso", expr: `${runEndQuery(ALL_RUNS, RANGE, "1s")} * 1000` },
    { header: "Duration", unit: "s", expr: runDurationQuery(ALL_RUNS, RANGE) },
    { header: "Requests", unit: "short", expr: runRequestsQuery(ALL_RUNS, RANGE) },
    { header: "Error rate", unit: "percentunit", expr: runErrorRateQuery(ALL_RUNS, RANGE) },
    { header: "p95", unit: "s", expr: runLatencyQuantileQuery(mode, "0.95", ALL_RUNS, RANGE) },
    { header: "p99", unit: "s", expr: runLatencyQuantileQuery(mode, "0.99", ALL_RUNS, RANGE) },
    { header: "Checks", unit: "percentunit", expr: runCheckRateQuery(ALL_RUNS, RANGE) },
    { header: "Runners", unit: "short", expr: runRunnersQuery(ALL_RUNS, RANGE) },
  ];
}

const REF_IDS = "ABCDEFGHIJ";

/** The Runs dashboard of a trend mode: every run in the time range, newest first. */
export function runsDashboard(mode: TrendMode): dashboard.Dashboard {
  const columns = runColumns(mode);
  const overview = k6OverviewUid(mode);
  const latencyNote =
    mode === "stats"
      ? "p95/p99 (stats mode): the slowest series' whole-run percentile (k6 sends one per endpoint/status/method; percentiles cannot be merged)."
      : "p95/p99 (native histograms): exact whole-run percentiles of all the run's requests.";

  const panel = new table.PanelBuilder()
    .id(1)
    .title("Runs")
    .description(
      "Every k6 run (testid) with data in the time range, newest first, from Prometheus data alone. " +
        "Start/End: first and last k6_vus sample (k6 sends one per second). Duration: k6_vus samples − 1, seconds. " +
        `Error rate: requests with expected_response=false. ${latencyNote} Checks: mean pass rate of the run's checks. ` +
        "Runners: k6 processes of the run (k6Runners split one run over Docker hosts; all figures cover all of them, Duration is the longest runner's). " +
        "Thresholds passed or not cannot be shown: k6's remote-write output does not send threshold results " +
        "(they are in the run's summary JSON in the results volume). Click a testid to open the overview of that run.",
    )
    .datasource(PROMETHEUS_DATASOURCE)
    .span(24)
    .height(16)
    .sortBy([new common.TableSortByFieldStateBuilder().displayName("End").desc(true)])
    // "merge" joins the instant tables on their common label (testid): one row per run.
    .withTransformation({ id: "merge", options: {} })
    .withTransformation({
      id: "organize",
      options: {
        excludeByName: { Time: true },
        indexByName: Object.fromEntries([
          ["testid", 0],
          ...columns.map((_c, i) => [`Value #${REF_IDS[i]}`, i + 1]),
        ]),
        renameByName: Object.fromEntries(columns.map((c, i) => [`Value #${REF_IDS[i]}`, c.header])),
      },
    })
    .overrideByName("testid", [
      {
        id: "links",
        value: [
          {
            title: "Open the k6 overview for this run",
            url: `/d/${overview}?var-testid=\${__value.raw}&from=\${__data.fields.Start}&to=\${__data.fields.End}`,
          },
        ],
      },
    ]);
  columns.forEach((c, i) => {
    const refId = REF_IDS[i] ?? `Q${i}`;
    panel.withTarget(
      new prometheus.DataqueryBuilder()
        .datasource(PROMETHEUS_DATASOURCE)
        .editorMode(prometheus.QueryEditorMode.Code)
        .expr(c.expr)
        .format(prometheus.PromQueryFormat.Table)
        .instant()
        .legendFormat("{{testid}}")
        .refId(refId),
    );
    panel.overrideByName(c.header, [{ id: "unit", value: c.unit }]);
  });

  return new dashboard.DashboardBuilder(
    mode === "stats" ? "k6 runs (trend stats)" : "k6 runs (native histograms)",
  )
    .uid(runsUid(mode))
    .description(
      `Every k6 run stored in Prometheus (${mode} trend mode), newest first, linked to its overview. Generated by ` +
        "`npm run provisioning:build` from the dashboard builders; edit the code, not this JSON.",
    )
    .tags(["k6", "k6-observatory", mode])
    .editable()
    .time({ from: "now-7d", to: "now" })
    .refresh("1m")
    .timezone("browser")
    .annotations(runAnnotations())
    .links(k6DashboardLinks(mode))
    .withPanel(panel)
    .build();
}
