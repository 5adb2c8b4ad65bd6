// Crash safety of the data layer. Prometheus is SIGKILLed in the middle of k6 runs (one per trend
// mode, so both float and native-histogram samples are in flight) and restarted on the same data
// directory. "Acknowledged" = visible to a query: Prometheus answers a remote write with 204 only
// after the samples are appended to the head and written to the WAL, and only committed samples are
// queryable. So every raw sample a query returned right before the kill must come back after the
// restart; a clean restart must return exactly the same samples.
import * as path from "node:path";
import { TREND_MODES, TrendMode } from "../../model/trend-mode";
import { K6Result, SCRIPTS_DIR, runK6, uniqueTestId } from "../harness/k6";
import { PrometheusServer, ResultSeries, sleep, startPrometheus } from "../harness/prometheus";
import { Target, startTarget } from "../harness/target";
import { TOOLS_TIMEOUT_MS, Tools, installTools } from "../harness/tools";

/** Raw samples per series: series key → "timestamp value" strings (histograms as JSON). */
type RawSamples = Map<string, Set<string>>;

async function rawSamples(prom: PrometheusServer, selector: string, at: number): Promise<RawSamples> {
  const series: ResultSeries[] = await prom.query(`${selector}[30m]`, at);
  const out: RawSamples = new Map();
  for (const s of series) {
    const key = JSON.stringify(Object.entries(s.metric).sort());
    const points = [
      ...(s.values ?? []).map(([t, v]) => `${t} ${v}`),
      ...(s.histograms ?? []).map(([t, h]) => `${t} ${JSON.stringify(h)}`),
    ];
    out.set(key, new Set(points));
  }
  return out;
}

function count(samples: RawSamples): number {
  return [...samples.values()].reduce((n, s) => n + s.size, 0);
}

/** Samples of `before` missing from `after`, as "series: sample" lines. */
function missing(before: RawSamples, after: RawSamples): string[] {
  const out: string[] = [];
  for (const [key, points] of before) {
    const kept = after.get(key);
    for (const p of points) {
      if (!kept?.has(p)) {
        out.push(`${key}: ${p}`);
      }
    }
  }
  return out;
}

let tools: Tools;
let target: Target;

beforeAll(async () => {
  tools = await installTools();
  target = await startTarget({ failEvery: 20 });
}, TOOLS_TIMEOUT_MS);

afterAll(async () => {
  await target?.close();
});

describe("Prometheus killed (SIGKILL) during k6 runs, restarted on the same data directory", () => {
  let prom: PrometheusServer;
  const testIds = new Map<TrendMode, string>(TREND_MODES.map((m) => [m, uniqueTestId(`crash-${m}`)]));
  const selector = `{testid=~"${[...testIds.values()].join("|")}"}`;
  let acknowledged: RawSamples;
  let acknowledgedAt = 0;
  let afterKill: RawSamples;
  let results: Map<TrendMode, K6Result>;
  let killExit: number | null = 0;

  beforeAll(async () => {
    // Flags of the nativeHistogram stack: they accept both trend modes' samples.
    prom = await startPrometheus({ tools, trendMode: "nativeHistogram" });
    const { workDir, port } = prom;
    const runs = TREND_MODES.map(async (mode) => {
      const result = await runK6({
        trendMode: mode,
        script: path.join(SCRIPTS_DIR, "load.js"),
        testId: testIds.get(mode)!,
        remoteWriteUrl: prom.remoteWriteUrl,
        targetUrl: target.url,
        extraEnv: { DURATION: "40s", VUS: "3", SLEEP: "0.2", MAX_FAILURE_RATE: "1" },
      });
      return [mode, result] as const;
    });
    // Let a few pushes land, then record what Prometheus acknowledged and kill it at once.
    await sleep(16_000);
    acknowledgedAt = Date.now() / 1000;
    acknowledged = await rawSamples(prom, selector, acknowledgedAt);
    killExit = await prom.stop("SIGKILL");
    // k6 keeps running; Prometheus stays down longer than a push interval, so pushes fail.
    await sleep(7_000);
    prom = await startPrometheus({ tools, trendMode: "nativeHistogram", workDir, port });
    afterKill = await rawSamples(prom, selector, acknowledgedAt);
    results = new Map(await Promise.all(runs));
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
    prom?.removeWorkDir();
  });

  test("the kill happened mid-run: samples of both trend modes were acknowledged, later pushes failed", () => {
    expect(killExit).toBeNull();
    for (const [mode, id] of testIds) {
      const keys = [...acknowledged.keys()].filter((k) => k.includes(id));
      expect({ mode, series: keys.length > 5 }).toEqual({ mode, series: true });
    }
    expect([...acknowledged.values()].some((points) => [...points].some((p) => p.includes("buckets")))).toBe(
      true,
    );
    expect(count(acknowledged)).toBeGreaterThan(100);
    for (const result of results.values()) {
      expect(result.stderr).toMatch(/Failed to send the time series data to the endpoint/);
    }
  }, 30_000);

  test("every sample acknowledged before the kill is still queryable after the restart", () => {
    expect(missing(acknowledged, afterKill)).toEqual([]);
  }, 30_000);

  test("k6's cumulative counters make the final totals exact despite the pushes lost while it was down", async () => {
    for (const [mode, result] of results) {
      const stored = await prom.scalar(
        `sum(last_over_time(k6_http_reqs_total{testid="${testIds.get(mode)}"}[30m]))`,
        result.endedAt + 1,
      );
      expect({ mode, stored }).toEqual({ mode, stored: Number(result.summary.metrics.http_reqs?.count) });
    }
  }, 30_000);

  test("a clean restart (SIGTERM) loses nothing", async () => {
    const at = Date.now() / 1000;
    const before = await rawSamples(prom, selector, at);
    expect(count(before)).toBeGreaterThan(count(acknowledged));
    const { workDir, port } = prom;
    expect(await prom.stop("SIGTERM")).toBe(0);
    prom = await startPrometheus({ tools, trendMode: "nativeHistogram", workDir, port });
    const after = await rawSamples(prom, selector, at);
    expect(missing(before, after)).toEqual([]);
    expect(count(after)).toBe(count(before));
  }, 60_000);
});
