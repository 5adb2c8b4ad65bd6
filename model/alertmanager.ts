import * as YAML from "yaml";

/**
 * Facts about the stack's Alertmanager and the pure builders of its flags and configuration,
 * shared by the program (components/alertmanager.ts), Prometheus' config and the integration
 * tests that run the real binary. Pure: no Pulumi imports.
 */

/** Network alias of Alertmanager on the stack network; Prometheus and Grafana reach it by this name. */
export const ALERTMANAGER_ALIAS = "alertmanager";
/** Port Alertmanager listens on inside the container (its default). */
export const ALERTMANAGER_INTERNAL_PORT = 9093;
/** Where the official image keeps silences and the notification log; the data volume is mounted here. */
export const ALERTMANAGER_DATA_DIR = "/alertmanager";
/** Where the generated configuration is uploaded into the container. */
export const ALERTMANAGER_CONFIG_FILE = "/etc/alertmanager/alertmanager.yml";
/** UID:GID of `nobody`, which the official image runs as and which owns /alertmanager. */
export const ALERTMANAGER_USER = "65534:65534";
/** Job name of Prometheus' scrape of Alertmanager; the AlertmanagerDown rule selects it. */
export const ALERTMANAGER_JOB = "alertmanager";
/** Receiver every alert reaches when no webhook is configured: shown in Alertmanager and Grafana only. */
export const UI_ONLY_RECEIVER = "k6obs-ui-only";
/** Receiver that posts to the configured webhook (alertWebhookUrl). */
export const WEBHOOK_RECEIVER = "k6obs-webhook";

/** Inputs of {@link alertmanagerFlags}. */
export interface AlertmanagerFlagsArgs {
  /** Config file path (container path by default). */
  readonly configFile?: string;
  /** Storage directory (container path by default). */
  readonly dataDir?: string;
  /** `--web.listen-address` (`:9093` by default). */
  readonly listenAddress?: string;
}

/** Command-line flags of the Alertmanager server. Used by the container and by the integration tests. */
export function alertmanagerFlags(args: AlertmanagerFlagsArgs = {}): string[] {
  return [
    `--config.file=${args.configFile ?? ALERTMANAGER_CONFIG_FILE}`,
    `--storage.path=${args.dataDir ?? ALERTMANAGER_DATA_DIR}`,
    `--web.listen-address=${args.listenAddress ?? `:${ALERTMANAGER_INTERNAL_PORT}`}`,
    // One Alertmanager, no HA peers: an empty address turns the gossip cluster (port 9094, on all
    // interfaces by default) off instead of leaving a listener nobody uses.
    "--cluster.listen-address=",
  ];
}

/**
 * Why a webhook URL cannot be used, or undefined when it can: Alertmanager posts alerts to it
 * (its `webhook_configs.url`), so it must be an absolute http(s) URL with a host.
 */
export function webhookUrlProblem(url: string): string | undefined {
  if (url !== url.trim() || /\s/.test(url)) return "contains whitespace";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not an absolute URL";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return `uses ${parsed.protocol.replace(/:$/, "")}, not http or https`;
  }
  if (parsed.hostname === "") return "has no host";
  return undefined;
}

/** Inputs of {@link alertmanagerConfig}. */
export interface AlertmanagerConfigArgs {
  /** Where to post alerts (a Slack/Teams/ntfy/... bridge or any webhook); none: UI only. Secret. */
  readonly webhookUrl?: string;
  /** How long to wait for more alerts of a new group before the first notification (default 30s). */
  readonly groupWait?: string;
  /** How long to wait before notifying about new alerts of a group already notified (default 5m). */
  readonly groupInterval?: string;
  /** How often an alert still firing is sent again (default 4h). */
  readonly repeatInterval?: string;
}

/**
 * The Alertmanager configuration document: every alert goes to one receiver, the webhook when one
 * is configured, otherwise a receiver without integrations (alerts are then seen in Alertmanager's
 * API/UI and Grafana's alert list, which reads it through the provisioned datasource). Throws for
 * a webhook URL that {@link webhookUrlProblem} refuses; the stack config checks it first and names
 * the key.
 */
export function alertmanagerConfig(args: AlertmanagerConfigArgs = {}): Record<string, unknown> {
  const webhook = args.webhookUrl !== undefined && args.webhookUrl !== "" ? args.webhookUrl : undefined;
  if (webhook !== undefined) {
    const problem = webhookUrlProblem(webhook);
    // Never echo the URL: its path or query often is the token.
    if (problem)
      throw new Error(`alertmanagerConfig: webhookUrl ${problem}; allowed: an absolute http(s) URL`);
  }
  return {
    route: {
      receiver: webhook ? WEBHOOK_RECEIVER : UI_ONLY_RECEIVER,
      group_by: ["alertname"],
      group_wait: args.groupWait ?? "30s",
      group_interval: args.groupInterval ?? "5m",
      repeat_interval: args.repeatInterval ?? "4h",
    },
    receivers: webhook
      ? [{ name: WEBHOOK_RECEIVER, webhook_configs: [{ url: webhook, send_resolved: true }] }]
      : [{ name: UI_ONLY_RECEIVER }],
  };
}

/** YAML text of {@link alertmanagerConfig}, as uploaded into the container. */
export function renderAlertmanagerConfig(args: AlertmanagerConfigArgs = {}): string {
  return (
    "# Generated by the stack (model/alertmanager.ts) from its config; edit those, not this file.\n" +
    YAML.stringify(alertmanagerConfig(args))
  );
}
