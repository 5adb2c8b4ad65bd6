// The ported retention parsers (model/retention.ts) accept and refuse exactly what the pinned
// Prometheus binary accepts and refuses: each value is given to a real `prometheus` as
// --storage.tsdb.retention.time / .size; a flag-parse failure (exit 2, "Error parsing command line
// arguments") is a refusal, "Server is ready to receive web requests." is an acceptance.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parsePrometheusBytes, parsePrometheusDuration } from "../../model/retention";
import { TOOLS_TIMEOUT_MS, Tools, installTools } from "../harness/tools";

let tools: Tools;
let base: string;

beforeAll(async () => {
  tools = await installTools();
  base = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-retention-"));
  fs.writeFileSync(path.join(base, "prometheus.yml"), "global: {}\n");
}, TOOLS_TIMEOUT_MS);

afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

type Verdict = { accepted: boolean; detail: string };

/** Starts the real Prometheus with one retention flag; stops it (by pid) once it is ready. */
function realPrometheus(flag: "time" | "size", value: string, n: number): Promise<Verdict> {
  const dir = path.join(base, `${flag}-${n}`);
  fs.mkdirSync(dir);
  return new Promise((resolve, reject) => {
    const child = spawn(
      tools.prometheus,
      [
        `--config.file=${path.join(base, "prometheus.yml")}`,
        `--storage.tsdb.path=${path.join(dir, "data")}`,
        "--web.listen-address=127.0.0.1:0",
        `--storage.tsdb.retention.${flag}=${value}`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let verdict: Verdict | undefined;
    const timer = setTimeout(() => {
      verdict = { accepted: false, detail: `neither ready nor exited in 30s:\n${out}` };
      child.kill("SIGKILL");
    }, 30_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (verdict === undefined && out.includes("Server is ready to receive web requests.")) {
        const m = /msg="TSDB retention updated"[^\n]*/.exec(out);
        verdict = { accepted: true, detail: m?.[0] ?? "ready" };
        process.kill(child.pid!, "SIGTERM");
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (verdict) return resolve(verdict);
      if (code === 2 && out.includes("Error parsing command line arguments")) {
        const line = out.split("\n").find((l) => l.includes("Error parsing command line arguments")) ?? "";
        return resolve({ accepted: false, detail: line.replace(/^.*Error parsing/, "Error parsing") });
      }
      resolve({ accepted: false, detail: `exited ${code} for another reason:\n${out.slice(-2000)}` });
    });
  });
}

/** Go's model.Duration.String() (how the log line prints the parsed time). */
function durationString(ns: bigint): string {
  let ms = ns / 1_000_000n;
  if (ms === 0n) return "0s";
  let r = "";
  const f = (unit: string, mult: bigint, exact: boolean): void => {
    if (exact && ms % mult !== 0n) return;
    const v = ms / mult;
    if (v > 0n) {
      r += `${v}${unit}`;
      ms -= v * mult;
    }
  };
  const day = 86_400_000n;
  f("y", 365n * day, true);
  f("w", 7n * day, true);
  f("d", day, false);
  f("h", 3_600_000n, false);
  f("m", 60_000n, false);
  f("s", 1000n, false);
  f("ms", 1n, false);
  return r;
}

/** units.Base2Bytes.String() (ToString(n, 1024, "iB", "B")), how the log line prints the size. */
function base2BytesString(bytes: bigint): string {
  const si = ["", "K", "M", "G", "T", "P", "E"];
  const out: string[] = new Array<string>(si.length).fill("");
  let n = bytes;
  for (let i = 0; i < si.length; i++) {
    if (n % 1024n !== 0n || (i === 0 && n === 0n))
      out[si.length - 1 - i] = `${n % 1024n}${si[i]}${i === 0 ? "B" : "iB"}`;
    n /= 1024n;
    if (n === 0n) break;
  }
  return out.join("");
}

// Valid, invalid, overflow and edge units. Expectations are what the port says; the test asserts
// the binary agrees with the port and, as a guard against a port that accepts everything, that
// the table holds both outcomes.
const TIMES = [
  "30d",
  "2h",
  "1y2w3d4h5m6s7ms",
  "0",
  "0s",
  "1m",
  "292y",
  "292y51w",
  "292y52w", // just over int64 nanoseconds after adding
  "293y", // over 1<<63/mult for one unit
  "300y",
  "18446744073709551616ms", // over uint64
  "1d1w", // units out of order
  "1h1h", // repeated unit
  "1.5h",
  "30",
  "10D",
  "",
  "-1d",
  "1µs",
];
const SIZES = [
  "10GB",
  "512MB",
  "512MiB",
  "1B",
  "0",
  "-0",
  "+5GB",
  "1.5GB",
  ".5GB",
  "1GB512MB",
  "8EB", // exactly 2^63: passes the check, wraps to -2^63
  "7EB1023PB",
  "9EB",
  "92233720368547758070B", // leadingInt overflow
  "5kB",
  "5KB",
  "5K",
  "10",
  "10gb",
  "",
];

describe("the ported parsers agree with the pinned Prometheus binary", () => {
  test.each(TIMES.map((v, i) => [v, i] as const))(
    "--storage.tsdb.retention.time=%j",
    async (value, i) => {
      const port = parsePrometheusDuration(value);
      const real = await realPrometheus("time", value, i);
      expect({ value, accepted: port.ok }).toEqual({ value, accepted: real.accepted });
      // Both limits 0 (size unset here) makes Prometheus fall back to its default of 15d.
      const effective = port.ok && port.value === 0n ? "15d" : port.ok ? durationString(port.value) : "";
      if (port.ok) expect(real.detail).toContain(`duration=${effective} `);
      else expect(real.detail).toContain(port.error);
    },
    60_000,
  );

  test.each(SIZES.map((v, i) => [v, i] as const))(
    "--storage.tsdb.retention.size=%j",
    async (value, i) => {
      const port = parsePrometheusBytes(value);
      const real = await realPrometheus("size", value, i);
      expect({ value, accepted: port.ok }).toEqual({ value, accepted: real.accepted });
      if (port.ok) expect(real.detail).toContain(`size=${base2BytesString(port.value)} `);
      else expect(real.detail).toContain(port.error);
    },
    60_000,
  );

  test("the table holds accepted and refused values of both flags", () => {
    for (const [values, parse] of [
      [TIMES, parsePrometheusDuration],
      [SIZES, parsePrometheusBytes],
    ] as const) {
      const ok = values.map((v) => parse(v).ok);
      expect(ok.filter(Boolean).length).toBeGreaterThan(4);
      expect(ok.filter((x) => !x).length).toBeGreaterThan(4);
    }
  });
});
