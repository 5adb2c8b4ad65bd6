// `npm run bench`: the data path's cost, measured side by side with the real Prometheus binary
// (tools/install-tools.sh) and the repo's k6-compatible emitter (tests/harness/k6-emitter; k6 is
// AGPL and never built here), with the project's own flags, config, env and dashboards. The
// output-overhead benchmark needs a real k6 (K6_BIN) and is skipped without one. Not part of
// pass/fail. Loopback only. Results go to stdout and results/bench.json; docs/BENCHMARKS.md records
// a run.
//
// Env: BENCH_ONLY (comma list of cardinality,overhead,dashboards,storage,history), BENCH_RUNS (24 stored runs per
// mode), BENCH_RUN_SECONDS (300, length of each stored run), BENCH_CONCURRENCY (12 k6 processes per
// mode at once), BENCH_STORAGE_SECONDS (120, runs of the storage matrix), BENCH_ROUNDS (5 interleaved
// overhead rounds), BENCH_REPS (9 timings per query). BENCH_ONLY=real-engine (not in the default
// list: it needs a Docker Engine and the Pulumi engine) times up/preview/destroy and each change
// class on the real engines (bench/real-engine.ts). BENCH_ONLY=history (bench/history.ts): one
// runner's req/s and remote_write's cost per run; BENCH_THROUGHPUT_SECONDS (10), BENCH_HISTORY_SECONDS (120).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TREND_MODES } from "../model/trend-mode";
import { stackDefault } from "../tests/harness/stack-defaults";
import { startPrometheus } from "../tests/harness/prometheus";
import { startTarget } from "../tests/harness/target";
import { k6Command } from "../tests/harness/k6-emitter/command";
import { REPO_DIR, installTools } from "../tests/harness/tools";
import { benchCardinality, printCardinality, withoutSystemTags } from "./cardinality";
import { benchDashboardCost, printDashboardCost, rulesDirWithCandidates, storeRuns } from "./dashboard-cost";
import { PUSH_INTERVALS, benchOverhead, printOverhead } from "./overhead";
import { ADMIN_API_FLAG, StorageResult, benchStorageMatrix, k6BlockBytes, printStorage } from "./storage";
import { benchRealEngine, printRealEngine } from "./real-engine";
import {
  benchRemoteWriteCost,
  benchRunnerThroughput,
  printRemoteWriteCost,
  printThroughput,
} from "./history";

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  return raw === undefined || raw === "" ? fallback : Number(raw);
}

async function main(): Promise<void> {
  const only = new Set(
    (process.env.BENCH_ONLY ?? "cardinality,overhead,dashboards,storage,history").split(","),
  );
  const started = Date.now();
  console.log(
    `k6-observatory bench on ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), node ${process.version}`,
  );
  const tools = await installTools();
  const target = await startTarget({ failEvery: 20 });
  const report: Record<string, unknown> = {};
  const print = (text: string) => console.log(`\n${text}`);

  try {
    if (only.has("cardinality") || only.has("overhead")) {
      const prom = await startPrometheus({ tools, trendMode: "stats" });
      try {
        if (only.has("cardinality")) {
          const r = await benchCardinality(prom, target, "15s");
          report.cardinality = r;
          print(printCardinality(r));
        }
        const k6 = k6Command();
        if (only.has("overhead") && k6.kind !== "k6") {
          print(
            "overhead: skipped. It measures k6's own throughput with and without remote write, which only a real k6 can show; set K6_BIN=/path/to/k6 (k6 is AGPL and is never built or downloaded here). Earlier figures, measured with k6 v1.8.1, are in docs/BENCHMARKS.md.",
          );
        } else if (only.has("overhead")) {
          // The project's default mode with every push interval, the other mode at the stack's
          // default, 1s and k6's own 5s only (to keep the benchmark under half an hour).
          for (const [mode, others] of [
            ["stats", PUSH_INTERVALS],
            ["nativeHistogram", ["1s", "5s"]],
          ] as const) {
            const r = await benchOverhead(k6, prom, target, {
              mode,
              rounds: intEnv("BENCH_ROUNDS", 5),
              duration: "10s",
              defaultPushInterval: stackDefault("k6PushInterval"),
              otherPushIntervals: others,
              vus: 8,
            });
            report[`overhead_${mode}`] = r;
            print(printOverhead(r));
          }
        }
      } finally {
        await prom.stop();
        prom.removeWorkDir();
      }
    }

    if (only.has("dashboards")) {
      const count = intEnv("BENCH_RUNS", 24);
      const runSeconds = intEnv("BENCH_RUN_SECONDS", 300);
      const concurrency = intEnv("BENCH_CONCURRENCY", 12);
      console.log(
        `\nStoring ${count} runs of ${runSeconds}s per trend mode (${concurrency} at a time per mode)...`,
      );
      const rulesDirs = TREND_MODES.map(rulesDirWithCandidates);
      const proms = await Promise.all(
        TREND_MODES.map((mode, i) =>
          startPrometheus({ tools, trendMode: mode, extraFlags: [ADMIN_API_FLAG], rulesDir: rulesDirs[i] }),
        ),
      );
      try {
        const stored = await Promise.all(
          TREND_MODES.map((mode, i) =>
            storeRuns(proms[i]!, target, { mode, count, concurrency, runSeconds }),
          ),
        );
        for (const s of stored) {
          const r = await benchDashboardCost(s, intEnv("BENCH_REPS", 9));
          report[`dashboards_${s.mode}`] = r;
          print(printDashboardCost(r));
        }
        const storage: StorageResult[] = [];
        for (const s of stored) {
          const m = await k6BlockBytes(s.prom);
          const testMinutes = (s.runs.length * s.runSeconds) / 60;
          storage.push({
            label: `${s.mode}, ${s.runs.length} runs`,
            mode: s.mode,
            testMinutes,
            bytesPerTestMinute: m.bytes / testMinutes,
            ...m,
          });
        }
        report.storedRunsStorage = storage;
        print(
          printStorage("Storage of the stored runs (k6 series only, compacted)", storage, [
            `nativeHistogram, ${count} runs`,
            `stats, ${count} runs`,
          ]),
        );
      } finally {
        for (const p of proms) {
          await p.stop();
          p.removeWorkDir();
        }
        for (const dir of rulesDirs) {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
    }

    if (only.has("history")) {
      const seconds = intEnv("BENCH_THROUGHPUT_SECONDS", 10);
      const throughput = await benchRunnerThroughput(tools, target, {
        vuCounts: [1, 2, 4, 8, 16],
        seconds,
        reps: intEnv("BENCH_ROUNDS", 5),
      });
      report.runnerThroughput = throughput;
      print(printThroughput(throughput, seconds));
      const vus = 10;
      const cost = await benchRemoteWriteCost(tools, target, {
        runSeconds: intEnv("BENCH_HISTORY_SECONDS", 120),
        vus,
      });
      report.remoteWriteCost = cost;
      print(printRemoteWriteCost(cost, vus));
    }

    if (only.has("real-engine")) {
      const r = await benchRealEngine();
      report.realEngine = r;
      print(printRealEngine(r));
    }

    if (only.has("storage")) {
      const rows = await benchStorageMatrix(tools, target, {
        modes: TREND_MODES,
        pushIntervals: PUSH_INTERVALS,
        runSeconds: intEnv("BENCH_STORAGE_SECONDS", 120),
        extra: [
          {
            label: `stats, push ${stackDefault("k6PushInterval")}, before (no K6_SYSTEM_TAGS)`,
            mode: "stats",
            push: stackDefault("k6PushInterval"),
            editEnv: withoutSystemTags,
          },
        ],
      });
      report.storageMatrix = rows;
      const push = stackDefault("k6PushInterval");
      print(
        printStorage("Storage by trend mode and push interval (one run each, side by side)", rows, [
          `nativeHistogram, push ${push}`,
          `stats, push ${push}`,
        ]),
      );
    }
  } finally {
    await target.close();
  }
  const out = path.join(REPO_DIR, "results/bench.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    `\nbench finished in ${((Date.now() - started) / 60000).toFixed(1)} min; raw numbers in results/bench.json`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
