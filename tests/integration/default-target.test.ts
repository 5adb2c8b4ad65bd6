// The dev stack's default: k6 load-tests the stack's own Prometheus (k6TargetUrl defaults to
// http://prometheus:9090). Both example scripts must pass their thresholds against a real
// Prometheus with their default paths, the deliberate 404 being the only failure.
import * as path from "node:path";
import { SCRIPTS_DIR, runK6, uniqueTestId } from "../harness/k6";
import { PrometheusServer, startPrometheus } from "../harness/prometheus";
import { stackDefault } from "../harness/stack-defaults";
import { TOOLS_TIMEOUT_MS, Tools, installTools } from "../harness/tools";

let tools: Tools;
let prom: PrometheusServer;

beforeAll(async () => {
  tools = await installTools();
  prom = await startPrometheus({ tools, trendMode: "stats" });
}, TOOLS_TIMEOUT_MS);

afterAll(async () => {
  await prom?.stop();
  prom?.removeWorkDir();
});

test("the stack's default target is Prometheus itself", () => {
  expect(stackDefault("k6TargetUrl")).toBe("http://prometheus:9090");
});

test.each(["smoke.js", "load.js"])(
  "%s passes its thresholds against Prometheus with its default paths",
  async (script) => {
    const result = await runK6({
      trendMode: "stats",
      script: path.join(SCRIPTS_DIR, script),
      testId: uniqueTestId(`default-target-${script.replace(".js", "")}`),
      remoteWriteUrl: prom.remoteWriteUrl,
      // Prometheus as the system under test, like the dev stack (there by its network alias).
      targetUrl: prom.url,
      // Every 2nd iteration requests the missing path, so the deliberate 404 share shows up.
      extraEnv: { DURATION: "8s", VUS: "2", NOT_FOUND_EVERY: "2", MAX_FAILURE_RATE: "0.2" },
    });
    expect({ code: result.code, stderr: result.stderr.slice(-1500) }).toEqual({
      code: 0,
      stderr: expect.any(String),
    });
    const failed = result.summary.metrics.http_req_failed as { passes?: number; value?: number };
    const checks = result.summary.metrics.checks as { fails?: number; passes?: number };
    // Only the deliberate 404s failed, and every check (including "missing path answers 404") passed.
    expect(failed.passes).toBeGreaterThan(0);
    expect(checks.fails).toBe(0);
  },
  60_000,
);
