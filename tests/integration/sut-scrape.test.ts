// The system under test beside k6, with real parts: promtool checks the rendered config together
// with a targets file as the stack writes it; a real Prometheus with the project's config picks a
// written targets file up without a reload, really scrapes a local service's /metrics (on
// 127.0.0.1: here Prometheus runs on the host, so loopback is right), and every query of the
// "System under test" dashboard returns that service's values next to a k6 run.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { renderPrometheusConfig } from "../../model/prometheus";
import { TARGETS_FILE, renderTargetGroups } from "../../model/scrape-targets";
import { runDashboardQueries } from "../harness/dashboard-queries";
import { provisionedDashboardFiles } from "../harness/grafana";
import { SCRIPTS_DIR, runK6, uniqueTestId } from "../harness/k6";
import { PrometheusServer, RULES_DIR, startPrometheus } from "../harness/prometheus";
import { Target, startTarget } from "../harness/target";
import { TOOLS_TIMEOUT_MS, Tools, installTools } from "../harness/tools";

const run = promisify(execFile);
let tools: Tools;

/** A service exposing the standard process metrics and a client library's HTTP counter. */
function startService(): Promise<{ server: http.Server; address: string; scrapes: () => number }> {
  let scrapes = 0;
  const server = http.createServer((req, res) => {
    if (req.url !== "/custom/metrics") {
      res.writeHead(404).end();
      return;
    }
    scrapes += 1;
    const t = scrapes;
    res
      .writeHead(200, { "Content-Type": "text/plain; version=0.0.4" })
      .end(
        [
          "# TYPE process_cpu_seconds_total counter",
          `process_cpu_seconds_total ${(t * 0.25).toFixed(2)}`,
          "# TYPE process_resident_memory_bytes gauge",
          "process_resident_memory_bytes 52428800",
          "# TYPE http_requests_total counter",
          `http_requests_total{code="200",handler="/api"} ${t * 100}`,
          `http_requests_total{code="500",handler="/api"} ${t * 5}`,
          "",
        ].join("\n"),
      );
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        server,
        address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
        scrapes: () => scrapes,
      }),
    ),
  );
}

beforeAll(async () => {
  tools = await installTools();
}, TOOLS_TIMEOUT_MS);

describe("promtool", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-sut-promtool-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const check = async (targetsText: string) => {
    const targetsDir = path.join(dir, "targets");
    fs.mkdirSync(targetsDir);
    fs.writeFileSync(path.join(targetsDir, TARGETS_FILE), targetsText);
    const file = path.join(dir, "prometheus.yml");
    fs.writeFileSync(file, renderPrometheusConfig({ rulesDir: RULES_DIR, targetsDir }));
    return run(tools.promtool, ["check", "config", file]).then(
      (r) => ({ ok: true, out: r.stdout + r.stderr }),
      (e: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${e.stdout ?? ""}${e.stderr ?? ""}` }),
    );
  };

  test("check config accepts the config with a targets file of several jobs, and reads that file", async () => {
    const ok = await check(
      renderTargetGroups([
        { job: "shop", targets: ["host.docker.internal:8080", "shop-api:9100"] },
        { job: "db", targets: ["db-exporter:9187"], metricsPath: "/probe", scheme: "https" },
      ]),
    );
    expect(ok).toMatchObject({ ok: true });
    expect(ok.out).toContain("valid prometheus config file syntax");
  });

  test("negative control: a broken targets file fails the same check", async () => {
    const bad = await check('[{"targets": "shop:8080", "labels": {"job": "shop"}}]\n');
    expect(bad.ok).toBe(false);
    expect(bad.out).toContain("FAILED: checking SD file");
  });
});

describe("a real Prometheus scrapes the service", () => {
  let prom: PrometheusServer;
  let service: Awaited<ReturnType<typeof startService>>;
  let target: Target;

  beforeAll(async () => {
    service = await startService();
    target = await startTarget();
    prom = await startPrometheus({ tools, trendMode: "stats", scrapeInterval: "1s" });
  }, 120_000);
  afterAll(async () => {
    await prom?.stop();
    service?.server.close();
    await target?.close();
  });

  test("a written targets file is scraped without a reload, under the group's job and metrics path, and every dashboard query returns data", async () => {
    const writtenAt = Date.now() / 1000;
    prom.writeScrapeTargets([{ job: "shop", targets: [service.address], metricsPath: "/custom/metrics" }]);

    const testId = uniqueTestId("it-sut");
    const k6 = runK6({
      trendMode: "stats",
      script: path.join(SCRIPTS_DIR, "smoke.js"),
      testId,
      remoteWriteUrl: prom.remoteWriteUrl,
      targetUrl: target.url,
      extraEnv: { DURATION: "8s", VUS: "1", SLEEP: "0.2" },
    });
    const deadline = Date.now() + 60_000;
    let up: Awaited<ReturnType<PrometheusServer["query"]>> = [];
    while (Date.now() < deadline) {
      up = await prom.query('up{job="shop"}');
      if (up.length > 0 && up[0]!.value?.[1] === "1" && service.scrapes() >= 4) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(up.map((s) => [s.metric.job, s.metric.instance, s.value?.[1]])).toEqual([
      ["shop", service.address, "1"],
    ]);
    const result = await k6;
    expect(result.code).toBe(0);
    // Picked up by file SD: the config was loaded once, at start, and never reloaded.
    const loaded = await prom.query("prometheus_config_last_reload_success_timestamp_seconds");
    expect(loaded).toHaveLength(1);
    expect(Number(loaded[0]!.value![1])).toBeLessThan(writtenAt);

    const dashboards = provisionedDashboardFiles(["common"]).filter((d) =>
      d.file.endsWith("k6obs-system-under-test.json"),
    );
    expect(dashboards).toHaveLength(1);
    const range = { from: Math.floor(result.startedAt) - 30, to: Math.ceil(Date.now() / 1000) };
    const results = await runDashboardQueries(prom, dashboards, testId, range);
    expect(results.length).toBeGreaterThanOrEqual(6);
    expect(results.filter((r) => !r.hasData).map((r) => `${r.where}: ${r.expr}`)).toEqual([]);

    // The service's own values, per panel. Per scrape it adds 100 + 5 requests (5 of them 500s) and
    // 0.25 CPU seconds, and reports 50 MiB resident. rate() over a window longer than the young
    // series scales every rate alike, so the rates are compared with each other.
    const shop = (title: string): number[] =>
      results
        .filter((r) => r.where.includes(`/ ${title} /`))
        .flatMap((r) => r.series.filter((s) => s.metric.job === "shop"))
        .flatMap((s) => [...(s.values ?? []), ...(s.value ? [s.value] : [])].map((p) => Number(p[1])));
    const last = (xs: number[]) => xs[xs.length - 1]!;
    expect(last(shop("Targets up"))).toBe(1);
    expect(last(shop("Memory (resident)"))).toBe(52428800);
    const requests = last(shop("HTTP requests served"));
    expect(requests).toBeGreaterThan(0);
    expect(last(shop("HTTP 5xx responses")) / requests).toBeCloseTo(5 / 105, 3);
    expect(last(shop("CPU")) / requests).toBeCloseTo(0.25 / 105, 4);
    // Prometheus' own job answers the HTTP panels too, with 0 server errors.
    const own = results
      .filter((r) => r.where.includes("/ HTTP 5xx responses /"))
      .flatMap((r) => r.series.filter((s) => s.metric.job === "prometheus"));
    expect(own.length).toBe(1);
  }, 120_000);
});
