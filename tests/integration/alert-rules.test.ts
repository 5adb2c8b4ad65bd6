// The data-path and stack-health alerts (provisioning/prometheus/rules) fire when they should and
// stay quiet otherwise: `promtool test rules` with synthetic input series, at the pinned Prometheus version.
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

/** The annotations the committed rule renders for these labels (promtool compares them too). */
function annotationsOf(alert: string, labels: Record<string, string>): Record<string, string> {
  const rule = prometheusRuleGroups()
    .flatMap((g) => g.rules)
    .find((r) => "alert" in r && r.alert === alert);
  if (!rule || !("alert" in rule)) throw new Error(`no alert ${alert}`);
  const fill = (t: string) => t.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_m, k: string) => labels[k] ?? "");
  return { summary: fill(rule.annotations.summary), description: fill(rule.annotations.description) };
}

/** One expected firing alert: its labels, and the annotations its rule renders for them. */
const fires = (alert: string, labels: Record<string, string>) => ({
  eval_time: "",
  alertname: alert,
  exp_alerts: [{ exp_labels: labels, exp_annotations: annotationsOf(alert, labels) }],
});
const at = (evalTime: string, t: ReturnType<typeof fires>) => ({ ...t, eval_time: evalTime });
const quiet = (evalTime: string, alertname: string) => ({ eval_time: evalTime, alertname, exp_alerts: [] });

const GRAFANA = 'job="grafana", instance="grafana:3000"';
const AM = 'job="alertmanager", instance="alertmanager:9093"';
const SELF_LABELS = { job: "prometheus", instance: "localhost:9090" };
const STACK_HEALTH_ALERTS = [
  "GrafanaDown",
  "AlertmanagerDown",
  "PrometheusTsdbErrors",
  "PrometheusRuleEvaluationFailures",
  "PrometheusAlertsNotDelivered",
  "PrometheusNoAlertmanager",
  "AlertmanagerNotificationsFailing",
];

const stackHealthTests = [
  {
    // Everything healthy for 30 minutes: no stack-health alert at any time.
    interval: "1m",
    input_series: [
      { series: `up{${GRAFANA}}`, values: "1x30" },
      { series: `up{${AM}}`, values: "1x30" },
      { series: `prometheus_tsdb_compactions_failed_total{${SELF}}`, values: "0x30" },
      { series: `prometheus_tsdb_wal_corruptions_total{${SELF}}`, values: "0x30" },
      { series: `prometheus_tsdb_wal_writes_failed_total{${SELF}}`, values: "0x30" },
      { series: `prometheus_rule_evaluation_failures_total{${SELF}, rule_group="g"}`, values: "0x30" },
      { series: `prometheus_notifications_errors_total{${SELF}, alertmanager="am"}`, values: "0x30" },
      { series: `prometheus_notifications_dropped_total{${SELF}}`, values: "0x30" },
      { series: `prometheus_notifications_alertmanagers_discovered{${SELF}}`, values: "1x30" },
      { series: `alertmanager_notifications_failed_total{${AM}, integration="webhook"}`, values: "0x30" },
    ],
    alert_rule_test: ["5m", "20m", "30m"].flatMap((t) => STACK_HEALTH_ALERTS.map((a) => quiet(t, a))),
  },
  {
    interval: "1m",
    input_series: [
      // Grafana stops answering at minute 3; Alertmanager is down from the start.
      { series: `up{${GRAFANA}}`, values: "1 1 1 0x20" },
      { series: `up{${AM}}`, values: "0x20" },
      // One failed compaction at minute 6 (e.g. disk full); other counters stay at 0.
      { series: `prometheus_tsdb_compactions_failed_total{${SELF}}`, values: "0x5 1x30" },
      { series: `prometheus_tsdb_wal_writes_failed_total{${SELF}}`, values: "0x35" },
      // A rule group fails every minute from minute 4.
      { series: `prometheus_rule_evaluation_failures_total{${SELF}, rule_group="g"}`, values: "0x3 0+1x20" },
      // Sends to Alertmanager fail from minute 6; the dropped counter stays at 0.
      { series: `prometheus_notifications_errors_total{${SELF}, alertmanager="am"}`, values: "0x5 0+2x20" },
      { series: `prometheus_notifications_dropped_total{${SELF}}`, values: "0x25" },
      // The webhook refuses from minute 6.
      {
        series: `alertmanager_notifications_failed_total{${AM}, integration="webhook"}`,
        values: "0x5 0+1x20",
      },
    ],
    alert_rule_test: [
      quiet("4m", "GrafanaDown"),
      at("6m", fires("GrafanaDown", { severity: "critical", job: "grafana", instance: "grafana:3000" })),
      quiet("1m", "AlertmanagerDown"),
      at(
        "3m",
        fires("AlertmanagerDown", {
          severity: "critical",
          job: "alertmanager",
          instance: "alertmanager:9093",
        }),
      ),
      quiet("5m", "PrometheusTsdbErrors"),
      at(
        "8m",
        fires("PrometheusTsdbErrors", { severity: "critical", failure: "compaction", ...SELF_LABELS }),
      ),
      // 15 minutes after the last failure the alert clears by itself.
      quiet("23m", "PrometheusTsdbErrors"),
      quiet("7m", "PrometheusRuleEvaluationFailures"),
      at("12m", fires("PrometheusRuleEvaluationFailures", { severity: "warning", rule_group: "g" })),
      quiet("9m", "PrometheusAlertsNotDelivered"),
      at("14m", fires("PrometheusAlertsNotDelivered", { severity: "critical" })),
      quiet("9m", "AlertmanagerNotificationsFailing"),
      at("14m", fires("AlertmanagerNotificationsFailing", { severity: "critical", integration: "webhook" })),
    ],
  },
  {
    interval: "1m",
    input_series: [
      // Prometheus loses its Alertmanager at minute 5 (no errors counter series without one).
      { series: `prometheus_notifications_alertmanagers_discovered{${SELF}}`, values: "1x4 0x20" },
      { series: `prometheus_notifications_dropped_total{${SELF}}`, values: "0x4 0+3x20" },
      // A WAL corruption repaired at minute 2.
      { series: `prometheus_tsdb_wal_corruptions_total{${SELF}}`, values: "0 0 1x20" },
    ],
    alert_rule_test: [
      quiet("8m", "PrometheusNoAlertmanager"),
      at("11m", fires("PrometheusNoAlertmanager", { severity: "critical" })),
      at("12m", fires("PrometheusAlertsNotDelivered", { severity: "critical" })),
      at(
        "4m",
        fires("PrometheusTsdbErrors", { severity: "critical", failure: "WAL corruption", ...SELF_LABELS }),
      ),
    ],
  },
];

test("every alert of the committed rule files is covered by a promtool rule test", () => {
  const alerts = prometheusRuleGroups().flatMap((g) =>
    g.rules.flatMap((r) => ("alert" in r ? [r.alert] : [])),
  );
  const tested = new Set(
    [...ruleTests, ...stackHealthTests].flatMap((t) => t.alert_rule_test.map((a) => a.alertname)),
  );
  expect(alerts.length).toBeGreaterThan(0);
  expect(alerts.filter((a) => !tested.has(a))).toEqual([]);
});

test("promtool test rules: the data-path and stack-health alerts fire and stay quiet as intended", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-ruletest-"));
  try {
    const ruleFiles = fs.readdirSync(RULES_DIR).map((f) => path.join(RULES_DIR, f));
    const file = path.join(dir, "tests.yml");
    fs.writeFileSync(
      file,
      YAML.stringify({
        rule_files: ruleFiles,
        evaluation_interval: "15s",
        tests: [...ruleTests, ...stackHealthTests],
      }),
    );
    const { stdout } = await run(tools.promtool, ["test", "rules", file]);
    expect(stdout).toContain("SUCCESS");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
