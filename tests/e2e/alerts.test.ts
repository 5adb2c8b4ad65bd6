/**
 * Alerts on a real Pulumi engine and a real Docker Engine: `npm run up` brings Alertmanager up
 * healthy beside Prometheus and Grafana, Prometheus finds and scrapes it, a webhook URL set with
 * `config set --secret` reaches Alertmanager without appearing in `docker inspect`, and a stopped
 * Grafana container arrives at that webhook as GrafanaDown with the committed timings (for 2m).
 *
 * The webhook is a container this test starts on the stack network (busybox httpd with a CGI that
 * appends each POST body to a file, run from the Alertmanager image's busybox), so no traffic
 * leaves the suite's own engine. Grafana is the stand-in
 * (tests/e2e/README.md): what is proven is the scrape of its /metrics, not Grafana's own exporter.
 * One ordered story; k6 is off (not what this file is about).
 */
import { eventually, getJson, say } from "../harness/e2e/harness";
import { readIn } from "../harness/e2e/sandbox";
import { e2eStory } from "../harness/e2e/story";

jest.setTimeout(15 * 60_000);

const WEBHOOK_CONTAINER = "k6obs-dev-e2e-webhook";
const WEBHOOK_URL = "http://e2e-webhook:8080/cgi-bin/hook/s3cr3t-e2e-token";
const HOOK_LOG = "/tmp/hooks.log";
const ctx = { prometheusUrl: "", alertmanagerUrl: "" };

const { need } = e2eStory("alerts", {
  teardown: (sb) => {
    try {
      sb?.docker_(["rm", "-f", WEBHOOK_CONTAINER]);
    } catch {
      // not started
    }
  },
});

const health = (name: string): string => need().health(name);

interface PromAlert {
  labels: Record<string, string>;
  state: string;
}

async function promScalar(expr: string): Promise<number> {
  const r = await getJson<{ data: { result: { value: [number, string] }[] } }>(
    `${ctx.prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`,
  );
  return r.data.result.reduce((s, x) => s + Number(x.value[1]), 0);
}

/** Bodies the webhook container received (one JSON line per POST). */
function webhookBodies(): {
  status: string;
  receiver: string;
  alerts: { labels: Record<string, string> }[];
}[] {
  return need()
    .docker_(["exec", WEBHOOK_CONTAINER, "cat", HOOK_LOG])
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map(
      (l) =>
        JSON.parse(l) as { status: string; receiver: string; alerts: { labels: Record<string, string> }[] },
    );
}

test("up brings Alertmanager up healthy; Prometheus sends to it and scrapes it", async () => {
  const s = need();
  await s.configSet("k6Enabled", "false");
  await s.npmOk("up", ["--yes"], { label: "dev: npm run up -- --yes (cold, k6 off)" });
  ctx.prometheusUrl = await s.output("prometheusUrl");
  ctx.alertmanagerUrl = await s.output("alertmanagerUrl");
  expect(ctx.alertmanagerUrl).toBe(`http://127.0.0.1:${s.ports.dev.alertmanager}`);
  expect(health("k6obs-dev-alertmanager")).toBe("healthy");
  const status = await getJson<{ config: { original: string } }>(`${ctx.alertmanagerUrl}/api/v2/status`);
  expect(status.config.original).toContain("receiver: k6obs-ui-only");
  await eventually(
    "Prometheus discovers Alertmanager and scrapes it and Grafana",
    async () =>
      (await promScalar("prometheus_notifications_alertmanagers_discovered")) === 1 &&
      (await promScalar('up{job="alertmanager"}')) === 1 &&
      (await promScalar('up{job="grafana"}')) === 1
        ? true
        : undefined,
    120_000,
  );
  // The stack-health rules are loaded and evaluated, and nothing is pending or firing. Counted from
  // the moment every target is up: a scrape of Grafana before it listened leaves GrafanaDown
  // pending until the next evaluation sees up == 1 (the first real run failed on exactly that).
  const iterations = 'prometheus_rule_group_iterations_total{rule_group=~".*k6obs-stack-health"}';
  const evaluatedBefore = await promScalar(iterations);
  await eventually(
    "the stack-health rules evaluated three times since every target is up (the counter is scraped, so one evaluation of slack)",
    async () => ((await promScalar(iterations)) >= evaluatedBefore + 3 ? true : undefined),
    90_000,
  );
  const alerts = await getJson<{ data: { alerts: PromAlert[] } }>(`${ctx.prometheusUrl}/api/v1/alerts`);
  expect(alerts.data.alerts).toEqual([]);
  // The volume holding silences and the notification log is the stack's, labelled for purge-data.
  expect(
    s.docker_([
      "volume",
      "inspect",
      "--format",
      '{{ index .Labels "k6obs.retain" }}',
      "k6obs-dev-alertmanager-data",
    ]),
  ).toBe("true");
});

test("a webhook URL set as a secret reaches Alertmanager and not docker inspect", async () => {
  const s = need();
  const cgi = `#!/bin/sh\nhead -c "$CONTENT_LENGTH" >> ${HOOK_LOG}\necho >> ${HOOK_LOG}\nprintf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'\n`;
  const start = `mkdir -p /tmp/www/cgi-bin && printf '%s' "$CGI" > /tmp/www/cgi-bin/hook && chmod +x /tmp/www/cgi-bin/hook && touch ${HOOK_LOG} && exec httpd -f -p 8080 -h /tmp/www`;
  s.docker_([
    "run",
    "-d",
    "--name",
    WEBHOOK_CONTAINER,
    "--network",
    "k6obs-dev-net",
    "--network-alias",
    "e2e-webhook",
    "-e",
    `CGI=${cgi}`,
    "--entrypoint",
    "/bin/sh",
    s.images.alertmanager,
    "-c",
    start,
  ]);
  await eventually("the webhook container answers", async () =>
    s.docker_([
      "exec",
      WEBHOOK_CONTAINER,
      "wget",
      "-q",
      "-O",
      "-",
      "--post-data=",
      "http://localhost:8080/cgi-bin/hook",
    ]) === "ok"
      ? true
      : undefined,
  );
  // That probe's empty body is the log's first line; webhookBodies() skips it.
  await s.npmOk("pulumi", ["config", "set", "--secret", "alertWebhookUrl", WEBHOOK_URL], {
    label: "dev: config set --secret alertWebhookUrl",
  });
  await s.npmOk("up", ["--yes"], { label: "dev: npm run up -- --yes (webhook set)" });
  expect(health("k6obs-dev-alertmanager")).toBe("healthy");
  const status = await getJson<{ config: { original: string } }>(`${ctx.alertmanagerUrl}/api/v2/status`);
  expect(status.config.original).toContain("receiver: k6obs-webhook");
  // Alertmanager masks URLs in its status API; the file in the container holds the real one.
  expect(
    s.docker_(["exec", "k6obs-dev-alertmanager", "cat", "/etc/alertmanager/alertmanager.yml"]),
  ).toContain(WEBHOOK_URL);
  expect(s.docker_(["inspect", "k6obs-dev-alertmanager"])).not.toContain("s3cr3t-e2e-token");
  expect(readIn(s.checkout, "Pulumi.dev.yaml")).not.toContain("s3cr3t-e2e-token");
});

test("a stopped Grafana arrives at the webhook as GrafanaDown within the committed timings", async () => {
  const s = need();
  expect(webhookBodies()).toEqual([]);
  s.docker_(["stop", "k6obs-dev-grafana"]);
  const stoppedAt = Date.now();
  try {
    // for 2m + a 15s scrape + a 15s evaluation + Alertmanager's 30s group_wait, with slack.
    const hit = await eventually(
      "GrafanaDown at the webhook",
      async () =>
        webhookBodies().find(
          (b) => b.status === "firing" && b.alerts.some((a) => a.labels.alertname === "GrafanaDown"),
        ),
      6 * 60_000,
    );
    say(`GrafanaDown reached the webhook ${((Date.now() - stoppedAt) / 1000).toFixed(0)}s after docker stop`);
    expect(hit.receiver).toBe("k6obs-webhook");
    expect(hit.alerts[0]?.labels).toMatchObject({
      alertname: "GrafanaDown",
      severity: "critical",
      job: "grafana",
    });
    const held = await getJson<{ labels: Record<string, string> }[]>(`${ctx.alertmanagerUrl}/api/v2/alerts`);
    expect(held.map((a) => a.labels.alertname)).toContain("GrafanaDown");
  } finally {
    s.docker_(["start", "k6obs-dev-grafana"]);
  }
});
