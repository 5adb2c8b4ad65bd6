// The stack's Alertmanager as the program declares it: on the stack network under the alias
// Prometheus' config sends alerts to, its state in a retained volume apart from the service, its
// config the builder's, a webhook URL secret from config to container, bad values refused first.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ConfigError, ConfigKey, parseConfig } from "../../config";
import {
  ALERTMANAGER_ALIAS,
  ALERTMANAGER_CONFIG_FILE,
  ALERTMANAGER_DATA_DIR,
  ALERTMANAGER_INTERNAL_PORT,
  UI_ONLY_RECEIVER,
  WEBHOOK_RECEIVER,
  alertmanagerConfig,
  renderAlertmanagerConfig,
} from "../../model/alertmanager";
import { prometheusConfig } from "../../model/prometheus";
import { DeclaredResource, ProgramError, REPO_ROOT, runProgram } from "../harness/program";

const WEBHOOK = "https://hooks.example.com/services/T000/B000/s3cr3t-token";

type Upload = { file: string; content: string };
const uploadsOf = (c: DeclaredResource) => (c.inputs.uploads as Upload[] | undefined) ?? [];
const configOf = (c: DeclaredResource) => {
  const upload = uploadsOf(c).find((u) => u.file === ALERTMANAGER_CONFIG_FILE);
  if (!upload) throw new Error(`no upload of ${ALERTMANAGER_CONFIG_FILE}`);
  return YAML.parse(upload.content) as ReturnType<typeof alertmanagerConfig>;
};

function problemsOf(values: Partial<Record<ConfigKey, string>>, isSecret?: (k: ConfigKey) => boolean) {
  try {
    parseConfig((k) => values[k], { stack: "dev", repoRoot: REPO_ROOT, isSecret });
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error(`config ${JSON.stringify(values)} was accepted`);
}

describe("the dev stack's Alertmanager", () => {
  test("runs pinned, on the stack network under the alias Prometheus sends alerts to, published on loopback", async () => {
    const run = await runProgram();
    const am = run.one("Container", "alertmanager-container");
    expect(am.inputs.name).toBe("k6obs-dev-alertmanager");
    expect(am.inputs.networksAdvanced).toEqual([expect.objectContaining({ aliases: [ALERTMANAGER_ALIAS] })]);
    expect(am.inputs.ports).toEqual([
      expect.objectContaining({ internal: ALERTMANAGER_INTERNAL_PORT, external: 9093, ip: "127.0.0.1" }),
    ]);
    expect(am.inputs.user).toBe("65534:65534");
    expect((am.inputs.healthcheck as { tests: string[] }).tests.join(" ")).toContain("/-/ready");
    expect(run.one("RemoteImage", "alertmanager-image").inputs.name).toBe("prom/alertmanager:v0.35.0");
    expect(run.outputs.alertmanagerUrl).toBe("http://127.0.0.1:9093");
    expect(run.outputs.alertmanagerContainer).toBe("k6obs-dev-alertmanager");
    // Prometheus (the committed config) delivers to exactly that alias and port.
    const committed = YAML.parse(
      fs.readFileSync(path.join(REPO_ROOT, "provisioning/prometheus/prometheus.yml"), "utf8"),
    ) as typeof prometheusConfig extends () => infer R ? R : never;
    expect(committed.alerting).toEqual({
      alertmanagers: [
        { static_configs: [{ targets: [`${ALERTMANAGER_ALIAS}:${ALERTMANAGER_INTERNAL_PORT}`] }] },
      ],
    });
  });

  test("keeps silences and the notification log in a retained volume of its own, not in the container", async () => {
    const run = await runProgram();
    const volume = run.one("Volume", "data-alertmanager");
    expect(volume.inputs.name).toBe("k6obs-dev-alertmanager-data");
    expect(volume.opts.retainOnDelete).toBe(true);
    expect(volume.opts.parent).toMatch(/DataVolumes::k6obs-data$/);
    expect(volume.inputs.labels).toEqual(
      expect.arrayContaining([
        { label: "k6obs.retain", value: "true" },
        { label: "k6obs.role", value: "alertmanager-data" },
        { label: "k6obs.stack", value: "dev" },
      ]),
    );
    const am = run.one("Container", "alertmanager-container");
    expect(am.inputs.mounts).toEqual([
      expect.objectContaining({
        type: "volume",
        source: "k6obs-dev-alertmanager-data",
        target: ALERTMANAGER_DATA_DIR,
      }),
    ]);
    expect(am.inputs.command).toContain(`--storage.path=${ALERTMANAGER_DATA_DIR}`);
  });

  test("without a webhook every alert goes to the UI-only receiver (Grafana and Alertmanager lists)", async () => {
    const run = await runProgram();
    const am = run.one("Container", "alertmanager-container");
    expect(configOf(am)).toEqual(alertmanagerConfig());
    expect(configOf(am).route).toMatchObject({ receiver: UI_ONLY_RECEIVER });
    // Alertmanager's documented shape (prometheus.io/docs/alerting/latest/configuration), written out
    // here rather than taken from the builder: the route names a defined receiver, which has no
    // integrations; the timings are Alertmanager's documented defaults.
    expect(configOf(am)).toEqual({
      route: {
        receiver: "k6obs-ui-only",
        group_by: ["alertname"],
        group_wait: "30s",
        group_interval: "5m",
        repeat_interval: "4h",
      },
      receivers: [{ name: "k6obs-ui-only" }],
    });
  });

  test("a webhook URL from secret config reaches the container's config and stays secret", async () => {
    const run = await runProgram({ alertWebhookUrl: WEBHOOK }, "dev", undefined, ["alertWebhookUrl"]);
    const am = run.one("Container", "alertmanager-container");
    expect(configOf(am)).toEqual(alertmanagerConfig({ webhookUrl: WEBHOOK }));
    expect(configOf(am).route).toMatchObject({ receiver: WEBHOOK_RECEIVER });
    // The URL the test put in config, in Alertmanager's documented webhook_config shape (url,
    // send_resolved), under the receiver the route names: written out, not taken from the builder.
    expect(configOf(am)).toEqual({
      route: {
        receiver: "k6obs-webhook",
        group_by: ["alertname"],
        group_wait: "30s",
        group_interval: "5m",
        repeat_interval: "4h",
      },
      receivers: [
        {
          name: "k6obs-webhook",
          webhook_configs: [
            { url: "https://hooks.example.com/services/T000/B000/s3cr3t-token", send_resolved: true },
          ],
        },
      ],
    });
    expect(am.secretInputs).toContain("uploads");
    expect(am.opts.additionalSecretOutputs).toContain("uploads");
    // Nowhere else: not in the command, env, labels or any stack output.
    const rest = Object.entries(am.inputs).filter(([k]) => k !== "uploads");
    expect(JSON.stringify(rest)).not.toContain("s3cr3t-token");
    expect(JSON.stringify(run.outputs)).not.toContain("s3cr3t-token");
  });
});

describe("the Alertmanager config follows its inputs", () => {
  test.each([
    "https://hooks.example.com/services/T000/B000/s3cr3t-token",
    "http://ntfy.internal:8080/k6-alerts?priority=high",
  ])("a webhook URL %s is the one Alertmanager posts to, and only it", (url) => {
    const config = alertmanagerConfig({ webhookUrl: url }) as {
      route: { receiver: string };
      receivers: { name: string; webhook_configs?: { url: string }[] }[];
    };
    const routed = config.receivers.filter((r) => r.name === config.route.receiver);
    expect(routed).toHaveLength(1);
    expect(routed[0]!.webhook_configs!.map((w) => w.url)).toEqual([url]);
    // The container's file (YAML) holds exactly that URL.
    const text = renderAlertmanagerConfig({ webhookUrl: url });
    expect(YAML.parse(text)).toMatchObject({ receivers: [{ webhook_configs: [{ url }] }] });
  });

  test("timings given to the builder are the route's, Alertmanager's field names", () => {
    expect(
      alertmanagerConfig({ groupWait: "10s", groupInterval: "1m", repeatInterval: "12h" }).route,
    ).toEqual({
      receiver: "k6obs-ui-only",
      group_by: ["alertname"],
      group_wait: "10s",
      group_interval: "1m",
      repeat_interval: "12h",
    });
  });
});

describe("alert config refused before any resource", () => {
  test.each([
    ["ftp://hooks.example.com/x", "uses ftp, not http or https"],
    ["hooks.example.com/x", "is not an absolute URL"],
    [" https://hooks.example.com/x", "contains whitespace"],
    ["https://hooks.example.com/a b", "contains whitespace"],
    ["file:///etc/passwd", "uses file, not http or https"],
  ])("alertWebhookUrl %j: %s, without echoing the URL", (url, why) => {
    const problems = problemsOf({ alertWebhookUrl: url });
    expect(problems).toEqual([
      `k6-observatory:alertWebhookUrl = (secret, ${url.length} characters) is not allowed: it ${why}; allowed: an absolute http:// or https:// URL that Alertmanager posts alerts to, or empty for none`,
    ]);
    expect(problems[0]).not.toContain("hooks.example.com");
  });

  test("a webhook URL stored in plaintext is refused", () => {
    expect(problemsOf({ alertWebhookUrl: WEBHOOK }, () => false)).toEqual([
      `k6-observatory:alertWebhookUrl = (plaintext, ${WEBHOOK.length} characters) is not allowed: store it encrypted with \`pulumi config set --secret alertWebhookUrl <url>\``,
    ]);
  });

  test.each([
    [{ alertmanagerPort: "3000" }, '"3000"'],
    [{ alertmanagerPort: "9090" }, '"9090"'],
    [{ alertmanagerPort: "80" }, '"80"'],
  ])("alertmanagerPort %j collides or is privileged", (values, shown) => {
    const problems = problemsOf(values);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`k6-observatory:alertmanagerPort = ${shown} is not allowed`);
  });

  test("an unpinned Alertmanager image is refused", () => {
    expect(problemsOf({ alertmanagerImage: "prom/alertmanager:latest" })).toEqual([
      expect.stringContaining('k6-observatory:alertmanagerImage = "prom/alertmanager:latest" is not allowed'),
    ]);
  });

  test("the program declares nothing when the webhook is bad", async () => {
    const failure = await runProgram({ alertWebhookUrl: "ftp://x" }, "dev", undefined, [
      "alertWebhookUrl",
    ]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProgramError);
    expect((failure as ProgramError).message).toContain(
      "k6-observatory:alertWebhookUrl = (secret, 7 characters)",
    );
    expect((failure as ProgramError).declared).toBe(0);
  });
});
