import { RunSummary, compareRuns, missingFigures, relativeChange } from "../../../ops/k6-compare/compare";
import { parseLimits } from "../../../ops/k6-compare/limits";
import { renderJson, renderTable } from "../../../ops/k6-compare/report";

const run = (testId: string, figures: RunSummary["figures"]): RunSummary => ({
  testId,
  trendMode: "nativeHistogram",
  start: 1_800_000_000,
  end: 1_800_000_030,
  figures,
});

const base = run("base", { p95: 0.1, p99: 0.2, throughput: 100, errorRate: 0.01, checkRate: 0.99 });

function verdicts(candidate: RunSummary["figures"], limits: Parameters<typeof parseLimits>[0]) {
  const c = compareRuns(base, run("cand", candidate), parseLimits(limits));
  return { passed: c.passed, ...Object.fromEntries(c.rows.map((r) => [r.figure, r.verdict])) };
}

describe("k6:compare verdicts", () => {
  it("judges each figure on its side of the limit", () => {
    const limits = {
      "max-p95-increase": "10%",
      "max-p99-increase": "50ms",
      "max-error-rate-increase": "1pp",
      "min-throughput-ratio": "0.9",
      "min-check-rate": "0.95",
    } as const;
    const within = { p95: 0.109, p99: 0.249, throughput: 90.5, errorRate: 0.0199, checkRate: 0.951 };
    expect(verdicts(within, limits)).toEqual({
      passed: true,
      p95: "pass",
      p99: "pass",
      throughput: "pass",
      errorRate: "pass",
      checkRate: "pass",
    });
    const beyond = { p95: 0.111, p99: 0.251, throughput: 89.5, errorRate: 0.0201, checkRate: 0.949 };
    expect(verdicts(beyond, limits)).toEqual({
      passed: false,
      p95: "fail",
      p99: "fail",
      throughput: "fail",
      errorRate: "fail",
      checkRate: "fail",
    });
  });

  it("a limit exactly at the measured change passes; one figure beyond fails the whole comparison", () => {
    expect(verdicts({ ...base.figures, p95: 0.11 }, { "max-p95-increase": "10%" })).toMatchObject({
      passed: true,
      p95: "pass",
    });
    expect(verdicts({ ...base.figures, errorRate: 0.05 }, {})).toMatchObject({
      passed: false,
      p95: "pass",
      errorRate: "fail",
      p99: "info",
    });
  });

  it("figures without a limit are reported, not judged; an improvement always passes", () => {
    expect(verdicts({ p95: 0.05, p99: 9, throughput: 1, errorRate: 0, checkRate: 0 }, {})).toEqual({
      passed: true,
      p95: "pass",
      p99: "info",
      throughput: "info",
      errorRate: "pass",
      checkRate: "info",
    });
  });

  it("relative change handles a zero baseline", () => {
    expect(relativeChange(0, 0)).toBe(0);
    expect(relativeChange(0, 1)).toBe(Infinity);
    expect(relativeChange(2, 3)).toBe(0.5);
  });

  it("names the limited figures a run lacks (the check-rate floor needs the candidate only)", () => {
    const limits = parseLimits({ "min-check-rate": "0.9", "max-p99-increase": "10%" });
    const bare = run("bare", { throughput: 1, errorRate: 0 });
    expect(missingFigures(bare, limits, "candidate")).toEqual(["p95", "p99", "checkRate"]);
    expect(missingFigures(bare, limits, "baseline")).toEqual(["p95", "p99"]);
  });

  it("renders the table with metric, baseline, candidate, delta, limit and verdict", () => {
    const c = compareRuns(
      base,
      run("cand", { p95: 0.125, p99: 0.2, throughput: 80, errorRate: 0.015, checkRate: 0.98 }),
      parseLimits({ "min-throughput-ratio": "90%" }),
    );
    const table = renderTable(c);
    expect(table).toContain("metric");
    expect(table).toMatch(
      /http_req_duration p95\s+100\.00 ms\s+125\.00 ms\s+\+25\.00 ms \(\+25\.00%\)\s+<= \+10%\s+FAIL/,
    );
    expect(table).toMatch(/error rate \(http_req_failed\)\s+1\.00%\s+1\.50%\s+\+0\.50 pp\s+<= \+1 pp\s+PASS/);
    expect(table).toMatch(
      /throughput \(http_reqs\/s\)\s+100\.00\/s\s+80\.00\/s\s+-20\.00%\s+ratio >= 0\.9\s+FAIL/,
    );
    expect(table).toMatch(/http_req_duration p99\s+200\.00 ms\s+200\.00 ms\s+\+0\.00 ms \(\+0\.00%\)\s+-$/m);
    expect(table).toContain(
      "FAIL: the candidate regressed beyond the limit of http_req_duration p95, throughput (http_reqs/s).",
    );
    const json = JSON.parse(renderJson(c)) as {
      passed: boolean;
      rows: { figure: string; change: unknown }[];
    };
    expect(json.passed).toBe(false);
    expect(json.rows.find((r) => r.figure === "p95")?.change).toEqual({
      absolute: expect.closeTo(0.025, 9),
      relative: expect.closeTo(0.25, 9),
    });
  });
});
