// Cardinality: active series of one run of a script that hits 20 distinct URLs, the project's k6
// settings ÷ k6's defaults, per trend mode.
import * as path from "node:path";
import { TrendMode } from "../model/trend-mode";
import { runK6, uniqueTestId } from "../tests/harness/k6";
import { PrometheusServer } from "../tests/harness/prometheus";
import { Target } from "../tests/harness/target";
import { fmt, table } from "./lib";

const SCRIPT = path.join(__dirname, "scripts/twenty-urls.js");

/** One arm: how k6 is configured for the run. */
interface Arm {
  readonly label: string;
  readonly mode: TrendMode;
  /** Environment of the run, from the project's k6Env. */
  readonly env: (base: Record<string, string>) => Record<string, string>;
}

export interface CardinalityResult {
  readonly rows: { label: string; series: number; endpoints: string[] }[];
  readonly ratios: { mode: TrendMode; before: number; after: number }[];
}

/** k6's own defaults: only the remote-write URL, and a script that sets no name tags. */
function k6Defaults(base: Record<string, string>): Record<string, string> {
  return {
    K6_PROMETHEUS_RW_SERVER_URL: base.K6_PROMETHEUS_RW_SERVER_URL ?? "",
    TARGET_URL: base.TARGET_URL ?? "",
    NAME_TAGS: "off",
  };
}

/** The project's settings before K6_SYSTEM_TAGS was added (the measured "before"). */
export function withoutSystemTags(base: Record<string, string>): Record<string, string> {
  const env = { ...base };
  delete env.K6_SYSTEM_TAGS;
  return env;
}

export async function benchCardinality(
  prom: PrometheusServer,
  target: Target,
  duration: string,
): Promise<CardinalityResult> {
  const arms: Arm[] = [
    { label: "k6 defaults (stats: p99 only)", mode: "stats", env: k6Defaults },
    { label: "project, stats, before (no K6_SYSTEM_TAGS)", mode: "stats", env: withoutSystemTags },
    { label: "project, stats", mode: "stats", env: (e) => e },
    {
      label: "project, nativeHistogram, before (no K6_SYSTEM_TAGS)",
      mode: "nativeHistogram",
      env: withoutSystemTags,
    },
    { label: "project, nativeHistogram", mode: "nativeHistogram", env: (e) => e },
  ];
  const rows = await Promise.all(
    arms.map(async (arm) => {
      const testId = uniqueTestId("bench-card");
      const result = await runK6({
        trendMode: arm.mode,
        script: SCRIPT,
        testId,
        remoteWriteUrl: prom.remoteWriteUrl,
        targetUrl: target.url,
        extraEnv: { DURATION: duration },
        editEnv: arm.env,
      });
      if (result.code !== 0) {
        throw new Error(
          `cardinality run "${arm.label}" exited ${result.code}:\n${result.stderr.slice(-2000)}`,
        );
      }
      const window = { start: String(result.startedAt - 60), end: String(result.endedAt + 60) };
      const series = await prom.api<Record<string, string>[]>("/api/v1/series", {
        "match[]": `{testid="${testId}"}`,
        ...window,
      });
      const names = await prom.api<string[]>("/api/v1/label/name/values", {
        "match[]": `k6_http_reqs_total{testid="${testId}"}`,
        ...window,
      });
      return { label: arm.label, series: series.data.length, endpoints: names.data };
    }),
  );
  const count = (label: string) => rows.find((r) => r.label === label)?.series ?? Number.NaN;
  const base = count("k6 defaults (stats: p99 only)");
  const ratios = (["stats", "nativeHistogram"] as const).map((mode) => ({
    mode,
    before: count(`project, ${mode}, before (no K6_SYSTEM_TAGS)`) / base,
    after: count(`project, ${mode}`) / base,
  }));
  return { rows, ratios };
}

export function printCardinality(r: CardinalityResult): string {
  return [
    "Cardinality: series of one run hitting 20 distinct URLs",
    table(
      ["arm", "series", "endpoints (name tag)"],
      r.rows.map((row) => [row.label, String(row.series), String(row.endpoints.length)]),
    ),
    ...r.ratios.map(
      (x) =>
        `  ratio project/k6-defaults, ${x.mode}: ${fmt(x.after)} (before: ${fmt(x.before)}; goal <= 0.30)`,
    ),
  ].join("\n");
}
