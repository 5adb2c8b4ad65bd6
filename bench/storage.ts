// Storage: bytes the k6 series of stored runs occupy once compacted into a TSDB block.
import * as fs from "node:fs";
import * as path from "node:path";
import { TrendMode } from "../model/trend-mode";
import { SCRIPTS_DIR, runK6, uniqueTestId } from "../tests/harness/k6";
import { PrometheusServer, startPrometheus } from "../tests/harness/prometheus";
import { Target } from "../tests/harness/target";
import { Tools } from "../tests/harness/tools";
import { dirBytes, fmt, table } from "./lib";

type EnvEdit = (env: Record<string, string>) => Record<string, string>;

/** Flags the storage measurements add to the project's (snapshots and series deletion). */
export const ADMIN_API_FLAG = "--web.enable-admin-api";

export interface StorageResult {
  readonly label: string;
  readonly mode: TrendMode;
  readonly bytes: number;
  readonly testMinutes: number;
  readonly bytesPerTestMinute: number;
  readonly series: number;
  readonly samples: number;
}

/**
 * Bytes of the k6 series in prom as a compacted block: every other series (Prometheus' self-scrape,
 * recording rules) is deleted, then a snapshot (which writes the head into a block) is measured.
 */
export async function k6BlockBytes(
  prom: PrometheusServer,
): Promise<{ bytes: number; series: number; samples: number }> {
  const post = async (p: string, params: Record<string, string>) => {
    const res = await fetch(`${prom.url}${p}?${new URLSearchParams(params).toString()}`, { method: "POST" });
    if (res.status >= 300) {
      throw new Error(`${p}: ${res.status} ${await res.text()}`);
    }
    return res.status === 204 ? undefined : ((await res.json()) as { data: { name: string } });
  };
  const now = String(Date.now() / 1000);
  const series = (
    await prom.api<unknown[]>("/api/v1/series", { "match[]": '{__name__=~"k6_.+"}', start: "0", end: now })
  ).data.length;
  // count_over_time drops the metric name, so count per metric name.
  const names = await prom.api<string[]>("/api/v1/label/__name__/values", {
    "match[]": '{__name__=~"k6_.+"}',
  });
  let samples = 0;
  for (const name of names.data) {
    samples += await prom.scalar(`sum(count_over_time(${name}[1h]))`);
  }
  await post("/api/v1/admin/tsdb/delete_series", { "match[]": '{__name__!~"k6_.+"}' });
  await post("/api/v1/admin/tsdb/clean_tombstones", {});
  const snap = await post("/api/v1/admin/tsdb/snapshot", { skip_head: "false" });
  const dir = path.join(prom.dataDir, "snapshots", snap!.data.name);
  const bytes = dirBytes(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  return { bytes, series, samples };
}

/**
 * The same load run once per push interval and trend mode, each into its own Prometheus, measured
 * side by side: how bytes per test-minute depend on the trend mode and the push interval.
 */
export async function benchStorageMatrix(
  tools: Tools,
  target: Target,
  opts: {
    modes: readonly TrendMode[];
    pushIntervals: readonly string[];
    runSeconds: number;
    /** Extra cells: a mode and push interval with an env edit (a "before" of a changed default). */
    extra?: readonly { label: string; mode: TrendMode; push: string; editEnv: EnvEdit }[];
  },
): Promise<StorageResult[]> {
  const cells: { label: string; mode: TrendMode; push: string; editEnv?: EnvEdit }[] = [
    ...opts.modes.flatMap((mode) =>
      opts.pushIntervals.map((push) => ({ label: `${mode}, push ${push}`, mode, push })),
    ),
    ...(opts.extra ?? []),
  ];
  return Promise.all(
    cells.map(async ({ label, mode, push, editEnv }) => {
      const prom = await startPrometheus({ tools, trendMode: mode, extraFlags: [ADMIN_API_FLAG] });
      try {
        const result = await runK6({
          trendMode: mode,
          script: path.join(SCRIPTS_DIR, "load.js"),
          testId: uniqueTestId(`bench-storage-${mode}-${push}`),
          remoteWriteUrl: prom.remoteWriteUrl,
          targetUrl: target.url,
          pushInterval: push,
          editEnv,
          extraEnv: { VUS: "3", DURATION: `${opts.runSeconds}s`, SLEEP: "0.5", MAX_FAILURE_RATE: "1" },
          timeoutMs: (opts.runSeconds + 120) * 1000,
        });
        if (result.code !== 0) {
          throw new Error(
            `storage run ${mode}/${push} exited ${result.code}:\n${result.stderr.slice(-2000)}`,
          );
        }
        const m = await k6BlockBytes(prom);
        const testMinutes = opts.runSeconds / 60;
        return {
          label,
          mode,
          testMinutes,
          bytesPerTestMinute: m.bytes / testMinutes,
          ...m,
        };
      } finally {
        await prom.stop();
        prom.removeWorkDir();
      }
    }),
  );
}

export function printStorage(
  title: string,
  rows: readonly StorageResult[],
  ratioOf?: [string, string],
): string {
  const by = (label: string) => rows.find((r) => r.label === label);
  const lines = [
    title,
    table(
      ["run", "series", "samples", "bytes", "test-min", "bytes/test-min"],
      rows.map((r) => [
        r.label,
        String(r.series),
        String(r.samples),
        String(r.bytes),
        fmt(r.testMinutes, 1),
        fmt(r.bytesPerTestMinute, 0),
      ]),
    ),
  ];
  if (ratioOf) {
    const [a, b] = ratioOf.map(by);
    if (a && b) {
      lines.push(
        `  ratio ${a.label} / ${b.label} bytes per test-minute: ${fmt(a.bytesPerTestMinute / b.bytesPerTestMinute)}`,
      );
    }
  }
  return lines.join("\n");
}
