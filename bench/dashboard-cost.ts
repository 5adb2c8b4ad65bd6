// Dashboard cost: stored runs per trend mode, then every panel query of the mode's provisioned
// dashboards over the whole range, the project's shapes vs naive shapes; and whether recording
// rules would pay for themselves.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { TrendMode } from "../model/trend-mode";
import {
  DashboardJson,
  TargetJson,
  TimeRange,
  prepareQuery,
  provisionedDashboardFiles,
} from "../tests/harness/grafana";
import { runSelection } from "../tests/harness/dashboard-queries";
import { K6Result, SCRIPTS_DIR, runK6, uniqueTestId } from "../tests/harness/k6";
import { PrometheusServer, RULES_DIR } from "../tests/harness/prometheus";
import { Target } from "../tests/harness/target";
import { fmt, pool, quantile, table, timed } from "./lib";

export interface StoredRuns {
  readonly mode: TrendMode;
  readonly prom: PrometheusServer;
  readonly runs: { testId: string; result: K6Result }[];
  readonly runSeconds: number;
}

/**
 * Candidate recording rules (not shipped): each replaces one project panel query with a
 * pre-computed series. The benchmark measures whether reading them is cheaper enough to pay for
 * evaluating them every 15 s for as long as Prometheus runs.
 */
export function candidateRules(mode: TrendMode): { record: string; expr: string; replaces: string }[] {
  const common = [
    {
      record: "k6obs:http_reqs:rate1m",
      expr: "sum by (testid) (rate(k6_http_reqs_total[1m]))",
      replaces: "Request rate",
    },
    {
      record: "k6obs:http_reqs:rate1m_by_name",
      expr: "sum by (testid, name) (rate(k6_http_reqs_total[1m]))",
      replaces: "Request rate by endpoint",
    },
  ];
  return mode === "stats"
    ? [
        ...common,
        {
          record: "k6obs:http_req_duration_p95:max_by_name",
          expr: "max by (testid, name) (k6_http_req_duration_p95)",
          replaces: "Latency p95 by endpoint",
        },
      ]
    : [
        ...common,
        {
          record: "k6obs:http_req_duration_seconds:p95_rate1m_by_name",
          expr: "histogram_quantile(0.95, sum by (testid, name) (rate(k6_http_req_duration_seconds[1m])))",
          replaces: "Latency p95 by endpoint",
        },
      ];
}

/** A rules directory with the repo's rule files plus the candidate group of a mode. */
export function rulesDirWithCandidates(mode: TrendMode): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-bench-rules-"));
  for (const f of fs.readdirSync(RULES_DIR)) {
    fs.copyFileSync(path.join(RULES_DIR, f), path.join(dir, f));
  }
  const rules = candidateRules(mode).map(({ record, expr }) => ({ record, expr }));
  fs.writeFileSync(
    path.join(dir, "bench-candidates.yml"),
    YAML.stringify({ groups: [{ name: "bench-candidates", rules }] }),
  );
  return dir;
}

/** Runs `count` k6 load tests (load.js) into prom, `concurrency` at a time, each with its own testid. */
export async function storeRuns(
  prom: PrometheusServer,
  target: Target,
  opts: { mode: TrendMode; count: number; concurrency: number; runSeconds: number },
): Promise<StoredRuns> {
  const tasks = Array.from({ length: opts.count }, (_, i) => async () => {
    const testId = uniqueTestId(`bench-${opts.mode}-${String(i + 1).padStart(2, "0")}`);
    const result = await runK6({
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
 * The naive shape of a panel query: the run selector is "All" (testid=~".*", every stored run, what
 * a dashboard without a run picker or with "All" selected queries), and single-value panels are
 * range queries reduced in the browser instead of one instant query.
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

interface QuerySummary {
  readonly p50: number;
  readonly p95: number;
  readonly totalMs: number;
  /** p95 over every single timing, jitter included. */
  readonly rawP95: number;
}

interface RuleTiming {
  readonly record: string;
  readonly replaces: string;
  readonly projectMs: number[];
  readonly recordedMs: number[];
}

export interface DashboardCostResult {
  readonly mode: TrendMode;
  readonly runs: number;
  readonly runSeconds: number;
  readonly rangeSeconds: number;
  readonly queries: QueryTiming[];
  /** k6 overview queries only (the health dashboard has no naive variant). */
  readonly project: QuerySummary;
  readonly naive: QuerySummary;
  /** All project queries of all the mode's dashboards. */
  readonly allProject: QuerySummary;
  readonly rules: RuleTiming[];
  /** Cost of the candidate rule group: last evaluation, series it adds per run. */
  readonly ruleEvalMs: number;
  readonly ruleSeriesPerRun: number;
}

async function runTarget(
  prom: PrometheusServer,
  t: TargetJson,
  dash: DashboardJson,
  range: TimeRange,
  testId: string,
) {
  const qr = prepareQuery(t, {
    range,
    variables: dash.templating.list ?? [],
    selection: runSelection(testId),
  });
  const [series, ms] = await timed(() =>
    qr.instant ? prom.query(qr.expr, qr.end) : prom.queryRange(qr.expr, qr.start, qr.end, qr.step),
  );
  return { series: series.length, ms };
}

/**
 * p50/p95 across queries of each query's median time over its repetitions (the repetitions only
 * remove jitter such as a GC pause landing on one request), and the sum of those medians: the time
 * one load of the dashboard spends in Prometheus when panels are queried one after another.
 */
function summary(perQuery: readonly (readonly number[])[]): QuerySummary {
  const medians = perQuery.map((ms) => quantile(ms, 0.5));
  return {
    p50: quantile(medians, 0.5),
    p95: quantile(medians, 0.95),
    totalMs: medians.reduce((a, b) => a + b, 0),
    rawP95: quantile(perQuery.flat(), 0.95),
  };
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
  const dashboards = provisionedDashboardFiles(["common", stored.mode]);
  for (const { file, json } of dashboards) {
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
        await runTarget(prom, t, json, range, testId);
        await runTarget(prom, naive(t), json, range, testId);
        for (let i = 0; i < reps; i++) {
          const p = await runTarget(prom, t, json, range, testId);
          const n = await runTarget(prom, naive(t), json, range, testId);
          timing.projectMs.push(p.ms);
          timing.naiveMs.push(n.ms);
          timing.projectSeries = p.series;
          timing.naiveSeries = n.series;
        }
        queries.push(timing);
      }
    }
  }

  // Candidate recording rules: the recorded series vs the panel query it would replace.
  const overview = dashboards.find((d) => d.json.uid.startsWith("k6obs-k6-overview"))!.json;
  const rules: RuleTiming[] = [];
  for (const c of candidateRules(stored.mode)) {
    const panel = overview.panels.find((p) => p.title === c.replaces)!;
    const t = panel.targets![0]!;
    const recorded: TargetJson = { ...t, expr: `${c.record}{testid=~"$testid"}` };
    const timing: RuleTiming = { record: c.record, replaces: c.replaces, projectMs: [], recordedMs: [] };
    await runTarget(prom, recorded, overview, range, testId);
    for (let i = 0; i < reps; i++) {
      timing.projectMs.push((await runTarget(prom, t, overview, range, testId)).ms);
      timing.recordedMs.push((await runTarget(prom, recorded, overview, range, testId)).ms);
    }
    rules.push(timing);
  }
  const ruleEvalMs =
    1000 *
    (await prom.scalar('max(prometheus_rule_group_last_duration_seconds{rule_group=~".*bench-candidates"})'));
  const recordedSeries = (
    await prom.api<unknown[]>("/api/v1/series", {
      "match[]": '{__name__=~"k6obs:.+"}',
      start: String(from),
      end: String(to),
    })
  ).data.length;

  const k6Queries = queries.filter((q) => q.dashboard.startsWith("k6obs-k6-overview"));
  return {
    mode: stored.mode,
    runs: runs.length,
    runSeconds: stored.runSeconds,
    rangeSeconds: to - from,
    queries,
    project: summary(k6Queries.map((q) => q.projectMs)),
    naive: summary(k6Queries.map((q) => q.naiveMs)),
    allProject: summary(queries.map((q) => q.projectMs)),
    rules,
    ruleEvalMs,
    ruleSeriesPerRun: recordedSeries / runs.length,
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
    `Dashboard cost (${r.mode}): ${r.queries.length} panel queries, ${r.runs} stored runs of ${r.runSeconds}s, ` +
      `range ${fmt(r.rangeSeconds / 60, 1)} min, one run selected`,
    table(
      ["k6 overview queries", "p50 ms", "p95 ms", "sum ms", "raw p95 ms"],
      [
        [
          "project shapes",
          fmt(r.project.p50, 1),
          fmt(r.project.p95, 1),
          fmt(r.project.totalMs, 1),
          fmt(r.project.rawP95, 1),
        ],
        [
          "naive shapes",
          fmt(r.naive.p50, 1),
          fmt(r.naive.p95, 1),
          fmt(r.naive.totalMs, 1),
          fmt(r.naive.rawP95, 1),
        ],
      ],
    ),
    `  ratio project/naive: p95 ${fmt(r.project.p95 / r.naive.p95)}, sum ${fmt(r.project.totalMs / r.naive.totalMs)}` +
      ` (goal ratio <= 0.5); every project query incl. Prometheus health: p50 ${fmt(r.allProject.p50, 1)} ms,` +
      ` p95 ${fmt(r.allProject.p95, 1)} ms, raw p95 ${fmt(r.allProject.rawP95, 1)} ms (goal p95 <= 100 ms)`,
    "  slowest project queries (median ms project / naive, series returned project/naive):",
    table(["panel", "project", "naive", "series"], slowest),
    `  candidate recording rules (not shipped): evaluation ${fmt(r.ruleEvalMs, 1)} ms every 15 s, ` +
      `${fmt(r.ruleSeriesPerRun, 1)} extra series per run`,
    table(
      ["replaces panel", "panel query p50 ms", "recorded series p50 ms", "saved ms"],
      r.rules.map((x) => [
        x.replaces,
        fmt(quantile(x.projectMs, 0.5), 1),
        fmt(quantile(x.recordedMs, 0.5), 1),
        fmt(quantile(x.projectMs, 0.5) - quantile(x.recordedMs, 0.5), 1),
      ]),
    ),
  ].join("\n");
}
