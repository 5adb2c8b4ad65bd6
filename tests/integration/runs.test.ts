// Runs in time order, runs compared, runs on the time axis: two runs of the repo's smoke script go
// through the k6-compatible emitter into one real Prometheus per trend mode, one after the other,
// the second against a slower target; the Runs table, the testid selector, the comparison and the
// run annotations are then evaluated from the provisioned JSON the way Grafana evaluates them.
// The stand-in cannot prove Grafana's rendering (the table's merge/organize transformations, the
// data link's field references): the harness runs the queries and the variable and annotation
// logic, not Grafana.
import * as path from "node:path";
import { TREND_MODES, TrendMode } from "../../model/trend-mode";
import {
  DashboardJson,
  TimeRange,
  VariableSelection,
  annotationEvents,
  prepareQuery,
  provisionedDashboard,
  provisionedDashboardFiles,
  variableValues,
} from "../harness/grafana";
import { K6Result, SCRIPTS_DIR, runK6, uniqueTestId } from "../harness/k6";
import { PrometheusServer, startPrometheus } from "../harness/prometheus";
import { Target, startTarget } from "../harness/target";
import { TOOLS_TIMEOUT_MS, installTools } from "../harness/tools";
import { TrendModeSetups } from "../harness/trend-mode-setups";

/** The second run's target holds every response back this long: its p95 must be the higher. */
const SLOW_MS = 60;
const FAST = { DURATION: "8s", VUS: "2", SLEEP: "0.2" } as const;
const SLOW = { DURATION: "12s", VUS: "2", SLEEP: "0.2" } as const;

interface Run {
  readonly testId: string;
  readonly result: K6Result;
  readonly seconds: number;
}

/**
 * Whether a run's start (seconds) lies within the k6 process's own life: not before it was spawned,
 * not after it ended minus the run's duration (2 s for whole-second rounding either way).
 */
function startsWithin(start: number, r: Run): boolean {
  return start > r.result.startedAt - 2 && start < r.result.endedAt - r.seconds + 2;
}

interface ModeSetup {
  readonly prom: PrometheusServer;
  /** The older, faster run; its testid sorts after the newer run's, so alphabetical order is wrong. */
  readonly fast: Run;
  readonly slow: Run;
}

let fastTarget: Target;
let slowTarget: Target;
const setups = new TrendModeSetups<ModeSetup>();

async function run(
  mode: TrendMode,
  prom: PrometheusServer,
  prefix: string,
  target: Target,
  env: typeof FAST | typeof SLOW,
): Promise<Run> {
  const testId = uniqueTestId(prefix);
  const result = await runK6({
    trendMode: mode,
    script: path.join(SCRIPTS_DIR, "smoke.js"),
    testId,
    remoteWriteUrl: prom.remoteWriteUrl,
    targetUrl: target.url,
    extraEnv: env,
  });
  expect({ code: result.code, stderr: result.stderr.slice(-2000) }).toEqual({
    code: 0,
    stderr: expect.any(String),
  });
  return { testId, result, seconds: Number(env.DURATION.replace("s", "")) };
}

async function setUp(mode: TrendMode): Promise<ModeSetup> {
  const tools = await installTools();
  const prom = await startPrometheus({ tools, trendMode: mode });
  const fast = await run(mode, prom, `b-fast-${mode}`, fastTarget, FAST);
  const slow = await run(mode, prom, `a-slow-${mode}`, slowTarget, SLOW);
  return { prom, fast, slow };
}

beforeAll(async () => {
  await installTools();
  fastTarget = await startTarget({ failEvery: 20 });
  slowTarget = await startTarget({ failEvery: 20, delayMs: SLOW_MS });
  setups.start(setUp);
}, TOOLS_TIMEOUT_MS);

afterAll(async () => {
  await setups.stop();
  await fastTarget?.close();
  await slowTarget?.close();
});

/** Values per testid of each instant target of a panel, keyed by refId. */
async function panelValues(
  prom: PrometheusServer,
  json: DashboardJson,
  title: string,
  range: TimeRange,
  selection: VariableSelection,
): Promise<Map<string, Map<string, number>>> {
  const panel = json.panels.find((p) => p.title === title);
  if (panel === undefined) {
    throw new Error(`${json.uid} has no panel "${title}"`);
  }
  const out = new Map<string, Map<string, number>>();
  for (const t of panel.targets ?? []) {
    const q = prepareQuery(t, { range, variables: json.templating.list ?? [], selection });
    expect({ refId: t.refId, instant: q.instant }).toEqual({ refId: t.refId, instant: true });
    const series = await prom.query(q.expr, q.end);
    out.set(t.refId, new Map(series.map((s) => [s.metric.testid ?? "", Number(s.value?.[1])])));
  }
  return out;
}

describe.each(TREND_MODES)("%s trend mode", (mode) => {
  let s: ModeSetup;
  let range: TimeRange;
  const dashboard = (prefix: string): DashboardJson => provisionedDashboard(mode, prefix);

  beforeAll(async () => {
    s = await setups.get(mode)!;
    range = { from: Math.floor(s.fast.result.startedAt) - 60, to: Math.ceil(Date.now() / 1000) + 1 };
  }, 180_000);

  test("the Runs table lists both runs newest first with their start, end, duration, requests and p95", async () => {
    const json = dashboard("k6obs-runs-");
    const cols = await panelValues(s.prom, json, "Runs", range, {});
    const col = (refId: string, run: Run) => cols.get(refId)?.get(run.testId) ?? NaN;
    // A Start, B End (ms), C Duration, D Requests, E Error rate, F p95, G p99, H Checks.
    const byEndDesc = [...(cols.get("B")?.entries() ?? [])].sort((x, y) => y[1] - x[1]).map(([id]) => id);
    expect(byEndDesc).toEqual([s.slow.testId, s.fast.testId]);
    for (const r of [s.fast, s.slow]) {
      const where = r.testId;
      // k6_vus is sent every second from the first second on: the start lies in the process's own
      // life (node's start-up on a loaded machine may delay it past the spawn, never past the end
      // minus the run's duration), the end within 2 s of the process's end.
      expect({ where, start: startsWithin(col("A", r) / 1000, r) }).toEqual({
        where,
        start: true,
      });
      expect({ where, end: Math.abs(col("B", r) / 1000 - r.result.endedAt) < 2 }).toEqual({
        where,
        end: true,
      });
      expect({ where, duration: Math.abs(col("C", r) - r.seconds) <= 1 }).toEqual({ where, duration: true });
      expect(col("D", r)).toBe(Number(r.result.summary.metrics.http_reqs?.count));
      expect(col("E", r)).toBeGreaterThan(0);
      expect(col("E", r)).toBeLessThan(0.5);
      expect(col("H", r)).toBeGreaterThan(0);
    }
    // Every slow response waited SLOW_MS: a floor that load only raises. The fast run's p95 is not
    // bounded on its own (load on 2 busy cores alone reaches tens of ms): it is lower than the slow
    // run's by at least half the injected delay (load adds to both runs alike).
    expect(col("F", s.slow)).toBeGreaterThan(SLOW_MS / 1000);
    expect(col("F", s.fast)).toBeLessThan(col("F", s.slow));
    expect(col("F", s.slow) - col("F", s.fast)).toBeGreaterThan((SLOW_MS / 1000) * 0.5);
    expect(col("G", s.slow)).toBeGreaterThanOrEqual(col("F", s.slow));
  }, 30_000);

  test("the overview's testid selector offers the runs newest first, not alphabetically", async () => {
    const json = dashboard("k6obs-k6-overview-");
    const v = (json.templating.list ?? []).find((x) => x.name === "testid")!;
    const values = await variableValues(s.prom, v, {
      range,
      variables: json.templating.list ?? [],
      selection: {},
    });
    expect(values).toEqual([s.slow.testId, s.fast.testId]);
    // The newer run's id sorts first alphabetically too ("a-" < "b-"): the old AlphabeticalDesc sort would be wrong.
    expect([...values].sort().reverse()).not.toEqual(values);
  }, 30_000);

  test("the comparison shows the faster baseline's p95 lower, the candidate's change positive", async () => {
    const json = dashboard("k6obs-compare-");
    const selection = {
      baseline: { values: [s.fast.testId] },
      candidate: { values: [s.slow.testId] },
      shift: { values: ["0"] },
    };
    for (const v of (json.templating.list ?? []).filter(
      (x) => x.name === "baseline" || x.name === "candidate",
    )) {
      expect(
        await variableValues(s.prom, v, { range, variables: json.templating.list ?? [], selection }),
      ).toEqual([s.slow.testId, s.fast.testId]);
    }
    const p95 = await panelValues(s.prom, json, "p95 latency", range, selection);
    const base = p95.get("A")?.get(s.fast.testId) ?? NaN;
    const cand = p95.get("B")?.get(s.slow.testId) ?? NaN;
    expect(base).toBeLessThan(cand);
    expect([...(p95.get("A")?.keys() ?? [])]).toEqual([s.fast.testId]);
    const change = (await panelValues(s.prom, json, "p95 latency change", range, selection))
      .get("A")
      ?.get("");
    expect(change).toBeCloseTo((cand - base) / base, 6);
    // The change is the injected delay's: at least half of SLOW_MS over the baseline's p95. (It was
    // "> 1", i.e. a baseline p95 under SLOW_MS, which load alone breaks on 2 busy cores.)
    expect(change).toBeGreaterThan(0);
    expect(change! * base).toBeGreaterThan((SLOW_MS / 1000) * 0.5);
    // Throughput: the slower target answers fewer requests per second.
    const rps = await panelValues(s.prom, json, "Throughput", range, selection);
    expect(rps.get("A")?.get(s.fast.testId)).toBeGreaterThan(rps.get("B")?.get(s.slow.testId) ?? Infinity);
    const duration = await panelValues(s.prom, json, "Duration change", range, selection);
    expect(duration.get("A")?.get("")).toBeGreaterThan(0);
  }, 30_000);

  test("the comparison's time series line both runs up on their own starts (the baseline shifted)", async () => {
    const json = dashboard("k6obs-compare-");
    const vars = json.templating.list ?? [];
    const runs = { baseline: { values: [s.fast.testId] }, candidate: { values: [s.slow.testId] } };
    const shiftVar = vars.find((v) => v.name === "shift")!;
    const [shift] = await variableValues(s.prom, shiftVar, { range, variables: vars, selection: runs });
    // The hidden variable holds the seconds between the two runs' first k6_vus samples.
    expect(Math.abs(Number(shift) - (s.slow.result.startedAt - s.fast.result.startedAt))).toBeLessThan(2);
    const panel = json.panels.find((p) => p.title === "Request rate over time")!;
    // First point of a panel query at 1 s resolution, with the given shift.
    const firstPoint = async (refId: string, shiftBy: string): Promise<number> => {
      const t = panel.targets!.find((x) => x.refId === refId)!;
      const q = prepareQuery(t, {
        range,
        variables: vars,
        selection: { ...runs, shift: { values: [shiftBy] } },
      });
      const series = await s.prom.queryRange(q.expr, q.start, q.end, 1);
      const times = series.flatMap((x) =>
        (x.values ?? []).filter(([, v]) => !Number.isNaN(Number(v))).map(([ts]) => Number(ts)),
      );
      expect({ refId, points: times.length > 0 }).toEqual({ refId, points: true });
      return Math.min(...times);
    };
    const candidateFirst = await firstPoint("B", shift!);
    // Shifted, the baseline begins with the candidate; unshifted it would begin `shift` seconds earlier.
    expect(Number(shift)).toBeGreaterThanOrEqual(5);
    expect(Math.abs((await firstPoint("A", shift!)) - candidateFirst)).toBeLessThanOrEqual(2);
    expect(Math.abs(candidateFirst - (await firstPoint("A", "0")) - Number(shift))).toBeLessThanOrEqual(2);
  }, 30_000);

  test("every k6 dashboard marks each run's start and end at the run's own seconds", async () => {
    for (const { json } of provisionedDashboardFiles([mode])) {
      const events = await annotationEvents(s.prom, json, { range, selection: {} });
      for (const r of [s.fast, s.slow]) {
        const mine = events.filter((e) => e.labels.testid === r.testId);
        const where = `${json.uid} ${r.testId}`;
        expect({ where, names: mine.map((e) => e.annotation) }).toEqual({
          where,
          names: ["Run start", "Run end"],
        });
        const [start, end] = mine;
        expect({ where, marker: start!.time === start!.timeEnd && end!.time === end!.timeEnd }).toEqual({
          where,
          marker: true,
        });
        expect({ where, start: startsWithin(start!.time / 1000, r) }).toEqual({
          where,
          start: true,
        });
        expect({ where, end: Math.abs(end!.time / 1000 - r.result.endedAt) < 2 }).toEqual({
          where,
          end: true,
        });
      }
    }
  }, 60_000);
});
