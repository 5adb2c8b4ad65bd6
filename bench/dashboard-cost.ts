// Dashboard cost: 24 stored runs per trend mode, then every panel query of the mode's provisioned
// dashboards over the whole range, the project's shapes vs naive shapes.
import * as path from "node:path";
import { TrendMode } from "../components/trend-mode";
import {
  DashboardJson,
  TargetJson,
  prepareQuery,
  provisionedDashboardFiles,
} from "../tests/integration/grafana";
import { K6Result, SCRIPTS_DIR, runK6, uniqueTestId } from "../tests/integration/k6";
import { PrometheusServer } from "../tests/integration/prometheus";
import { Target } from "../tests/integration/target";
import { Tools } from "../tests/integration/tools";
import { fmt, pool, quantile, table, timed } from "./lib";

export interface StoredRuns {
  readonly mode: TrendMode;
  readonly prom: PrometheusServer;
  readonly runs: { testId: string; result: K6Result }[];
  readonly runSeconds: number;
}

/** Runs `count` k6 load tests (load.js) into prom, `concurrency` at a time, each with its own testid. */
export async function storeRuns(
  tools: Tools,
  prom: PrometheusServer,
  target: Target,
  opts: { mode: TrendMode; count: number; concurrency: number; runSeconds: number },
): Promise<StoredRuns> {
  const tasks = Array.from({ length: opts.count }, (_, i) => async () => {
    const testId = uniqueTestId(`bench-${opts.mode}-${String(i + 1).padStart(2, "0")}`);
    const result = await runK6({
      tools,
      trendMode: opts.mode,
      script: path.join(SCRIPTS_DIR, "load.js"),
      testId,
      remoteWriteUrl: prom.remoteWriteUrl,
      targetUrl: target.url,
      extraEnv: { VUS: "3", DURATION: `${opts.runSeconds}s`, SLEEP: "0.5", MAX_FAILURE_RATE: "1" },
      timeoutMs: (opts.runSeconds + 120) * 1000,
    });
    if (result.code !== 0) {
      throw new Error(`stored run ${testId} exited ${result.code}:\n${result.stderr.slice(-2000)}`);
    }
    return { testId, result };
  });
  const runs = await pool(opts.concurrency, tasks);
  return { mode: opts.mode, prom, runs, runSeconds: opts.runSeconds };
}

/**
 * The naive shape of a panel query: what a dashboard without the project's choices does. The run
 * selector is "All" (testid=~".*", every stored run), and single-value panels are range queries
 * reduced in the browser instead of one instant query.
 */
function naive(t: TargetJson): TargetJson {
  return { ...t, expr: t.expr.replace(/testid=~"\$testid"/g, 'testid=~".*"'), instant: false };
}

interface QueryTiming {
  readonly dashboard: string;
  readonly panel: string;
  readonly refId: string;
  readonly projectMs: number[];
  readonly naiveMs: number[];
  readonly projectSeries: number;
  readonly naiveSeries: number;
}

export interface DashboardCostResult {
  readonly mode: TrendMode;
  readonly runs: number;
  readonly rangeSeconds: number;
  readonly queries: QueryTiming[];
  readonly project: { p50: number; p95: number; totalMs: number };
  readonly naive: { p50: number; p95: number; totalMs: number };
}

async function runQuery(
  prom: PrometheusServer,
  t: TargetJson,
  dash: DashboardJson,
  range: { from: number; to: number },
  testId: string,
) {
  const qr = prepareQuery(t, {
    range,
    variables: dash.templating.list ?? [],
    selection: { testid: { values: [testId] }, endpoint: "all" },
  });
  const [series, ms] = await timed(() =>
    qr.instant ? prom.query(qr.expr, qr.end) : prom.queryRange(qr.expr, qr.start, qr.end, qr.step),
  );
  return { series: series.length, ms };
}

/** Times every panel query of the mode's dashboards, project vs naive, `reps` times each, interleaved. */
export async function benchDashboardCost(stored: StoredRuns, reps: number): Promise<DashboardCostResult> {
  const { prom, runs } = stored;
  const from = Math.floor(Math.min(...runs.map((r) => r.result.startedAt))) - 60;
  const to = Math.ceil(Math.max(...runs.map((r) => r.result.endedAt))) + 60;
  const range = { from, to };
  // A run in the middle of the range, as a user picking one run would.
  const testId = runs[Math.floor(runs.length / 2)]!.testId;
  const queries: QueryTiming[] = [];
  for (const { file, json } of provisionedDashboardFiles(["common", stored.mode])) {
    for (const panel of json.panels) {
      for (const t of panel.targets ?? []) {
        const timing = {
          dashboard: path.basename(file, ".json"),
          panel: panel.title,
          refId: t.refId,
          projectMs: [] as number[],
          naiveMs: [] as number[],
          projectSeries: 0,
          naiveSeries: 0,
        };
        // One warm-up of each, then interleaved measured repetitions.
        await runQuery(prom, t, json, range, testId);
        await runQuery(prom, naive(t), json, range, testId);
        for (let i = 0; i < reps; i++) {
          const p = await runQuery(prom, t, json, range, testId);
          const n = await runQuery(prom, naive(t), json, range, testId);
          timing.projectMs.push(p.ms);
          timing.naiveMs.push(n.ms);
          timing.projectSeries = p.series;
          timing.naiveSeries = n.series;
        }
        queries.push(timing);
      }
    }
  }
  const all = (k: "projectMs" | "naiveMs") => queries.flatMap((q) => q[k]);
  const summary = (k: "projectMs" | "naiveMs") => ({
    p50: quantile(all(k), 0.5),
    p95: quantile(all(k), 0.95),
    totalMs: all(k).reduce((a, b) => a + b, 0),
  });
  return {
    mode: stored.mode,
    runs: runs.length,
    rangeSeconds: to - from,
    queries,
    project: summary("projectMs"),
    naive: summary("naiveMs"),
  };
}

export function printDashboardCost(r: DashboardCostResult): string {
  const slowest = [...r.queries]
    .sort((a, b) => quantile(b.projectMs, 0.5) - quantile(a.projectMs, 0.5))
    .slice(0, 5)
    .map((q) => [
      `${q.panel} ${q.refId}`,
      fmt(quantile(q.projectMs, 0.5), 1),
      fmt(quantile(q.naiveMs, 0.5), 1),
      `${q.projectSeries}/${q.naiveSeries}`,
    ]);
  return [
    `Dashboard cost (${r.mode}): ${r.queries.length} panel queries, ${r.runs} stored runs, range ${fmt(r.rangeSeconds / 60, 1)} min`,
    table(
      ["shape", "p50 ms", "p95 ms", "total ms"],
      [
        ["project", fmt(r.project.p50, 1), fmt(r.project.p95, 1), fmt(r.project.totalMs, 0)],
        ["naive", fmt(r.naive.p50, 1), fmt(r.naive.p95, 1), fmt(r.naive.totalMs, 0)],
      ],
    ),
    `  ratio project/naive: p95 ${fmt(r.project.p95 / r.naive.p95)}, total ${fmt(r.project.totalMs / r.naive.totalMs)} (goal p95 <= 100 ms, ratio <= 0.5)`,
    "  slowest project queries (p50 ms project / naive, series returned project/naive):",
    table(["panel", "project", "naive", "series"], slowest),
  ].join("\n");
}
