// Alerts reach a user, proven with real parts: the pinned Prometheus and Alertmanager binaries
// (tools/install-tools.sh) run with the project's flags and the configs its builders render, and a
// local HTTP endpoint in this test stands in for the user's webhook. Grafana is NOT run (AGPL): a
// plain /metrics endpoint stands in for its scrape target, which is all GrafanaDown looks at.
//
// Timing is the one thing changed from the stack: the rule groups are evaluated every second with
// `for: 3s` instead of their committed `for` (promtool test rules in alert-rules.test.ts covers
// the committed durations), scrapes every second and Alertmanager groups for 1 s instead of 30 s.
// Everything else - expressions, labels, routes, receivers, Prometheus' alerting config - is what
// the stack runs.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as YAML from "yaml";
import { WEBHOOK_RECEIVER, renderAlertmanagerConfig } from "../../model/alertmanager";
import { prometheusRuleGroups } from "../../model/prometheus";
import {
  AlertmanagerServer,
  AlertmanagerTools,
  MetricsEndpoint,
  WebhookNotification,
  WebhookReceiver,
  installAlertmanager,
} from "../harness/alertmanager";
import { PrometheusServer, sleep, startPrometheus } from "../harness/prometheus";
import { REMOTE_WRITE_HEADERS, encodeWriteRequest, snappyBlock } from "../harness/k6-emitter/wire";
import { TOOLS_TIMEOUT_MS, Tools, installTools } from "../harness/tools";

const run = promisify(execFile);
/** Bound from the fault to the webhook call: scrape 1 s + for 3 s + evaluation 1 s + group_wait 1 s, with slack for 2 busy cores. */
const DELIVERY_BOUND_MS = 30_000;

let tools: Tools;
let amTools: AlertmanagerTools;
let rulesDir: string;
let webhook: WebhookReceiver;
let alertmanager: AlertmanagerServer;
let grafana: MetricsEndpoint | undefined;
let grafanaPort: number;
let prometheus: PrometheusServer;

/** The committed rule groups, evaluated every second and pending for 3 s instead of their `for`. */
function writeFastRules(dir: string): void {
  for (const group of prometheusRuleGroups()) {
    const rules = group.rules.map((r) => ("alert" in r ? { ...r, for: "3s" } : r));
    fs.writeFileSync(
      path.join(dir, group.file),
      YAML.stringify({ groups: [{ name: group.name, interval: "1s", rules }] }, { lineWidth: 0 }),
    );
  }
}

const firing = (alertname: string) => (n: WebhookNotification) =>
  n.status === "firing" && n.alerts.some((a) => a.labels.alertname === alertname && a.status === "firing");

beforeAll(async () => {
  [tools, amTools] = await Promise.all([installTools(), installAlertmanager()]);
  rulesDir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-alert-rules-"));
  writeFastRules(rulesDir);
  webhook = await WebhookReceiver.start();
  alertmanager = await AlertmanagerServer.start(amTools, {
    webhookUrl: webhook.url,
    groupWait: "1s",
    groupInterval: "1s",
    repeatInterval: "1h",
  });
  grafana = await MetricsEndpoint.start();
  grafanaPort = Number(grafana.hostPort.split(":")[1]);
  prometheus = await startPrometheus({
    tools,
    trendMode: "stats",
    rulesDir,
    scrapeInterval: "1s",
    grafanaTarget: grafana.hostPort,
    alertmanagerTarget: alertmanager.hostPort,
  });
}, TOOLS_TIMEOUT_MS);

afterAll(async () => {
  await prometheus?.stop();
  prometheus?.removeWorkDir();
  await alertmanager?.stop();
  await grafana?.stop();
  await webhook?.stop();
  if (rulesDir) fs.rmSync(rulesDir, { recursive: true, force: true });
});

test("amtool accepts the config the stack renders, with and without a webhook", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-amtool-"));
  try {
    for (const [name, args] of [
      ["ui-only.yml", {}],
      ["webhook.yml", { webhookUrl: "https://hooks.example.com/services/T0/B0/token" }],
    ] as const) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, renderAlertmanagerConfig(args));
      const { stdout } = await run(amTools.amtool, ["check-config", file]);
      expect(stdout).toContain(`Checking '${file}'  SUCCESS`);
      expect(stdout).toContain("Found:");
    }
    // A negative control: amtool does refuse a broken route.
    const broken = path.join(dir, "broken.yml");
    fs.writeFileSync(broken, "route:\n  receiver: nobody\nreceivers: []\n");
    await expect(run(amTools.amtool, ["check-config", broken])).rejects.toThrow(/failed to validate/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("every metric the alert rules read is one the pinned Prometheus or Alertmanager exports", async () => {
  // Labelled counters appear once a child exists: the head creates them on its first appends.
  await prometheus.waitForSelfScrapes(3);
  const exported = new Set<string>();
  for (const url of [`${prometheus.url}/metrics`, `${alertmanager.url}/metrics`]) {
    const text = await (await fetch(url)).text();
    for (const line of text.split("\n")) {
      const m = /^# TYPE (\S+) /.exec(line);
      if (m?.[1]) exported.add(m[1]);
    }
  }
  const referenced = new Set<string>();
  for (const group of prometheusRuleGroups()) {
    for (const rule of group.rules) {
      for (const m of rule.expr.matchAll(/\b(?:prometheus|alertmanager)_[a-z_]+\b/g)) referenced.add(m[0]);
    }
  }
  expect(referenced.size).toBeGreaterThan(10);
  // Counters are declared under their name without _total in the text format's TYPE lines.
  const missing = [...referenced].filter(
    (name) => !exported.has(name) && !exported.has(name.replace(/_total$/, "")),
  );
  expect(missing).toEqual([]);
}, 30_000);

test("healthy stack: rules evaluate, Alertmanager is found, and nothing reaches the webhook", async () => {
  // Evidence that the path would deliver if anything fired: both scrape targets up, Prometheus
  // sends to one Alertmanager, the stack-health group has been evaluated many times.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ready =
      (await prometheus.scalar('up{job="grafana"}')) === 1 &&
      (await prometheus.scalar('up{job="alertmanager"}')) === 1 &&
      (await prometheus.scalar("prometheus_notifications_alertmanagers_discovered")) === 1 &&
      (await prometheus.scalar(
        'prometheus_rule_group_iterations_total{rule_group=~".*k6obs-stack-health"}',
      )) >= 10;
    if (ready) break;
    await sleep(500);
  }
  expect(await prometheus.scalar('up{job="grafana"}')).toBe(1);
  expect(await prometheus.scalar('up{job="alertmanager"}')).toBe(1);
  expect(await prometheus.scalar("prometheus_notifications_alertmanagers_discovered")).toBe(1);
  // Longer than a fault takes to arrive (for 3 s + group_wait 1 s + evaluation).
  await sleep(10_000);
  expect(webhook.received.map((r) => r.body)).toEqual([]);
  expect(await alertmanager.alerts()).toEqual([]);
  expect(await prometheus.scalar("prometheus_notifications_errors_total")).toBe(0);
}, 60_000);

test("Grafana down: GrafanaDown arrives at the webhook with its labels within the bound, and resolves", async () => {
  await grafana?.stop();
  grafana = undefined;
  const downAt = Date.now();
  const hit = await webhook.waitFor(firing("GrafanaDown"), DELIVERY_BOUND_MS);
  expect(hit.at - downAt).toBeLessThan(DELIVERY_BOUND_MS);
  expect(hit.body.receiver).toBe(WEBHOOK_RECEIVER);
  expect(hit.body.alerts).toEqual([
    expect.objectContaining({
      status: "firing",
      labels: {
        alertname: "GrafanaDown",
        severity: "critical",
        job: "grafana",
        instance: `127.0.0.1:${grafanaPort}`,
      },
      annotations: expect.objectContaining({ summary: `Grafana is down (127.0.0.1:${grafanaPort})` }),
    }),
  ]);
  // Nothing else fired meanwhile.
  expect(new Set(webhook.received.flatMap((r) => r.body.alerts.map((a) => a.labels.alertname)))).toEqual(
    new Set(["GrafanaDown"]),
  );

  grafana = await MetricsEndpoint.start(grafanaPort);
  const resolved = await webhook.waitFor(
    (n) => n.status === "resolved" && n.alerts.every((a) => a.labels.alertname === "GrafanaDown"),
    DELIVERY_BOUND_MS + 10_000,
  );
  expect(resolved.body.alerts[0]?.status).toBe("resolved");
}, 90_000);

test("a failed config reload (broken rule file) arrives as PrometheusConfigReloadFailed", async () => {
  const broken = path.join(rulesDir, "zz-broken.yml");
  fs.writeFileSync(
    broken,
    "groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: sum(\n",
  );
  try {
    const res = await fetch(`${prometheus.url}/-/reload`, { method: "POST" });
    expect(res.status).toBe(500);
    const failedAt = Date.now();
    const hit = await webhook.waitFor(firing("PrometheusConfigReloadFailed"), DELIVERY_BOUND_MS);
    expect(hit.at - failedAt).toBeLessThan(DELIVERY_BOUND_MS);
    expect(hit.body.alerts).toEqual([
      expect.objectContaining({
        labels: { alertname: "PrometheusConfigReloadFailed", severity: "warning" },
      }),
    ]);
  } finally {
    fs.rmSync(broken, { force: true });
    await fetch(`${prometheus.url}/-/reload`, { method: "POST" });
  }
}, 60_000);

test("a k6 sample older than the out-of-order window arrives as K6SamplesOutsideOutOfOrderWindow", async () => {
  // What k6 sends after a stall: a series' current sample, then one of the same series 20 minutes
  // old (the window is 10m).
  const push = (timestamp: number) =>
    fetch(prometheus.remoteWriteUrl, {
      method: "POST",
      headers: REMOTE_WRITE_HEADERS,
      body: snappyBlock(
        encodeWriteRequest([
          {
            labels: [
              { name: "__name__", value: "k6_vus" },
              { name: "testid", value: "late-run" },
            ],
            samples: [{ value: 1, timestamp }],
          },
        ]),
      ),
    });
  expect((await push(Date.now())).status).toBe(204);
  // The head creates the counter (at 0) on its first append; rate() sees the step to 1 only once
  // a scrape has recorded the 0, as on any stack that has been up for a scrape interval.
  const tooOld = 'prometheus_tsdb_too_old_samples_total{job="prometheus"}';
  for (let i = 0; i < 80 && (await prometheus.query(tooOld)).length === 0; i++) await sleep(250);
  expect(await prometheus.scalar(tooOld)).toBe(0);
  expect((await push(Date.now() - 20 * 60_000)).status).toBe(400);
  const sentAt = Date.now();
  // The counter the rule reads is the one Prometheus increments for it (seen at its next self-scrape).
  for (let i = 0; i < 60 && (await prometheus.scalar(tooOld)) === 0; i++) await sleep(250);
  expect(await prometheus.scalar(tooOld)).toBe(1);
  expect(await prometheus.scalar('prometheus_tsdb_out_of_order_samples_total{job="prometheus"}')).toBe(0);
  const hit = await webhook.waitFor(firing("K6SamplesOutsideOutOfOrderWindow"), DELIVERY_BOUND_MS);
  expect(hit.at - sentAt).toBeLessThan(DELIVERY_BOUND_MS);
  expect(hit.body.alerts).toEqual([
    expect.objectContaining({
      labels: { alertname: "K6SamplesOutsideOutOfOrderWindow", severity: "warning" },
    }),
  ]);
}, 60_000);
