// One run split over two k6 runners against a real Prometheus per trend mode: the repo's smoke
// script with a fixed number of shared iterations runs once whole (testid W) and once as two
// emitter processes at the same time with complementary execution segments and the same testid
// (S), with the flags and runner tags the program gives its runners (planK6Runners/withRunnerArgs).
// The provisioned dashboards and `npm run k6:compare` must then see S as ONE run with exactly W's
// request total, VUs summed across runners, and per-runner series where a panel asks for them.
// What this cannot prove: real k6's scheduling (the emitter follows k6's segment arithmetic, see
// tests/k6-emitter/segments.test.ts) and Grafana's own rendering (the harness runs the queries).
import { spawn } from "node:child_process";
import * as path from "node:path";
import { withRunnerArgs } from "../../components/k6-runners";
import { planK6Runners } from "../../model/k6-runners";
import { TREND_MODES, TrendMode } from "../../model/trend-mode";
import {
  DashboardJson,
  TimeRange,
  VariableSelection,
  prepareQuery,
  provisionedDashboard,
  variableValues,
} from "../harness/grafana";
import { K6Result, SCRIPTS_DIR, runK6, uniqueTestId } from "../harness/k6";
import { PrometheusServer, startPrometheus } from "../harness/prometheus";
import { Target, startTarget } from "../harness/target";
import { REPO_DIR, TOOLS_TIMEOUT_MS, installTools } from "../harness/tools";
import { TrendModeSetups } from "../harness/trend-mode-setups";

const VUS = 4;
const ITERATIONS = 48;
/** Every iteration visits the script's 4 default paths; no extra 404 (NOT_FOUND_EVERY=0). */
const REQUESTS = ITERATIONS * 4;
const ENV = { SLEEP: "0.25", NOT_FOUND_EVERY: "0", MAX_FAILURE_RATE: "0.5", MIN_CHECK_RATE: "0.5" };

interface ModeSetup {
  readonly prom: PrometheusServer;
  readonly whole: { testId: string; result: K6Result };
  readonly split: { testId: string; results: K6Result[] };
}

let target: Target;
const setups = new TrendModeSetups<ModeSetup>();
const [local, east] = planK6Runners([{ name: "east", host: "tcp://east.example.com:2376", weight: 1 }]);

function run(mode: TrendMode, prom: PrometheusServer, testId: string, plan = local): Promise<K6Result> {
  return runK6({
    trendMode: mode,
    script: path.join(SCRIPTS_DIR, "smoke.js"),
    testId,
    remoteWriteUrl: prom.remoteWriteUrl,
    targetUrl: target.url,
    extraEnv: ENV,
    editArgs: (a) => {
      const shared = [
        ...a.slice(0, -1),
        "--vus",
        String(VUS),
        "--iterations",
        String(ITERATIONS),
        ...a.slice(-1),
      ];
      return plan === undefined ? shared : withRunnerArgs(shared, plan);
    },
  });
}

async function setUp(mode: TrendMode): Promise<ModeSetup> {
  const tools = await installTools();
  const prom = await startPrometheus({ tools, trendMode: mode });
  const wholeId = uniqueTestId(`whole-${mode}`);
  const whole = await run(mode, prom, wholeId, { name: "local" });
  const splitId = uniqueTestId(`split-${mode}`);
  const results = await Promise.all([run(mode, prom, splitId, local), run(mode, prom, splitId, east)]);
  for (const r of [whole, ...results]) {
    expect({ code: r.code, stderr: r.code === 0 ? "" : r.stderr.slice(-2000) }).toEqual({
      code: 0,
      stderr: "",
    });
  }
  // Let Prometheus take the last pushes and stale markers.
  await new Promise((r) => setTimeout(r, 2000));
  return { prom, whole: { testId: wholeId, result: whole }, split: { testId: splitId, results } };
}

beforeAll(async () => {
  await installTools();
  target = await startTarget({ failEvery: 0 });
  setups.start(setUp);
}, TOOLS_TIMEOUT_MS);

afterAll(async () => {
  await setups.stop();
  await target?.close();
});

async function panelValues(
  prom: PrometheusServer,
  json: DashboardJson,
  title: string,
  range: TimeRange,
  selection: VariableSelection,
  by = "testid",
): Promise<Map<string, Map<string, number>>> {
  const panel = json.panels.find((p) => p.title === title);
  if (panel === undefined) throw new Error(`${json.uid} has no panel "${title}"`);
  const out = new Map<string, Map<string, number>>();
  for (const t of panel.targets ?? []) {
    const q = prepareQuery(t, { range, variables: json.templating.list ?? [], selection });
    const series = q.instant
      ? await prom.query(q.expr, q.end)
      : await prom.queryRange(q.expr, q.start, q.end, q.step);
    out.set(
      t.refId,
      new Map(
        series.map((s) => [
          s.metric[by] ?? "",
          q.instant ? Number(s.value?.[1]) : Math.max(...(s.values ?? []).map(([, v]) => Number(v))),
        ]),
      ),
    );
  }
  return out;
}

describe.each(TREND_MODES)("%s trend mode", (mode) => {
  let s: ModeSetup;
  let range: TimeRange;
  const dashboard = (prefix: string): DashboardJson => provisionedDashboard(mode, prefix);

  beforeAll(async () => {
    s = await setups.get(mode)!;
    range = { from: Math.floor(s.whole.result.startedAt) - 60, to: Math.ceil(Date.now() / 1000) + 1 };
  }, 240_000);

  test("the runners each ran their segment: 2 of 4 VUs and 24 of 48 iterations, together exactly the whole", () => {
    const reqs = (r: K6Result) => Number(r.summary.metrics.http_reqs?.count);
    expect(reqs(s.whole.result)).toBe(REQUESTS);
    expect(s.split.results.map(reqs)).toEqual([REQUESTS / 2, REQUESTS / 2]);
    expect(s.split.results[0]!.args).toEqual(
      expect.arrayContaining([
        "--execution-segment",
        "0:1/2",
        "--execution-segment-sequence",
        "0,1/2,1",
        "runner=local",
      ]),
    );
    expect(s.split.results[1]!.args).toEqual(
      expect.arrayContaining(["--execution-segment", "1/2:1", "runner=east"]),
    );
  });

  test("the Runs table shows the split run as one row, with the whole run's request total and 2 runners", async () => {
    const cols = await panelValues(s.prom, dashboard("k6obs-runs-"), "Runs", range, {});
    // A Start, B End, C Duration, D Requests, E Error rate, F p95, G p99, H Checks, I Runners.
    expect([...(cols.get("B")?.keys() ?? [])].sort()).toEqual([s.split.testId, s.whole.testId].sort());
    expect(cols.get("D")?.get(s.split.testId)).toBe(REQUESTS);
    expect(cols.get("D")?.get(s.whole.testId)).toBe(REQUESTS);
    expect(cols.get("I")?.get(s.split.testId)).toBe(2);
    expect(cols.get("I")?.get(s.whole.testId)).toBe(1);
    for (const ref of ["E", "F", "G", "H"])
      expect(Number.isFinite(cols.get(ref)?.get(s.split.testId))).toBe(true);
  }, 30_000);

  test("the overview: requests summed, peak VUs summed across runners (not the max of one), a series per runner", async () => {
    const json = dashboard("k6obs-k6-overview-");
    const selection = { testid: { values: [s.split.testId] }, endpoint: "all" as const };
    const values = await variableValues(
      s.prom,
      json.templating.list!.find((v) => v.name === "testid")!,
      {
        range,
        variables: json.templating.list ?? [],
        selection: {},
      },
    );
    expect(values.filter((v) => v === s.split.testId)).toEqual([s.split.testId]);
    const requests = await panelValues(s.prom, json, "Requests", range, selection);
    expect(requests.get("A")?.get(s.split.testId)).toBe(REQUESTS);
    const peak = await panelValues(s.prom, json, "Peak VUs", range, selection);
    expect(peak.get("A")?.get(s.split.testId)).toBe(VUS);
    // The former query, the max of each runner's own peak, says half: what this test guards against.
    const [former] = await s.prom.query(
      `max by (testid) (max_over_time(k6_vus{testid="${s.split.testId}"}[10m]))`,
      range.to,
    );
    expect(Number(former?.value?.[1])).toBe(VUS / 2);
    const perRunner = await panelValues(s.prom, json, "Request rate by runner", range, selection, "runner");
    expect([...(perRunner.get("A")?.keys() ?? [])].sort()).toEqual(["east", "local"]);
    // The per-runner VUs panel evaluated at every second the run has k6_vus samples (its range
    // steps are coarser than these few-second runs): each runner peaks at its 2 of the 4 VUs.
    const panel = json.panels.find((p) => p.title === "VUs by runner")!;
    const q = prepareQuery(panel.targets![0]!, { range, variables: json.templating.list ?? [], selection });
    const raw = await s.prom.query(`k6_vus{testid="${s.split.testId}"}[10m]`, range.to);
    const seconds = [...new Set(raw.flatMap((x) => (x.values ?? []).map(([t]) => Math.ceil(Number(t)))))];
    const max: Record<string, number> = {};
    for (const t of seconds) {
      for (const x of await s.prom.query(q.expr, t)) {
        const r = x.metric.runner ?? "";
        max[r] = Math.max(max[r] ?? 0, Number(x.value?.[1]));
      }
    }
    expect(max).toEqual({ east: VUS / 2, local: VUS / 2 });
  }, 30_000);

  test("npm run k6:compare reads the split run as one run: latest is it, its error rate and checks are the whole's", async () => {
    const child = spawn(
      path.join(REPO_DIR, "node_modules/.bin/tsx"),
      [
        "ops/k6-compare/cli.ts",
        "--prometheus",
        s.prom.url,
        "--baseline",
        s.whole.testId,
        "--candidate",
        "latest",
        "--max-p95-increase",
        "1000%",
        "--json",
      ],
      { cwd: REPO_DIR, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // "close", not "exit": exit can come before the pipes are drained, leaving stdout cut short.
    const code = await new Promise<number | null>((r) => child.once("close", r));
    expect({ code, stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const doc = JSON.parse(stdout) as {
      candidate: { testId: string; start: number; end: number; figures: Record<string, number> };
      baseline: { figures: Record<string, number> };
    };
    expect(doc.candidate.testId).toBe(s.split.testId);
    expect(doc.candidate.figures.errorRate).toBe(doc.baseline.figures.errorRate);
    expect(doc.candidate.figures.checkRate).toBeCloseTo(doc.baseline.figures.checkRate!, 6);
    // Throughput is all runners' requests over the longest runner's duration, so at least the
    // whole total over the run's span (one runner's requests alone would be half of that).
    const span = doc.candidate.end - doc.candidate.start;
    expect(doc.candidate.figures.throughput).toBeGreaterThanOrEqual(REQUESTS / (span + 1));
  }, 60_000);
});
