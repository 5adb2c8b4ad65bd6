import * as path from "node:path";
import { DashboardJson, TimeRange, VariableSelection, prepareQuery } from "./grafana";
import { PrometheusServer, ResultSeries } from "./prometheus";

/** What one panel query returned. */
export interface PanelQueryResult {
  /** `file / panel title / refId`. */
  readonly where: string;
  /** The expression after Grafana's interpolation. */
  readonly expr: string;
  readonly series: ResultSeries[];
  /** The series a panel would draw for the selected run (all series for non-k6 queries). */
  readonly shown: ResultSeries[];
  /** Whether a panel would show a value: some non-NaN point or a histogram. */
  readonly hasData: boolean;
}

/** Whether any series has a non-NaN value or a histogram. */
export function hasData(series: readonly ResultSeries[]): boolean {
  return series.some((s) => {
    const points = [...(s.values ?? []), ...(s.value ? [s.value] : [])].map((p) => Number(p[1]));
    return (
      points.some((v) => !Number.isNaN(v)) || (s.histograms?.length ?? 0) > 0 || s.histogram !== undefined
    );
  });
}

/**
 * What the tests select in every dashboard variable for one run: the run itself as `testid` and as
 * both sides of the comparison (`baseline`, `candidate`), "All" endpoints and scrape jobs.
 */
export function runSelection(testId: string): VariableSelection {
  return {
    testid: { values: [testId] },
    endpoint: "all",
    baseline: { values: [testId] },
    candidate: { values: [testId] },
    // Baseline and candidate are the same run: no start shift.
    shift: { values: ["0"] },
    job: "all",
  };
}

/** Whether a query selects the chosen run(s) through a run variable. */
function selectsRun(expr: string): boolean {
  return /\$(testid|baseline|candidate)\b/.test(expr);
}

/**
 * Runs every panel query of the dashboards against prom, as Grafana would with `testId` selected
 * (see {@link runSelection}) over `range`.
 */
export async function runDashboardQueries(
  prom: PrometheusServer,
  dashboards: readonly { file: string; json: DashboardJson }[],
  testId: string,
  range: TimeRange,
): Promise<PanelQueryResult[]> {
  const selection = runSelection(testId);
  const out: PanelQueryResult[] = [];
  for (const { file, json } of dashboards) {
    for (const panel of json.panels) {
      for (const t of panel.targets ?? []) {
        const qr = prepareQuery(t, { range, variables: json.templating.list ?? [], selection });
        const series = qr.instant
          ? await prom.query(qr.expr, qr.end)
          : await prom.queryRange(qr.expr, qr.start, qr.end, qr.step);
        const isK6 = selectsRun(t.expr);
        // A series without testid aggregates the selected runs (the comparison's deltas): shown too.
        const shown = isK6
          ? series.filter((s) => s.metric.testid === undefined || s.metric.testid === testId)
          : series;
        out.push({
          where: `${path.basename(file)} / ${panel.title} / ${t.refId}`,
          expr: qr.expr,
          series,
          shown,
          hasData: hasData(shown),
        });
      }
    }
  }
  return out;
}
