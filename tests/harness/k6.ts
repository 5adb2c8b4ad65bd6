import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { k6Args, k6Env } from "../../model/k6";
import { TrendMode } from "../../model/trend-mode";
import { K6Command, k6Command } from "./k6-emitter/command";
import { stackDefault } from "./stack-defaults";
import { REPO_DIR } from "./tools";

/** Host path of the repo's example scripts (mounted at K6_SCRIPTS_DIR in the container). */
export const SCRIPTS_DIR = path.join(REPO_DIR, "provisioning/k6/scripts");

/** Options of {@link runK6}. */
export interface K6RunOptions {
  /** What runs as k6: the repo's emitter unless a benchmark passes a real k6 (K6_BIN). */
  readonly k6?: K6Command;
  readonly trendMode: TrendMode;
  /** Script path on the host. */
  readonly script: string;
  readonly testId: string;
  /** Remote-write URL of the Prometheus under test (127.0.0.1). */
  readonly remoteWriteUrl: string;
  /** Base URL of the local target (127.0.0.1). */
  readonly targetUrl: string;
  /** Script parameters (VUS, DURATION, ...). */
  readonly extraEnv?: Readonly<Record<string, string>>;
  /** K6_PROMETHEUS_RW_PUSH_INTERVAL; the stack's default unless set. */
  readonly pushInterval?: string;
  /** Replace the env computed by k6Env (benchmarks: k6's own defaults). */
  readonly editEnv?: (env: Record<string, string>) => Record<string, string>;
  /** Replace the args computed by k6Args (benchmarks: no output). */
  readonly editArgs?: (args: string[]) => string[];
  /** Kill k6 after this long. */
  readonly timeoutMs?: number;
  /** Called once k6 has started, with a function that sends it a signal. */
  readonly onStart?: (kill: (signal: NodeJS.Signals) => void) => void;
}

/** Outcome of a k6 run. */
export interface K6Result {
  /** Exit code (99 = thresholds crossed), or null when killed. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Parsed --summary-export document. */
  readonly summary: K6Summary;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** The parts of k6's --summary-export JSON the tests read. */
export interface K6Summary {
  metrics: Record<string, Record<string, number | Record<string, unknown>>>;
}

/**
 * Runs the k6-compatible emitter (or a real k6, see {@link K6RunOptions.k6}) on the host with the
 * args and env the k6 container gets (k6Args/k6Env); only host values differ: script path, target
 * URL, remote-write URL, summary file.
 */
export async function runK6(options: K6RunOptions): Promise<K6Result> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-k6-"));
  const summaryFile = path.join(dir, "summary.json");
  let env = k6Env({
    trendMode: options.trendMode,
    remoteWriteUrl: options.remoteWriteUrl,
    pushInterval: options.pushInterval ?? stackDefault("k6PushInterval"),
    targetUrl: options.targetUrl,
    extraEnv: options.extraEnv,
  });
  if (options.editEnv) {
    env = options.editEnv(env);
  }
  let args = k6Args({ script: options.script, testId: options.testId, summaryExport: summaryFile });
  if (options.editArgs) {
    args = options.editArgs(args);
  }
  const startedAt = Date.now() / 1000;
  const k6 = options.k6 ?? k6Command(undefined);
  const child = spawn(k6.file, [...k6.args, ...args], {
    cwd: dir,
    // No inherited K6_* variables; HOME and PATH only, and never the usage report.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, K6_NO_USAGE_REPORT: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  options.onStart?.((signal) => child.kill(signal));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (c) => resolve(c)); // close: the pipes are drained, unlike exit
  });
  clearTimeout(timer);
  const endedAt = Date.now() / 1000;
  const summary: K6Summary = fs.existsSync(summaryFile)
    ? (JSON.parse(fs.readFileSync(summaryFile, "utf8")) as K6Summary)
    : { metrics: {} };
  fs.rmSync(dir, { recursive: true, force: true });
  return { code, stdout, stderr, summary, startedAt, endedAt, args, env };
}

/** A testid unique to this process and call. */
export function uniqueTestId(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}
