// Output overhead: k6 requests/s against the local target with the project's remote-write output ÷
// with no output, in interleaved A/B rounds so drift (thermal, other load) hits both arms alike.
import * as path from "node:path";
import { TrendMode } from "../model/trend-mode";
import { SCRIPTS_DIR, runK6, uniqueTestId } from "../tests/harness/k6";
import { PrometheusServer } from "../tests/harness/prometheus";
import { Target } from "../tests/harness/target";
import { K6Command } from "../tests/harness/k6-emitter/command";
import { fmt, mean, quantile, table } from "./lib";

/** Push intervals compared with the default. */
export const PUSH_INTERVALS = ["1s", "2s", "5s", "10s"] as const;

interface Arm {
  readonly label: string;
  /** Push interval, or undefined for no output at all. */
  readonly pushInterval?: string;
}

export interface OverheadResult {
  readonly mode: TrendMode;
  readonly rounds: number;
  readonly rows: { label: string; reqPerSec: number[] }[];
  /** Median over rounds of remote-write at the default push interval ÷ no output in the same round. */
  readonly ratio: number;
}

/** k6's arguments without `--out experimental-prometheus-rw`. */
function withoutOutput(args: string[]): string[] {
  const i = args.indexOf("--out");
  return i < 0 ? args : [...args.slice(0, i), ...args.slice(i + 2)];
}

export async function benchOverhead(
  k6: K6Command,
  prom: PrometheusServer,
  target: Target,
  opts: {
    mode: TrendMode;
    rounds: number;
    duration: string;
    defaultPushInterval: string;
    /** Push intervals measured besides the default. */
    otherPushIntervals: readonly string[];
    vus: number;
  },
): Promise<OverheadResult> {
  const arms: Arm[] = [
    { label: "no output" },
    {
      label: `remote write, push ${opts.defaultPushInterval} (default)`,
      pushInterval: opts.defaultPushInterval,
    },
    ...opts.otherPushIntervals
      .filter((p) => p !== opts.defaultPushInterval)
      .map((p) => ({
        label: `remote write, push ${p}`,
        pushInterval: p,
      })),
  ];
  const rows = arms.map((a) => ({ label: a.label, reqPerSec: [] as number[] }));
  for (let round = 0; round < opts.rounds; round++) {
    // Alternate the order each round (ABC, CBA, ...) so neither arm always runs first.
    const order = round % 2 === 0 ? arms.map((_, i) => i) : arms.map((_, i) => arms.length - 1 - i);
    for (const i of order) {
      const arm = arms[i]!;
      const result = await runK6({
        k6,
        trendMode: opts.mode,
        script: path.join(SCRIPTS_DIR, "smoke.js"),
        testId: uniqueTestId("bench-overhead"),
        remoteWriteUrl: prom.remoteWriteUrl,
        targetUrl: target.url,
        pushInterval: arm.pushInterval,
        extraEnv: {
          VUS: String(opts.vus),
          DURATION: opts.duration,
          SLEEP: "0",
          NOT_FOUND_EVERY: "0",
          MAX_FAILURE_RATE: "1",
        },
        editArgs: arm.pushInterval === undefined ? withoutOutput : undefined,
      });
      const rate = Number(result.summary.metrics.http_reqs?.rate);
      if (!(rate > 0)) {
        throw new Error(`overhead run "${arm.label}" measured no requests:\n${result.stderr.slice(-2000)}`);
      }
      rows[i]!.reqPerSec.push(rate);
    }
  }
  return {
    mode: opts.mode,
    rounds: opts.rounds,
    rows,
    ratio: medianRatio(rows[1]!.reqPerSec, rows[0]!.reqPerSec),
  };
}

/**
 * Median over rounds of (arm ÷ no output in the same round): pairing within a round cancels the
 * drift between rounds (other load on the machine), which is larger than the effect measured.
 */
export function medianRatio(arm: readonly number[], base: readonly number[]): number {
  return quantile(
    arm.map((x, i) => x / (base[i] ?? Number.NaN)),
    0.5,
  );
}

export function printOverhead(r: OverheadResult): string {
  const base = r.rows[0]!.reqPerSec;
  return [
    `Output overhead (${r.mode} mode, ${r.rounds} interleaved rounds, k6 saturating the local target): requests/s`,
    table(
      ["arm", "mean req/s", "per round", "÷ no output (median of rounds)"],
      r.rows.map((row) => [
        row.label,
        fmt(mean(row.reqPerSec), 0),
        row.reqPerSec.map((x) => fmt(x, 0)).join(" "),
        fmt(medianRatio(row.reqPerSec, base), 3),
      ]),
    ),
    `  ratio remote-write/no-output at the default push interval: ${fmt(r.ratio, 3)} (goal >= 0.95)`,
  ].join("\n");
}
