// The emitter's CLI as the tests and the k6 stand-in run it: k6's argv and env in, real HTTP to a
// local target, remote writes to a local receiver that records every request as Prometheus would
// receive it (headers, snappy block, protobuf).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { k6Args, k6Env } from "../../model/k6";
import { k6Command } from "../harness/k6-emitter/command";
import { TimeSeries, decodeWriteRequest, unsnappyBlock } from "../harness/k6-emitter/wire";

interface Received {
  readonly at: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly series: TimeSeries[];
}

let receiver: http.Server;
let target: http.Server;
let received: Received[] = [];
let targetHits = 0;
/** Requests the target answered, by status code as a string (as in the status label). */
let targetByStatus = new Map<string, number>();
let writeUrl = "";
let targetUrl = "";
let dir = "";

const listen = async (server: http.Server): Promise<string> => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-emitter-cli-"));
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        at: Date.now(),
        headers: req.headers,
        series: decodeWriteRequest(unsnappyBlock(Buffer.concat(chunks))),
      });
      res.writeHead(204).end();
    });
  });
  target = http.createServer((req, res) => {
    targetHits += 1;
    const status = req.url === "/k6obs/deliberately-missing" ? 404 : 200;
    targetByStatus.set(String(status), (targetByStatus.get(String(status)) ?? 0) + 1);
    res.writeHead(status).end("ok");
  });
  writeUrl = `${await listen(receiver)}/api/v1/write`;
  targetUrl = await listen(target);
});

afterAll(() => {
  receiver.close();
  target.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  received = [];
  targetHits = 0;
  targetByStatus = new Map();
});

async function run(
  mode: "stats" | "nativeHistogram",
  extra: Record<string, string>,
  editEnv: (e: Record<string, string>) => Record<string, string> = (e) => e,
) {
  const summaryFile = path.join(dir, `summary-${Date.now()}.json`);
  const env = editEnv(
    k6Env({ trendMode: mode, remoteWriteUrl: writeUrl, pushInterval: "1s", targetUrl, extraEnv: extra }),
  );
  const args = k6Args({
    script: path.join(__dirname, "../../provisioning/k6/scripts/smoke.js"),
    testId: "cli-test",
    summaryExport: summaryFile,
  });
  const k6 = k6Command(undefined);
  const child = spawn(k6.file, [...k6.args, ...args], { env: { PATH: process.env.PATH ?? "", ...env } });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.once("close", r));
  const summary = fs.existsSync(summaryFile)
    ? (JSON.parse(fs.readFileSync(summaryFile, "utf8")) as {
        metrics: Record<string, Record<string, unknown>>;
      })
    : undefined;
  return { code, stderr, summary };
}

const names = (r: Received): string[] =>
  r.series.map((s) => s.labels.find((l) => l.name === "__name__")!.value);
/** Each series of a metric (by its labels) with the value of its latest sample across the requests. */
function lastValues(r: Received[], name: string) {
  const last = new Map<string, { labels: Record<string, string>; value: number; timestamp: number }>();
  for (const s of r.flatMap((x) => x.series)) {
    const labels = Object.fromEntries(s.labels.map((l) => [l.name, l.value]));
    if (labels.__name__ !== name) continue;
    const key = JSON.stringify(labels);
    for (const { value, timestamp } of s.samples ?? []) {
      const seen = last.get(key);
      if (!seen || timestamp >= seen.timestamp) last.set(key, { labels, value, timestamp });
    }
  }
  return last;
}
const labelsOf = (r: Received[], name: string) =>
  r
    .flatMap((x) => x.series)
    .filter((s) => s.labels.some((l) => l.name === "__name__" && l.value === name))
    .map((s) => Object.fromEntries(s.labels.map((l) => [l.name, l.value])));

test("stats mode: k6's headers, one request per push interval, the configured stats, vus with testid only, stale markers last", async () => {
  const { code, summary, stderr } = await run("stats", { DURATION: "4s", VUS: "2", SLEEP: "0.2" });
  expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });
  expect(received.length).toBeGreaterThanOrEqual(4);
  for (const r of received) {
    expect(r.headers).toMatchObject({
      "content-encoding": "snappy",
      "content-type": "application/x-protobuf",
      "x-prometheus-remote-write-version": "0.1.0",
      "user-agent": "k6-prometheus-rw-output",
    });
  }
  // Pushes are about a second apart (the last two are the final flush and the stale markers).
  const gaps = received.slice(1, -2).map((r, i) => r.at - received[i]!.at);
  for (const g of gaps) expect(g).toBeGreaterThan(700);
  const all = new Set(received.flatMap(names));
  for (const stat of ["p95", "p99", "min", "max", "avg", "med"])
    expect(all).toContain(`k6_http_req_duration_${stat}`);
  expect(all).not.toContain("k6_http_req_duration_seconds");
  expect(labelsOf(received, "k6_vus")[0]).toEqual({ __name__: "k6_vus", testid: "cli-test" });
  const req = labelsOf(received, "k6_http_reqs_total").find((l) => l.status === "404");
  expect(req).toEqual({
    __name__: "k6_http_reqs_total",
    error_code: "1404",
    expected_response: "false",
    method: "GET",
    name: "/k6obs/deliberately-missing",
    scenario: "default",
    status: "404",
    testid: "cli-test",
  });
  // The last request marks every series sent before as stale.
  const stale = received[received.length - 1]!;
  expect(stale.series.every((s) => Number.isNaN(s.samples![0]!.value))).toBe(true);
  expect(new Set(names(stale))).toEqual(all);
  // The total in the last cumulative sample is what the summary and the target counted.
  const totals = labelsOf(received.slice(0, -1), "k6_http_reqs_total").length;
  expect(totals).toBeGreaterThan(0);
  expect(summary!.metrics.http_reqs!.count).toBe(targetHits);
  // Summed over its series, k6_http_reqs_total's last cumulative value (before the stale markers)
  // is the number of requests the target server itself answered, in all and per status.
  const sent = lastValues(received.slice(0, -1), "k6_http_reqs_total");
  expect(targetHits).toBeGreaterThan(0);
  expect([...sent.values()].reduce((a, v) => a + v.value, 0)).toBe(targetHits);
  const byStatus: Record<string, number> = {};
  for (const v of sent.values()) byStatus[v.labels.status!] = (byStatus[v.labels.status!] ?? 0) + v.value;
  expect(byStatus).toEqual(Object.fromEntries(targetByStatus));
  expect(summary!.metrics.checks).toMatchObject({ fails: 0 });
}, 60_000);

test("native mode sends _seconds histograms and no stats gauges", async () => {
  const { code } = await run("nativeHistogram", { DURATION: "2s", VUS: "1", SLEEP: "0.2" });
  expect(code).toBe(0);
  const all = new Set(received.flatMap(names));
  expect(all).toContain("k6_http_req_duration_seconds");
  expect([...all].filter((n) => /_p\d+$/.test(n))).toEqual([]);
  const h = received.flatMap((r) => r.series).find((s) => s.histograms?.length)!;
  expect(h.histograms![0]).toMatchObject({ schema: 3 });
}, 60_000);

test("a wrong env still gives wrong data: k6's default trend stats (p99 only) send no p95", async () => {
  const { code } = await run("stats", { DURATION: "2s", VUS: "1", SLEEP: "0.2" }, (e) => {
    const { K6_PROMETHEUS_RW_TREND_STATS: _dropped, ...rest } = e;
    void _dropped;
    return rest;
  });
  expect(code).toBe(0);
  const all = new Set(received.flatMap(names));
  expect(all).toContain("k6_http_req_duration_p99");
  expect(all).not.toContain("k6_http_req_duration_p95");
}, 60_000);

test("a crossed threshold exits 99 and is marked in the summary export", async () => {
  const { code, summary } = await run("stats", {
    DURATION: "2s",
    VUS: "1",
    SLEEP: "0.2",
    MAX_FAILURE_RATE: "0",
  });
  expect(code).toBe(99);
  expect(summary!.metrics.http_req_failed).toMatchObject({ thresholds: { "rate<0": true } });
}, 60_000);

test("k6's default system tags: a script-set name is also the url tag, a 404 has error_code but no error", async () => {
  const { code } = await run("stats", { DURATION: "3s", VUS: "1", SLEEP: "0.05" }, (e) => {
    const { K6_SYSTEM_TAGS: _dropped, ...rest } = e;
    void _dropped;
    return rest;
  });
  expect(code).toBe(0);
  const reqs = labelsOf(received, "k6_http_reqs_total");
  expect(reqs.length).toBeGreaterThan(0);
  for (const l of reqs) expect(l.url).toBe(l.name);
  expect(reqs.find((l) => l.status === "404")).toMatchObject({ error_code: "1404", proto: "HTTP/1.1" });
  expect(reqs.some((l) => "error" in l)).toBe(false);
}, 60_000);
