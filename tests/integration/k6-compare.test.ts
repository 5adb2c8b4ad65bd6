// The regression gate as a user runs it: the repo's smoke script runs twice through the emitter
// into a real Prometheus (the project's flags and config), first against a fast local target, then
// against one that answers 40 ms late; `npm run k6:compare` (its tsx command) must pass and fail
// on the right side of a limit set just above and just below the p95 increase it measures, pick
// the slower run as `latest`, and fail with its documented codes and messages on bad input.
import { spawn } from "node:child_process";
import * as path from "node:path";
import { TREND_MODES, TrendMode } from "../../model/trend-mode";
import { K6Result, SCRIPTS_DIR, runK6, uniqueTestId } from "../harness/k6";
import { PrometheusServer, freePort, startPrometheus } from "../harness/prometheus";
import { Target, startTarget } from "../harness/target";
import { REPO_DIR, TOOLS_TIMEOUT_MS, Tools, installTools } from "../harness/tools";
import { TrendModeSetups } from "../harness/trend-mode-setups";

const DELAY_MS = 40;
// Loose thresholds: the deliberate failures (404s, 503s) must not make k6 exit 99 by chance.
const RUN_ENV = {
  DURATION: "6s",
  VUS: "2",
  SLEEP: "0.1",
  MAX_FAILURE_RATE: "0.5",
  MIN_CHECK_RATE: "0.5",
} as const;

interface Cli {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the gate the way `npm run k6:compare -- ...` does; PROMETHEUS_URL only when given. */
function gate(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Cli> {
  const inherited = { ...process.env };
  delete inherited.PROMETHEUS_URL;
  const child = spawn(path.join(REPO_DIR, "node_modules/.bin/tsx"), ["ops/k6-compare/cli.ts", ...args], {
    cwd: REPO_DIR,
    env: { ...inherited, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr })); // close: pipes drained
  });
}

interface Run {
  readonly testId: string;
  readonly result: K6Result;
}

interface ModeSetup {
  readonly prom: PrometheusServer;
  /** Stats mode only: a run with k6's default trend stats (p(99) alone), so without p95 data. */
  readonly p99Only?: Run;
  readonly baseline: Run;
  readonly candidate: Run;
}

let tools: Tools;
let fast: Target;
let slow: Target;

async function run(
  prom: PrometheusServer,
  mode: TrendMode,
  target: Target,
  prefix: string,
  editEnv?: (env: Record<string, string>) => Record<string, string>,
): Promise<Run> {
  const testId = uniqueTestId(prefix);
  const result = await runK6({
    trendMode: mode,
    script: path.join(SCRIPTS_DIR, "smoke.js"),
    testId,
    remoteWriteUrl: prom.remoteWriteUrl,
    targetUrl: target.url,
    extraEnv: RUN_ENV,
    pushInterval: "1s",
    ...(editEnv !== undefined ? { editEnv } : {}),
  });
  if (result.code !== 0)
    throw new Error(`k6 run ${testId} exited ${result.code}:\n${result.stderr.slice(-2000)}`);
  return { testId, result };
}

async function setUp(mode: TrendMode): Promise<ModeSetup> {
  const prom = await startPrometheus({ tools, trendMode: mode });
  const p99Only =
    mode === "stats"
      ? await run(prom, mode, fast, "p99-only", (env) => ({ ...env, K6_PROMETHEUS_RW_TREND_STATS: "p(99)" }))
      : undefined;
  // The candidate's testid sorts before the baseline's, so `latest` cannot be alphabetical.
  const baseline = await run(prom, mode, fast, `zz-base-${mode}`);
  const candidate = await run(prom, mode, slow, `aa-cand-${mode}`);
  return { prom, baseline, candidate, ...(p99Only !== undefined ? { p99Only } : {}) };
}

const setups = new TrendModeSetups<ModeSetup>();

beforeAll(async () => {
  tools = await installTools();
  fast = await startTarget();
  slow = await startTarget({ delayMs: DELAY_MS });
  setups.start(setUp);
}, TOOLS_TIMEOUT_MS);

afterAll(async () => {
  await setups.stop();
  await fast?.close();
  await slow?.close();
});

interface JsonReport {
  passed: boolean;
  baseline: { testId: string; trendMode: string; figures: Record<string, number> };
  candidate: { testId: string; trendMode: string; figures: Record<string, number> };
  rows: { figure: string; change: { relative: number } | null; verdict: string }[];
}

describe.each(TREND_MODES)("%s trend mode", (mode) => {
  let setup: ModeSetup;
  let report: JsonReport;

  beforeAll(async () => {
    setup = await setups.get(mode)!;
    const res = await gate([
      "--baseline",
      setup.baseline.testId,
      "--candidate",
      setup.candidate.testId,
      "--prometheus",
      setup.prom.url,
      "--max-p95-increase",
      "off",
      "--max-error-rate-increase",
      "off",
      "--json",
    ]);
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: "" });
    report = JSON.parse(res.stdout) as JsonReport;
  }, 240_000);

  test("reads both runs in the mode they were written in, the candidate measurably slower", () => {
    expect(report.baseline.trendMode).toBe(mode);
    expect(report.candidate.trendMode).toBe(mode);
    const { baseline, candidate } = report;
    // Every candidate response waited DELAY_MS: a floor that load only raises. Native histogram
    // buckets are 9% wide, hence the lower bound's margin.
    expect(candidate.figures.p95).toBeGreaterThan((DELAY_MS / 1000) * 0.9);
    // The baseline is faster by about that delay. Not an absolute bound on the baseline: on 2 busy
    // cores its p95 alone was 64 ms. Load adds to both arms alike, so their difference stays near
    // DELAY_MS; half of it leaves room for the noise between the runs and the buckets' width.
    expect(baseline.figures.p95).toBeLessThan(candidate.figures.p95!);
    expect(candidate.figures.p95! - baseline.figures.p95!).toBeGreaterThan((DELAY_MS / 1000) * 0.5);
    expect(candidate.figures.p99).toBeGreaterThanOrEqual(candidate.figures.p95!);
    expect(candidate.figures.throughput).toBeLessThan(baseline.figures.throughput!);
  });

  test("error rate, check rate and throughput are the ones k6 counted", () => {
    for (const role of ["baseline", "candidate"] as const) {
      const summary = setup[role].result.summary.metrics;
      const failed = summary.http_req_failed as { value?: number };
      expect(report[role].figures.errorRate).toBeCloseTo(Number(failed.value), 6);
      // The gate's check rate is the unweighted mean of the per-check rates (run-queries.ts says why).
      const { root_group } = setup[role].result.summary as unknown as {
        root_group: { checks: Record<string, { passes: number; fails: number }> };
      };
      const perCheck = Object.values(root_group.checks).map((c) => c.passes / (c.passes + c.fails));
      expect(perCheck.length).toBeGreaterThan(1);
      const mean = perCheck.reduce((a, b) => a + b, 0) / perCheck.length;
      expect(report[role].figures.checkRate).toBeCloseTo(mean, 6);
      // Requests over k6_vus' duration (one sample per second) vs k6's own rate over its own clock.
      const reqs = summary.http_reqs as { count?: number; rate?: number };
      expect(report[role].figures.throughput).toBeGreaterThan(Number(reqs.rate) * 0.8);
      expect(report[role].figures.throughput).toBeLessThan(Number(reqs.rate) * 1.25);
    }
  });

  test("passes with the p95 limit just above the increase (candidate latest), fails just below", async () => {
    const increase = report.rows.find((r) => r.figure === "p95")?.change?.relative;
    expect(increase).toBeGreaterThan(0);
    // The relative increase is the injected delay's: at least half of DELAY_MS over the baseline's
    // p95. (It was "> 0.5", i.e. a baseline p95 under 2 x DELAY_MS, which load alone can break.)
    expect(increase! * report.baseline.figures.p95!).toBeGreaterThan((DELAY_MS / 1000) * 0.5);
    const common = ["--baseline", setup.baseline.testId, "--max-error-rate-increase", "off"];
    const above = await gate(
      [...common, "--candidate", "latest", "--max-p95-increase", `${(increase! * 100 * 1.01).toFixed(4)}%`],
      { PROMETHEUS_URL: setup.prom.url },
    );
    expect({ code: above.code, stderr: above.stderr }).toEqual({ code: 0, stderr: "" });
    expect(above.stdout).toContain(`candidate: ${setup.candidate.testId} (`);
    expect(above.stdout).toMatch(/^http_req_duration p95 .* PASS$/m);
    expect(above.stdout).toContain("PASS: the candidate is within every limit.");

    const below = await gate([
      ...common,
      "--candidate",
      setup.candidate.testId,
      "--prometheus",
      setup.prom.url,
      "--max-p95-increase",
      `${(increase! * 100 * 0.99).toFixed(4)}%`,
    ]);
    expect({ code: below.code, stderr: below.stderr }).toEqual({ code: 1, stderr: "" });
    expect(below.stdout).toMatch(/^http_req_duration p95 .* FAIL$/m);
    expect(below.stdout).toContain(
      "FAIL: the candidate regressed beyond the limit of http_req_duration p95.",
    );
  }, 60_000);

  test("the reverse comparison (slow run as baseline) passes the default limits", async () => {
    const res = await gate([
      "--baseline",
      setup.candidate.testId,
      "--candidate",
      setup.baseline.testId,
      "--prometheus",
      setup.prom.url,
      "--max-error-rate-increase",
      "off",
    ]);
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: "" });
  }, 30_000);
});

describe("bad input", () => {
  let setup: ModeSetup;

  beforeAll(async () => {
    setup = await setups.get("stats")!;
  }, 240_000);

  test("an unknown testid exits 2, naming it and the newest known testids", async () => {
    const res = await gate([
      "--baseline",
      "no-such-run",
      "--candidate",
      setup.candidate.testId,
      "--prometheus",
      setup.prom.url,
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      `k6:compare: --baseline no-such-run: unknown testid, Prometheus at ${setup.prom.url} (from --prometheus) has no k6_vus samples for it; newest known testids: ${setup.candidate.testId} (`,
    );
    expect(res.stderr).toContain(`, ${setup.baseline.testId} (`);
  }, 30_000);

  test("a run without data for a limited figure exits 3, naming the run, the figure and the query", async () => {
    const p99Only = setup.p99Only!.testId;
    const args = [
      "--baseline",
      p99Only,
      "--candidate",
      setup.candidate.testId,
      "--prometheus",
      setup.prom.url,
    ];
    const res = await gate(args);
    expect(res.code).toBe(3);
    expect(res.stderr).toContain(
      `k6:compare: baseline ${p99Only} has no data for http_req_duration p95 (neither k6_http_req_duration_p95 nor k6_http_req_duration_seconds exists for it`,
    );
    expect(res.stderr).toContain("turn that limit off (--<flag> off)");
    // Without the latency limits the same runs are judged on what they have (throughput, error rate).
    const judged = await gate([...args, "--max-p95-increase", "off", "--max-p99-increase", "off", "--json"]);
    expect({ code: judged.code, stderr: judged.stderr }).toEqual({ code: 0, stderr: "" });
    expect((JSON.parse(judged.stdout) as JsonReport).baseline.figures.p95).toBeUndefined();
  }, 30_000);

  test("an unreachable Prometheus exits 3, naming the URL and where it came from", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const args = ["--baseline", "a", "--candidate", "latest"];
    const byFlag = await gate([...args, "--prometheus", url]);
    expect(byFlag.code).toBe(3);
    expect(byFlag.stderr).toContain(
      `k6:compare: cannot reach Prometheus at ${url} (from --prometheus): ECONNREFUSED`,
    );
    const byEnv = await gate(args, { PROMETHEUS_URL: url });
    expect(byEnv.code).toBe(3);
    expect(byEnv.stderr).toContain(`cannot reach Prometheus at ${url} (from PROMETHEUS_URL): ECONNREFUSED`);
  }, 30_000);

  test("bad limits and missing flags exit 2 before Prometheus is asked", async () => {
    const port = await freePort();
    const common = ["--baseline", "a", "--candidate", "b", "--prometheus", `http://127.0.0.1:${port}`];
    const limit = await gate([...common, "--max-p95-increase", "10x"]);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain(
      'k6:compare: --max-p95-increase "10x": expected a relative increase (10%, 0.1) or a duration (5ms, 0.2s), or off',
    );
    const pp = await gate([...common, "--max-error-rate-increase", "1%"]);
    expect(pp.code).toBe(2);
    expect(pp.stderr).toContain('--max-error-rate-increase "1%" is ambiguous');
    const missing = await gate(["--baseline", "a"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      "k6:compare: --candidate is required: --baseline TESTID --candidate TESTID|latest",
    );
    const unknown = await gate(["--basline", "a"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('k6:compare: unknown argument "--basline"');
  }, 30_000);
});
