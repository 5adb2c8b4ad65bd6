// The emitter honours k6's web dashboard export env the way the program sets it (k6Env's
// reportExport): an HTML file at the end of the run, labelled as the stand-in's, not k6's.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { k6Args, k6Env } from "../../model/k6";
import { k6Command } from "../harness/k6-emitter/command";
import { REPORT_LABEL } from "../harness/k6-emitter/report";

let receiver: http.Server;
let target: http.Server;
let writeUrl = "";
let targetUrl = "";
let dir = "";

const listen = async (server: http.Server): Promise<string> => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-emitter-report-"));
  receiver = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(204).end());
  });
  target = http.createServer((req, res) => {
    res.writeHead(req.url === "/k6obs/deliberately-missing" ? 404 : 200).end("ok");
  });
  writeUrl = `${await listen(receiver)}/api/v1/write`;
  targetUrl = await listen(target);
});

afterAll(() => {
  receiver.close();
  target.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function run(reportExport: string | undefined, extra: Record<string, string> = {}) {
  const env = k6Env({
    trendMode: "stats",
    remoteWriteUrl: writeUrl,
    pushInterval: "1s",
    targetUrl,
    extraEnv: { DURATION: "2s", VUS: "1", SLEEP: "0.2", ...extra },
    reportExport,
  });
  const args = k6Args({
    script: path.join(__dirname, "../../provisioning/k6/scripts/smoke.js"),
    testId: "report-test",
    summaryExport: path.join(dir, "summary.json"),
  });
  const k6 = k6Command(undefined);
  const child = spawn(k6.file, [...k6.args, ...args], { env: { PATH: process.env.PATH ?? "", ...env } });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.once("close", r));
  return { code, stderr };
}

test("K6_WEB_DASHBOARD_EXPORT: an HTML report of the run's summary, labelled as the stand-in's", async () => {
  const file = path.join(dir, "report-test.report.html");
  const { code, stderr } = await run(file);
  expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });
  const html = fs.readFileSync(file, "utf8");
  expect(html).toMatch(/^<!DOCTYPE html>/);
  expect(html).toContain(`<title>${REPORT_LABEL}</title>`);
  expect(html).toContain("not the k6 web dashboard");
  expect(html).toContain("testid=report-test");
  const summary = JSON.parse(fs.readFileSync(path.join(dir, "summary.json"), "utf8")) as {
    metrics: { http_reqs: { count: number } };
  };
  expect(html).toContain(`<td>http_reqs</td><td>count=${summary.metrics.http_reqs.count} `);
  expect(html).toMatch(/<td>http_req_failed<\/td><td>[^<]*<\/td><td>passed<\/td>/);
}, 60_000);

test("a crossed threshold shows as failed in the report", async () => {
  const file = path.join(dir, "failed.report.html");
  const { code } = await run(file, { MAX_FAILURE_RATE: "0" });
  expect(code).toBe(99);
  expect(fs.readFileSync(file, "utf8")).toMatch(
    /<td>http_req_failed<\/td><td>rate&#60;0<\/td><td>failed<\/td>/,
  );
}, 60_000);

test("without the export env no report is written", async () => {
  const before = fs.readdirSync(dir).filter((f) => f.endsWith(".html")).length;
  const { code } = await run(undefined);
  expect(code).toBe(0);
  expect(fs.readdirSync(dir).filter((f) => f.endsWith(".html"))).toHaveLength(before);
}, 60_000);
