/**
 * The comparison as a readable table (stdout of the gate) and as JSON (`--json`). Pure.
 */
import { TrendMode } from "../../model/trend-mode";
import { Comparison, ComparisonRow, Figure, RunSummary, relativeChange } from "./compare";
import { LatencyLimit } from "./limits";

/** Row labels, in the words of k6's summary. */
export const FIGURE_LABELS: Readonly<Record<Figure, string>> = {
  p95: "http_req_duration p95",
  p99: "http_req_duration p99",
  throughput: "throughput (http_reqs/s)",
  errorRate: "error rate (http_req_failed)",
  checkRate: "check rate (checks)",
};

const ms = (s: number): string => `${(s * 1000).toFixed(2)} ms`;
const pct = (f: number): string => `${(f * 100).toFixed(2)}%`;
const signed = (n: number, text: string): string => (n >= 0 ? `+${text}` : text);

function value(figure: Figure, v: number | undefined): string {
  if (v === undefined) return "no data";
  if (figure === "p95" || figure === "p99") return ms(v);
  if (figure === "throughput") return `${v.toFixed(2)}/s`;
  return pct(v);
}

function delta(row: ComparisonRow): string {
  const { figure, baseline: b, candidate: c } = row;
  if (b === undefined || c === undefined) return "";
  if (figure === "p95" || figure === "p99" || figure === "throughput") {
    const rel = relativeChange(b, c);
    const relText = Number.isFinite(rel) ? signed(rel, pct(rel)) : "new";
    return figure === "throughput" ? relText : `${signed(c - b, ms(c - b))} (${relText})`;
  }
  const pp = (c - b) * 100;
  return `${signed(pp, pp.toFixed(2))} pp`;
}

function limitText(figure: Figure, limit: LatencyLimit | number | undefined): string {
  if (limit === undefined) return "";
  if (figure === "p95" || figure === "p99") {
    const l = limit as LatencyLimit;
    return l.kind === "absolute" ? `<= +${ms(l.seconds)}` : `<= +${+(l.fraction * 100).toFixed(6)}%`;
  }
  const n = limit as number;
  if (figure === "throughput") return `ratio >= ${n}`;
  if (figure === "errorRate") return `<= +${+(n * 100).toFixed(6)} pp`;
  return `>= ${+(n * 100).toFixed(6)}%`;
}

function modeNote(mode: TrendMode | undefined): string {
  if (mode === "stats")
    return "stats mode: p95/p99 are the slowest series' (endpoint, status) own percentile";
  if (mode === "nativeHistogram")
    return "native histograms: p95/p99 over all requests, within the bucket width (10%)";
  return "no http_req_duration series";
}

function runLine(role: string, run: RunSummary): string {
  const start = new Date(run.start * 1000).toISOString();
  return `${role}: ${run.testId} (started ${start}, ${Math.round(run.end - run.start)} s, ${modeNote(run.trendMode)})`;
}

/** The human-readable report: the two runs, the table and the verdict line. */
export function renderTable(comparison: Comparison): string {
  const header = ["metric", "baseline", "candidate", "delta", "limit", "verdict"];
  const lines = comparison.rows.map((row) => [
    FIGURE_LABELS[row.figure],
    value(row.figure, row.baseline),
    value(row.figure, row.candidate),
    delta(row),
    limitText(row.figure, row.limit),
    row.verdict === "info" ? "-" : row.verdict.toUpperCase(),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const fmt = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  const failed = comparison.rows.filter((r) => r.verdict === "fail").map((r) => FIGURE_LABELS[r.figure]);
  return [
    runLine("baseline ", comparison.baseline),
    runLine("candidate", comparison.candidate),
    "",
    fmt(header),
    fmt(widths.map((w) => "-".repeat(w))),
    ...lines.map(fmt),
    "",
    comparison.passed
      ? "PASS: the candidate is within every limit."
      : `FAIL: the candidate regressed beyond the limit of ${failed.join(", ")}.`,
  ].join("\n");
}

/** The machine-readable report (`--json`): numbers in seconds, fractions and requests per second. */
export function renderJson(comparison: Comparison): string {
  const run = (r: RunSummary): Record<string, unknown> => ({
    testId: r.testId,
    trendMode: r.trendMode ?? null,
    start: r.start,
    end: r.end,
    figures: r.figures,
  });
  return JSON.stringify(
    {
      passed: comparison.passed,
      baseline: run(comparison.baseline),
      candidate: run(comparison.candidate),
      rows: comparison.rows.map((row) => ({
        figure: row.figure,
        metric: FIGURE_LABELS[row.figure],
        baseline: row.baseline ?? null,
        candidate: row.candidate ?? null,
        change:
          row.baseline !== undefined && row.candidate !== undefined
            ? {
                absolute: row.candidate - row.baseline,
                relative: Number.isFinite(relativeChange(row.baseline, row.candidate))
                  ? relativeChange(row.baseline, row.candidate)
                  : null,
              }
            : null,
        limit: row.limit ?? null,
        verdict: row.verdict,
      })),
    },
    null,
    2,
  );
}
