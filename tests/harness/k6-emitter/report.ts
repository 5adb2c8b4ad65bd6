/**
 * The emitter's stand-in for k6's web dashboard export (K6_WEB_DASHBOARD_EXPORT): a small
 * self-contained HTML page of the run's end-of-test summary. It is NOT k6's report (that one is
 * the web dashboard's single-page app with charts over time, which k6 builds from its own event
 * stream); it proves only that a run writes an HTML file where k6 is told to write one, and what
 * the run's summary said.
 */
import { Summary } from "./summary";

/** The heading and title every stand-in report carries, so nobody mistakes it for k6's. */
export const REPORT_LABEL = "k6obs emitter stand-in report (not the k6 web dashboard)";

/** Where k6 writes its HTML report, or undefined: only with the dashboard on and an export file set. */
export function reportFile(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const on = (env.K6_WEB_DASHBOARD ?? "").toLowerCase();
  const file = env.K6_WEB_DASHBOARD_EXPORT;
  return (on === "true" || on === "1") && file !== undefined && file !== "" ? file : undefined;
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const shown = (x: unknown): string => (typeof x === "number" ? String(Number(x.toFixed(4))) : String(x));

/** The HTML text of a run's report. */
export function renderReport(args: {
  readonly summary: Summary;
  readonly durationMs: number;
  readonly script: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly identity: string;
}): string {
  const doc = args.summary.exportJson(args.durationMs) as {
    metrics: Record<string, Record<string, unknown>>;
  };
  const rows = Object.keys(doc.metrics)
    .sort()
    .map((name) => {
      const values = Object.entries(doc.metrics[name]!)
        .filter(([k]) => k !== "thresholds")
        .map(([k, v]) => `${escape(k)}=${escape(shown(v))}`)
        .join(" ");
      return `<tr><td>${escape(name)}</td><td>${values}</td></tr>`;
    });
  const thresholds = args.summary
    .thresholds()
    .map(
      (t) =>
        `<tr><td>${escape(t.metric)}</td><td>${escape(t.source)}</td><td>${t.failed ? "failed" : "passed"}</td></tr>`,
    );
  const tags = Object.entries(args.tags)
    .map(([k, v]) => `${escape(k)}=${escape(v)}`)
    .join(", ");
  return [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta name="generator" content="${escape(args.identity)}">`,
    `<title>${escape(REPORT_LABEL)}</title></head><body>`,
    `<h1>${escape(REPORT_LABEL)}</h1>`,
    `<p>${escape(args.identity)}. Script ${escape(args.script)}; tags ${tags || "none"}; duration ${(args.durationMs / 1000).toFixed(1)}s.</p>`,
    "<h2>Thresholds</h2>",
    `<table><tr><th>metric</th><th>threshold</th><th>result</th></tr>${thresholds.join("")}</table>`,
    "<h2>Metrics</h2>",
    `<table><tr><th>metric</th><th>values</th></tr>${rows.join("")}</table>`,
    "</body></html>",
    "",
  ].join("\n");
}
