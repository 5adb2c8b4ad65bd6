// The data-path alerts (provisioning/prometheus/rules) fire when they should and stay quiet
// otherwise: `promtool test rules` with synthetic input series, at the pinned Prometheus version.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as YAML from "yaml";
import { prometheusRuleGroups } from "../../model/prometheus";
import { RULES_DIR } from "../harness/prometheus";
import { TOOLS_TIMEOUT_MS, Tools, installTools } from "../harness/tools";

const run = promisify(execFile);
let tools: Tools;

beforeAll(async () => {
  tools = await installTools();
}, TOOLS_TIMEOUT_MS);

const SELF = 'job="prometheus", instance="localhost:9090"';
const WRITE = `prometheus_http_requests_total{${SELF}, handler="/api/v1/write"`;

const ruleTests = [
  {
    interval: "15s",
    input_series: [
      // 204s all along; 400s start at minute 5 (samples too old).
      { series: `${WRITE}, code="204"}`, values: "0+10x80" },
      { series: `${WRITE}, code="400"}`, values: "0x20 0+5x60" },
    ],
    alert_rule_test: [
      { eval_time: "4m", alertname: "K6RemoteWriteRejected", exp_alerts: [] },
      {
        eval_time: "15m",
        alertname: "K6RemoteWriteRejected",
        exp_alerts: [
          {
            exp_labels: { severity: "warning", code: "400" },
            exp_annotations: {
              summary: "Prometheus rejects remote writes (HTTP 400)",
              description:
                "k6 samples are being dropped. 400: samples too old, out of order or with invalid labels; 5xx: storage errors.",
            },
          },
        ],
      },
    ],
  },
  {
    interval: "1m",
    input_series: [
      // 9.5 of 10 GiB used for 20 minutes.
      { series: `prometheus_tsdb_storage_blocks_bytes{${SELF}}`, values: "9000000000x30" },
      { series: `prometheus_tsdb_wal_storage_size_bytes{${SELF}}`, values: "1000000000x30" },
      { series: `prometheus_tsdb_head_chunks_storage_size_bytes{${SELF}}`, values: "200000000x30" },
      { series: `prometheus_tsdb_retention_limit_bytes{${SELF}}`, values: "10737418240x30" },
    ],
    alert_rule_test: [
      { eval_time: "10m", alertname: "PrometheusNearRetentionSize", exp_alerts: [] },
      {
        eval_time: "20m",
        alertname: "PrometheusNearRetentionSize",
        exp_alerts: [
          {
            exp_labels: { severity: "warning" },
            exp_annotations: {
              summary: "TSDB uses over 90% of --storage.tsdb.retention.size",
              description: "The oldest blocks (oldest k6 runs) are deleted when the limit is reached.",
            },
          },
        ],
      },
    ],
  },
  {
    interval: "1m",
    input_series: [
      // No size limit (0): never "near" it.
      { series: `prometheus_tsdb_storage_blocks_bytes{${SELF}}`, values: "9000000000x30" },
      { series: `prometheus_tsdb_wal_storage_size_bytes{${SELF}}`, values: "0x30" },
      { series: `prometheus_tsdb_head_chunks_storage_size_bytes{${SELF}}`, values: "0x30" },
      { series: `prometheus_tsdb_retention_limit_bytes{${SELF}}`, values: "0x30" },
      // A config reload failed at minute 2 and stays failed.
      { series: `prometheus_config_last_reload_successful{${SELF}}`, values: "1 1 0x28" },
      // Samples rejected as too old from minute 10 on.
      { series: `prometheus_tsdb_too_old_samples_total{${SELF}, type="float"}`, values: "0x10 0+20x20" },
    ],
    alert_rule_test: [
      { eval_time: "9m", alertname: "K6SamplesOutsideOutOfOrderWindow", exp_alerts: [] },
      {
        eval_time: "14m",
        alertname: "K6SamplesOutsideOutOfOrderWindow",
        exp_alerts: [
          {
            exp_labels: { severity: "warning" },
            exp_annotations: {
              summary: "Late samples older than storage.tsdb.out_of_order_time_window are dropped",
              description:
                "Samples arrive more than 10m late (clock skew between k6 and Prometheus, or a stalled k6).",
            },
          },
        ],
      },
      { eval_time: "20m", alertname: "PrometheusNearRetentionSize", exp_alerts: [] },
      { eval_time: "5m", alertname: "PrometheusConfigReloadFailed", exp_alerts: [] },
      {
        eval_time: "10m",
        alertname: "PrometheusConfigReloadFailed",
        exp_alerts: [
          {
            exp_labels: { severity: "warning" },
            exp_annotations: {
              summary: "The last Prometheus config reload failed",
              description:
                "Prometheus keeps running the previous configuration; check its log and prometheus.yml.",
            },
          },
        ],
      },
    ],
  },
];

test("every alert of the committed rule files is covered by a promtool rule test", () => {
  const alerts = prometheusRuleGroups().flatMap((g) =>
    g.rules.flatMap((r) => ("alert" in r ? [r.alert] : [])),
  );
  const tested = new Set(ruleTests.flatMap((t) => t.alert_rule_test.map((a) => a.alertname)));
  expect(alerts.length).toBeGreaterThan(0);
  expect(alerts.filter((a) => !tested.has(a))).toEqual([]);
});

test("promtool test rules: the data-path alerts fire and stay quiet as intended", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-ruletest-"));
  try {
    const ruleFiles = fs.readdirSync(RULES_DIR).map((f) => path.join(RULES_DIR, f));
    const file = path.join(dir, "tests.yml");
    fs.writeFileSync(
      file,
      YAML.stringify({ rule_files: ruleFiles, evaluation_interval: "15s", tests: ruleTests }),
    );
    const { stdout } = await run(tools.promtool, ["test", "rules", file]);
    expect(stdout).toContain("SUCCESS");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
