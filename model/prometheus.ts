import * as YAML from "yaml";
import { TrendMode } from "./trend-mode";
import { GRAFANA_ALIAS, GRAFANA_INTERNAL_PORT } from "./grafana";
import { TARGETS_JOB } from "./scrape-targets";
import { ALERTMANAGER_ALIAS, ALERTMANAGER_INTERNAL_PORT, ALERTMANAGER_JOB } from "./alertmanager";
import { stackHealthRuleGroup } from "./alert-rules";

/** Where the Prometheus image keeps its TSDB; the data volume is mounted here. */
export const PROMETHEUS_DATA_DIR = "/prometheus";
/** Where the repo's provisioning/prometheus directory is mounted (read-only). */
export const PROMETHEUS_CONFIG_DIR = "/etc/prometheus";
/**
 * Where Prometheus reads the user's scrape targets (file_sd, model/scrape-targets.ts): a per-stack
 * host directory, apart from the committed provisioning/prometheus, so target edits need neither a
 * reload nor a restart (see components/prometheus.ts).
 */
export const PROMETHEUS_TARGETS_DIR = "/etc/prometheus-targets";
/** Port Prometheus listens on inside the container. */
export const PROMETHEUS_INTERNAL_PORT = 9090;
/** UID:GID of `nobody`, which the official image runs as and which owns its data directory. */
export const PROMETHEUS_USER = "65534:65534";
/** Owner of Prometheus' data files, as restore must leave them. */
export const PROMETHEUS_OWNER = { uid: 65534, gid: 65534 } as const;

/**
 * The login every client of Prometheus sends (basic auth): Grafana's datasource, k6, the
 * healthcheck, the reload trigger, the self-scrape and the ops tools. One user, one generated
 * password (the stack output prometheusPassword).
 */
export const PROMETHEUS_AUTH_USER = "k6obs";
/**
 * Container directory of the uploaded auth files. Not under PROMETHEUS_CONFIG_DIR: that is a
 * read-only bind mount of the committed provisioning/prometheus, where no secret may live.
 */
export const PROMETHEUS_AUTH_DIR = "/etc/prometheus-auth";
/** The exporter-toolkit web config (`--web.config.file`), holding the bcrypt hash. */
export const PROMETHEUS_WEB_CONFIG_FILE = `${PROMETHEUS_AUTH_DIR}/web.yml`;
/** The password in clear, for the clients inside the Prometheus containers (self-scrape, healthcheck, reload). */
export const PROMETHEUS_PASSWORD_FILE = `${PROMETHEUS_AUTH_DIR}/password`;
/**
 * Where Grafana finds the Prometheus password (uploaded); the provisioned datasource reads it with
 * `$__file{...}` (provisioning/grafana/provisioning/datasources/prometheus.yaml repeats this literal;
 * a test keeps them equal).
 */
export const GRAFANA_PROMETHEUS_PASSWORD_FILE = "/run/secrets/k6obs-prometheus-password";

/**
 * The web config document Prometheus reads with `--web.config.file` (Prometheus' exporter-toolkit
 * format): every endpoint, including /-/ready, /-/reload, /-/quit, /api/v1/write and /metrics,
 * then answers 401 without one of these users. Values are bcrypt hashes. Prometheus re-reads the
 * file on every request (measured on v3.15.1: an edited user list applied without a restart).
 */
export function prometheusWebConfig(users: Readonly<Record<string, string>>): string {
  for (const [user, hash] of Object.entries(users)) {
    if (!/^\$2[aby]?\$\d{2}\$[./A-Za-z0-9]{53}$/.test(hash)) {
      throw new Error(`prometheusWebConfig: the hash of user ${user} is not a bcrypt hash ($2a$/$2b$/$2y$)`);
    }
  }
  return YAML.stringify({ basic_auth_users: users });
}

/**
 * A busybox `wget` URL with the stack's credentials read from PROMETHEUS_PASSWORD_FILE at run time,
 * for a `sh -c` command: the password never appears in the container's config (`docker inspect`).
 * The generated password is letters and digits only, so it needs no URL escaping.
 */
export function authenticatedWgetUrl(hostPort: string, urlPath: string): string {
  return `"http://${PROMETHEUS_AUTH_USER}:$(cat ${PROMETHEUS_PASSWORD_FILE})@${hostPort}${urlPath}"`;
}

/** Network alias of Prometheus on the stack network; k6 and Grafana reach it by this name. */
export const PROMETHEUS_ALIAS = "prometheus";
/** Job name of Prometheus' self-scrape; the self-health dashboard selects it. */
export const PROMETHEUS_SELF_JOB = "prometheus";
/** Job name of Prometheus' scrape of Grafana; the GrafanaDown rule selects it. */
export const GRAFANA_JOB = "grafana";
/**
 * k6 pushes each interval's samples at once and late pushes happen (retries, clock skew between
 * containers); the official k6 examples use the same window.
 */
export const OUT_OF_ORDER_TIME_WINDOW = "10m";

/** Inputs of {@link prometheusFlags}. */
export interface PrometheusFlagsArgs {
  /** Prometheus release tag, e.g. `v3.15.1`; native histograms need a feature flag before v3.9. */
  readonly version: string;
  /** Trend mode of the stack. */
  readonly trendMode: TrendMode;
  /** `--storage.tsdb.retention.time`, e.g. `30d`. */
  readonly retentionTime: string;
  /** `--storage.tsdb.retention.size`, e.g. `10GB`. */
  readonly retentionSize: string;
  /** Config file path (container path by default). */
  readonly configFile?: string;
  /** TSDB directory (container path by default). */
  readonly dataDir?: string;
  /** `--web.listen-address` (`:9090` by default). */
  readonly listenAddress?: string;
  /** `--web.config.file`: basic auth on every endpoint; omitted: no auth (loopback only). */
  readonly webConfigFile?: string;
}

/** Parses `v3.15.1` / `3.15.1` into `[3, 15, 1]`; undefined for anything else (e.g. a digest-only ref). */
export function parsePrometheusVersion(version: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Whether this Prometheus version ingests native histograms only with `--enable-feature=native-histograms`. */
export function nativeHistogramsNeedFeatureFlag(version: string): boolean {
  const v = parsePrometheusVersion(version);
  // 2.40 introduced the flag; 3.8 made native histograms stable and 3.9 turned the flag into a no-op.
  return v !== undefined && (v[0] < 3 || (v[0] === 3 && v[1] < 9));
}

/** Command-line flags of the Prometheus server. Used by the container and by the integration tests. */
export function prometheusFlags(args: PrometheusFlagsArgs): string[] {
  const flags = [
    `--config.file=${args.configFile ?? `${PROMETHEUS_CONFIG_DIR}/prometheus.yml`}`,
    `--storage.tsdb.path=${args.dataDir ?? PROMETHEUS_DATA_DIR}`,
    `--storage.tsdb.retention.time=${args.retentionTime}`,
    `--storage.tsdb.retention.size=${args.retentionSize}`,
    `--web.listen-address=${args.listenAddress ?? `:${PROMETHEUS_INTERNAL_PORT}`}`,
    // k6 pushes with remote write; without the receiver every push is answered 404.
    "--web.enable-remote-write-receiver",
    // POST /-/reload, used by the reload trigger so that config edits never replace the container.
    "--web.enable-lifecycle",
    // No --web.enable-admin-api: /api/v1/admin/* answers "admin APIs disabled" (and 401 first
    // when the web config requires auth).
  ];
  if (args.webConfigFile !== undefined) flags.push(`--web.config.file=${args.webConfigFile}`);
  if (args.trendMode === "nativeHistogram" && nativeHistogramsNeedFeatureFlag(args.version)) {
    flags.push("--enable-feature=native-histograms");
  }
  return flags;
}

/** Inputs of {@link prometheusConfig}. */
export interface PrometheusConfigArgs {
  /** `host:port` Prometheus scrapes itself at. */
  readonly selfTarget?: string;
  /** `host:port` of Grafana's /metrics, or undefined to not scrape Grafana. */
  readonly grafanaTarget?: string;
  /** `host:port` of Alertmanager (alerts are sent there and it is scraped); "" for none. */
  readonly alertmanagerTarget?: string;
  /** Directory holding the rule files, as Prometheus sees it. */
  readonly rulesDir?: string;
  /** Directory holding the user's file_sd target files, as Prometheus sees it. */
  readonly targetsDir?: string;
  /** Global scrape interval (default 15s; the integration tests scrape faster). */
  readonly scrapeInterval?: string;
  /** File holding the password of the self-scrape's basic auth, as Prometheus sees it. */
  readonly passwordFile?: string;
}

/** The Prometheus configuration document (rendered to provisioning/prometheus/prometheus.yml). */
export function prometheusConfig(args: PrometheusConfigArgs = {}): Record<string, unknown> {
  const scrapeConfigs: Record<string, unknown>[] = [
    {
      job_name: "prometheus",
      static_configs: [{ targets: [args.selfTarget ?? `localhost:${PROMETHEUS_INTERNAL_PORT}`] }],
      // Always sent (the file is uploaded on every stack; Prometheus without a web config ignores
      // it): one committed config serves stacks with and without auth, and turning auth on needs
      // no config reload.
      basic_auth: {
        username: PROMETHEUS_AUTH_USER,
        password_file: args.passwordFile ?? PROMETHEUS_PASSWORD_FILE,
      },
    },
  ];
  const grafanaTarget =
    args.grafanaTarget === undefined ? `${GRAFANA_ALIAS}:${GRAFANA_INTERNAL_PORT}` : args.grafanaTarget;
  if (grafanaTarget !== "") {
    scrapeConfigs.push({ job_name: GRAFANA_JOB, static_configs: [{ targets: [grafanaTarget] }] });
  }
  const alertmanagerTarget = args.alertmanagerTarget ?? `${ALERTMANAGER_ALIAS}:${ALERTMANAGER_INTERNAL_PORT}`;
  if (alertmanagerTarget !== "") {
    scrapeConfigs.push({ job_name: ALERTMANAGER_JOB, static_configs: [{ targets: [alertmanagerTarget] }] });
  }
  // The user's services (stack setting scrapeTargets). Each file_sd group sets its own `job`,
  // metrics path and scheme; Prometheus re-reads the file when it changes (and every
  // refresh_interval where file events do not reach it), without a reload.
  scrapeConfigs.push({
    job_name: TARGETS_JOB,
    file_sd_configs: [
      { files: [`${args.targetsDir ?? PROMETHEUS_TARGETS_DIR}/*.json`], refresh_interval: "30s" },
    ],
  });
  return {
    global: { scrape_interval: args.scrapeInterval ?? "15s", evaluation_interval: "15s" },
    storage: { tsdb: { out_of_order_time_window: OUT_OF_ORDER_TIME_WINDOW } },
    rule_files: [`${args.rulesDir ?? `${PROMETHEUS_CONFIG_DIR}/rules`}/*.yml`],
    ...(alertmanagerTarget === ""
      ? {}
      : { alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanagerTarget] }] }] } }),
    scrape_configs: scrapeConfigs,
  };
}

const GENERATED_HEADER =
  "# Generated by `npm run provisioning:build` from the Prometheus builders (README, Layout) - edit those, not this file.\n";

/** YAML text of {@link prometheusConfig}, as committed in provisioning/prometheus/prometheus.yml. */
export function renderPrometheusConfig(args: PrometheusConfigArgs = {}): string {
  return GENERATED_HEADER + YAML.stringify(prometheusConfig(args));
}

/** One recording rule. */
export interface RecordingRule {
  /** Name of the recorded series, `level:metric:operations`. */
  readonly record: string;
  /** PromQL the rule evaluates. */
  readonly expr: string;
}

/** One alerting rule. */
export interface AlertingRule {
  readonly alert: string;
  /** PromQL; the alert is pending while it returns series, firing after `for`. */
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: { readonly summary: string; readonly description: string };
}

/** A rule group, written to provisioning/prometheus/rules/<file>. */
export interface RuleGroup {
  readonly file: string;
  readonly name: string;
  /** Evaluation interval; the global evaluation_interval when omitted. */
  readonly interval?: string;
  readonly rules: readonly (RecordingRule | AlertingRule)[];
}

const SELF = `job="${PROMETHEUS_SELF_JOB}"`;

/**
 * Bytes Prometheus counts against --storage.tsdb.retention.size: blocks, WAL and head chunks. Shared
 * by the retention alert and the Prometheus health dashboard.
 */
export const TSDB_BYTES_EXPR =
  `sum(prometheus_tsdb_storage_blocks_bytes{${SELF}}) + sum(prometheus_tsdb_wal_storage_size_bytes{${SELF}})` +
  ` + sum(prometheus_tsdb_head_chunks_storage_size_bytes{${SELF}})`;

/**
 * The rule groups Prometheus loads from its rules directory. No recording rules: \`npm run bench\`
 * (docs/BENCHMARKS.md) measured that every dashboard query already selects one run's series and
 * answers in a few milliseconds, so pre-computing them would only add series and evaluation work.
 * The alerts watch the failure modes of the k6 data path and the stack's own health
 * (model/alert-rules.ts); Prometheus sends them to the stack's Alertmanager.
 */
export function prometheusRuleGroups(): RuleGroup[] {
  return [
    {
      file: "k6obs-data-path.yml",
      name: "k6obs-data-path",
      rules: [
        {
          alert: "K6RemoteWriteRejected",
          expr: `sum by (code) (rate(prometheus_http_requests_total{${SELF}, handler="/api/v1/write", code!~"2.."}[5m])) > 0`,
          for: "1m",
          labels: { severity: "warning" },
          annotations: {
            summary: "Prometheus rejects remote writes (HTTP {{ $labels.code }})",
            description:
              "k6 samples are being dropped. 400: samples too old, out of order or with invalid labels; 5xx: storage errors.",
          },
        },
        {
          alert: "K6SamplesOutsideOutOfOrderWindow",
          // With out_of_order_time_window set, a sample older than the window is counted as too
          // old (tsdb/head_append.go, ErrTooOldSample); prometheus_tsdb_out_of_order_samples_total
          // only counts out-of-order samples while the window is 0, i.e. never on this stack.
          expr: `sum(rate(prometheus_tsdb_too_old_samples_total{${SELF}}[5m])) > 0`,
          for: "1m",
          labels: { severity: "warning" },
          annotations: {
            summary: "Late samples older than storage.tsdb.out_of_order_time_window are dropped",
            description: `Samples arrive more than ${OUT_OF_ORDER_TIME_WINDOW} late (clock skew between k6 and Prometheus, or a stalled k6).`,
          },
        },
        {
          alert: "PrometheusNearRetentionSize",
          expr: `(${TSDB_BYTES_EXPR}) / (sum(prometheus_tsdb_retention_limit_bytes{${SELF}}) > 0) > 0.9`,
          for: "15m",
          labels: { severity: "warning" },
          annotations: {
            summary: "TSDB uses over 90% of --storage.tsdb.retention.size",
            description: "The oldest blocks (oldest k6 runs) are deleted when the limit is reached.",
          },
        },
        {
          alert: "PrometheusConfigReloadFailed",
          expr: `max(prometheus_config_last_reload_successful{${SELF}}) == 0`,
          for: "5m",
          labels: { severity: "warning" },
          annotations: {
            summary: "The last Prometheus config reload failed",
            description:
              "Prometheus keeps running the previous configuration; check its log and prometheus.yml.",
          },
        },
      ],
    },
    stackHealthRuleGroup({
      prometheus: PROMETHEUS_SELF_JOB,
      grafana: GRAFANA_JOB,
      alertmanager: ALERTMANAGER_JOB,
    }),
  ];
}

/** YAML text of each rule file: file name → content, as committed in provisioning/prometheus/rules/. */
export function renderPrometheusRules(): Map<string, string> {
  const files = new Map<string, string>();
  for (const group of prometheusRuleGroups()) {
    const doc = {
      groups: [
        {
          name: group.name,
          ...(group.interval === undefined ? {} : { interval: group.interval }),
          rules: group.rules,
        },
      ],
    };
    files.set(group.file, GENERATED_HEADER + YAML.stringify(doc, { lineWidth: 0 }));
  }
  return files;
}
