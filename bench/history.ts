// Long-term history and the one-host limits (issue 12, docs/SCALING.md):
// - what a single k6 runner sustains here: the emitter (a stand-in: Node worker threads, not k6's
//   Go runtime) with the example smoke script, no sleep, against the local target, at several VU
//   counts, remote-writing to a project Prometheus as the stack does;
// - what remote_write to a long-term store costs per run: samples, histograms and compressed bytes
//   the stack's Prometheus sends (its own remote-storage counters), with k6Only on and off, per
//   trend mode, into a second real Prometheus with basic auth (tests/harness/history-store.ts).
import * as path from "node:path";
import { checkRemoteWrite } from "../model/remote-write";
import { TREND_MODES, TrendMode } from "../model/trend-mode";
import {
  HistoryStore,
  STORE_PASSWORD,
  STORE_USER,
  startRemoteWriteSender,
} from "../tests/harness/history-store";
import { SCRIPTS_DIR, runK6, uniqueTestId } from "../tests/harness/k6";
import { sleep, startPrometheus } from "../tests/harness/prometheus";
import { Target } from "../tests/harness/target";
import { Tools } from "../tests/harness/tools";
import { fmt, quantile, table } from "./lib";

/** Median req/s of one runner per VU count. */
export interface ThroughputRow {
  readonly vus: number;
  readonly reqPerSecond: readonly number[];
  readonly median: number;
}

/** One runner at each VU count, `reps` times, interleaved; http_reqs rate from the end-of-test summary. */
export async function benchRunnerThroughput(
  tools: Tools,
  target: Target,
  opts: { vuCounts: readonly number[]; seconds: number; reps: number },
): Promise<ThroughputRow[]> {
  const prom = await startPrometheus({ tools, trendMode: "stats" });
  const rates = new Map<number, number[]>(opts.vuCounts.map((v) => [v, []]));
  try {
    for (let rep = 0; rep < opts.reps; rep++) {
      const order = rep % 2 === 0 ? opts.vuCounts : [...opts.vuCounts].reverse();
      for (const vus of order) {
        const run = await runK6({
          trendMode: "stats",
          script: path.join(SCRIPTS_DIR, "smoke.js"),
          testId: uniqueTestId(`throughput-${vus}`),
          remoteWriteUrl: prom.remoteWriteUrl,
          targetUrl: target.url,
          extraEnv: { VUS: String(vus), DURATION: `${opts.seconds}s`, SLEEP: "0", NOT_FOUND_EVERY: "0" },
          timeoutMs: (opts.seconds + 60) * 1000,
        });
        const rate = Number((run.summary.metrics.http_reqs as { rate?: number } | undefined)?.rate ?? NaN);
        rates.get(vus)!.push(rate);
      }
    }
  } finally {
    await prom.stop();
    prom.removeWorkDir();
  }
  return opts.vuCounts.map((vus) => {
    const r = rates.get(vus)!;
    return { vus, reqPerSecond: r, median: quantile(r, 0.5) };
  });
}

export function printThroughput(rows: readonly ThroughputRow[], seconds: number): string {
  return [
    `One runner (the emitter, a stand-in for k6), smoke.js without sleep, ${seconds}s per run, remote write on`,
    table(
      ["VUs", "median req/s", "runs"],
      rows.map((r) => [String(r.vus), fmt(r.median, 0), r.reqPerSecond.map((x) => fmt(x, 0)).join(" ")]),
    ),
  ].join("\n");
}

/** What one run costs each remote-write target. */
export interface RemoteWriteCostRow {
  readonly mode: TrendMode;
  readonly target: "k6Only" | "everything";
  readonly runSeconds: number;
  readonly samples: number;
  readonly histograms: number;
  readonly bytes: number;
  /** Series of the run in the store. */
  readonly runSeries: number;
  readonly bytesPerRunHour: number;
  readonly samplesPerRunHour: number;
}

/** Sums of the remote-storage counters per remote_name, read from the sender's /metrics. */
async function remoteCounters(
  url: string,
): Promise<Map<string, { samples: number; histograms: number; bytes: number }>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, { samples: number; histograms: number; bytes: number }>();
  for (const line of text.split("\n")) {
    const m =
      /^prometheus_remote_storage_(samples_total|histograms_total|bytes_total)\{([^}]*)\} (\S+)$/.exec(line);
    const name = m && /remote_name="([^"]+)"/.exec(m[2]!)?.[1];
    if (!m || !name) continue;
    const c = out.get(name) ?? { samples: 0, histograms: 0, bytes: 0 };
    const v = Number(m[3]);
    if (m[1] === "samples_total") c.samples += v;
    else if (m[1] === "histograms_total") c.histograms += v;
    else c.bytes += v;
    out.set(name, c);
  }
  return out;
}

/**
 * One load.js run per trend mode into a stack Prometheus (the stack's config and queue defaults)
 * with two targets into the same store: k6Only (the default) and everything (k6Only false: plus
 * the Prometheus' own self-scrape every 15 s). The counters' change over the run and the flush
 * after it is the run's cost.
 */
export async function benchRemoteWriteCost(
  tools: Tools,
  target: Target,
  opts: { runSeconds: number; vus: number },
): Promise<RemoteWriteCostRow[]> {
  const store = await HistoryStore.start(tools);
  const rows: RemoteWriteCostRow[] = [];
  try {
    for (const mode of TREND_MODES) {
      const checked = checkRemoteWrite([
        {
          name: "k6only",
          url: "http://store-a:9090/api/v1/write",
          username: STORE_USER,
          password: STORE_PASSWORD,
        },
        {
          name: "everything",
          url: "http://store-b:9090/api/v1/write",
          username: STORE_USER,
          password: STORE_PASSWORD,
          k6Only: false,
        },
      ]);
      if (checked.problems.length > 0) throw new Error(checked.problems.join("\n"));
      const targets = checked.targets.map((t) => ({ ...t, url: store.remoteWriteUrl }));
      const sender = await startRemoteWriteSender({ tools, trendMode: mode, targets });
      try {
        await sleep(10_000);
        const before = await remoteCounters(sender.url);
        const testId = uniqueTestId(`history-${mode}`);
        await runK6({
          trendMode: mode,
          script: path.join(SCRIPTS_DIR, "load.js"),
          testId,
          remoteWriteUrl: sender.remoteWriteUrl,
          targetUrl: target.url,
          extraEnv: { VUS: String(opts.vus), DURATION: `${opts.runSeconds}s` },
          timeoutMs: (opts.runSeconds + 120) * 1000,
        });
        // batch_send_deadline is 5s: wait for the last batches.
        await sleep(12_000);
        const after = await remoteCounters(sender.url);
        const runSeries = await store.scalar(`count(last_over_time({testid="${testId}"}[1h]))`);
        for (const [name, label] of [
          ["k6only", "k6Only"],
          ["everything", "everything"],
        ] as const) {
          const a = after.get(name)!;
          const b = before.get(name) ?? { samples: 0, histograms: 0, bytes: 0 };
          const samples = a.samples - b.samples;
          const histograms = a.histograms - b.histograms;
          const bytes = a.bytes - b.bytes;
          const perHour = 3600 / opts.runSeconds;
          rows.push({
            mode,
            target: label,
            runSeconds: opts.runSeconds,
            samples,
            histograms,
            bytes,
            runSeries,
            bytesPerRunHour: bytes * perHour,
            samplesPerRunHour: (samples + histograms) * perHour,
          });
        }
      } finally {
        await sender.stop();
        sender.removeWorkDir();
      }
    }
  } finally {
    await store.stop();
  }
  return rows;
}

export function printRemoteWriteCost(rows: readonly RemoteWriteCostRow[], vus: number): string {
  const mb = (n: number) => `${fmt(n / 1e6, 2)} MB`;
  return [
    `Remote write to a long-term store: one load.js run (${vus} VUs, ${rows[0]?.runSeconds ?? "?"}s) per trend mode, compressed bytes sent`,
    table(
      [
        "mode",
        "target",
        "run series",
        "samples",
        "histograms",
        "bytes",
        "bytes/run-hour",
        "samples/run-hour",
      ],
      rows.map((r) => [
        r.mode,
        r.target,
        String(r.runSeries),
        String(r.samples),
        String(r.histograms),
        String(r.bytes),
        mb(r.bytesPerRunHour),
        fmt(r.samplesPerRunHour, 0),
      ]),
    ),
  ].join("\n");
}
