import { ContainerLimits, LimitedService } from "../model/container-limits";
import { ImageSpec } from "../model/images";
import { RemoteWriteTarget } from "../model/remote-write";
import { K6RunnerHost } from "../model/k6-runners";
import { ScrapeTarget } from "../model/scrape-targets";
import { TrendMode } from "../model/trend-mode";

/** Config namespace of this project (`pulumi config set k6-observatory:<key>`). */
export const CONFIG_NAMESPACE = "k6-observatory";

/** Defaults of every config key; Pulumi.yaml declares the same values (a test keeps them equal). */
export const CONFIG_DEFAULTS = {
  bindAddress: "127.0.0.1",
  allowNonLoopbackBind: false,
  prometheusBindAddress: "127.0.0.1",
  allowNonLoopbackPrometheusBind: false,
  prometheusAuth: false,
  grafanaRootUrl: "",
  grafanaPort: 3000,
  prometheusPort: 9090,
  alertmanagerPort: 9093,
  prometheusRetentionTime: "30d",
  prometheusRetentionSize: "10GB",
  allowRetentionDecrease: false,
  trendMode: "stats" as TrendMode,
  protectVolumes: false,
  prometheusVolumeName: "",
  grafanaVolumeName: "",
  grafanaAdminUser: "admin",
  grafanaAdminPassword: "",
  prometheusImage: "",
  grafanaImage: "",
  k6Image: "",
  alertmanagerImage: "",
  alertWebhookUrl: "",
  allowImageDowngrade: false,
  migrationBackup: "",
  k6Enabled: true,
  k6Script: "provisioning/k6/scripts/smoke.js",
  k6TargetUrl: "http://prometheus:9090",
  k6Env: {} as Record<string, string>,
  k6SecretEnv: {} as Record<string, string>,
  k6PushInterval: "1s",
  scrapeTargets: [] as readonly ScrapeTarget[],
  prometheusMemoryLimit: "2g",
  grafanaMemoryLimit: "1g",
  k6MemoryLimit: "2g",
  prometheusRemoteWrite: [] as readonly Record<string, unknown>[],
  k6Runners: [] as readonly K6RunnerHost[],
  k6RunnerPrometheusUrl: "",
} as const;

/** A config key of this project. */
export type ConfigKey = keyof typeof CONFIG_DEFAULTS;

/** The validated configuration of one stack. */
export interface ObservatoryConfig {
  /** Pulumi stack name; scopes every Docker name. */
  readonly stack: string;
  /** Host address Grafana's published port binds to. */
  readonly bindAddress: string;
  /** Host address Prometheus' published port binds to (its own setting: exposing Grafana never exposes it). */
  readonly prometheusBindAddress: string;
  /**
   * Whether Prometheus requires basic auth (`--web.config.file`): prometheusAuth, and always when
   * prometheusBindAddress is not loopback.
   */
  readonly prometheusAuth: boolean;
  /** Host port of Grafana. */
  readonly grafanaPort: number;
  /** URL users open Grafana at (GF_SERVER_ROOT_URL), without a trailing slash. */
  readonly grafanaRootUrl: string;
  /** Host port of Prometheus. */
  readonly prometheusPort: number;
  /** Host port of Alertmanager's API/UI. */
  readonly alertmanagerPort: number;
  /** Where Alertmanager posts alerts; undefined: Alertmanager's and Grafana's alert lists only. Wrap in pulumi.secret. */
  readonly alertWebhookUrl?: string;
  /** Prometheus retention by time. */
  readonly prometheusRetentionTime: string;
  /** Prometheus retention by size. */
  readonly prometheusRetentionSize: string;
  /** Trend mode driving k6 env, Prometheus flags and dashboards. */
  readonly trendMode: TrendMode;
  /** Whether data volumes are also `protect`ed. */
  readonly protectVolumes: boolean;
  /** Docker volume names and whether each was named explicitly (adopted) by the user. */
  readonly volumes: {
    readonly prometheus: { readonly name: string; readonly adopted: boolean };
    readonly grafana: { readonly name: string; readonly adopted: boolean };
    readonly k6Results: { readonly name: string; readonly adopted: boolean };
    readonly alertmanager: { readonly name: string; readonly adopted: boolean };
  };
  /** Grafana admin login. */
  readonly grafanaAdminUser: string;
  /** Grafana admin password given in config; undefined means generate one. Wrap in pulumi.secret. */
  readonly grafanaAdminPassword?: string;
  /** Explicit consent to changes against the last deployment that lose or migrate data (config/changes.ts). */
  readonly consent: {
    /** A lower retention time or size than the last deployment's is allowed. */
    readonly retentionDecrease: boolean;
    /** An older image than the last deployment's is allowed. */
    readonly imageDowngrade: boolean;
    /** Absolute backup directory a major Prometheus/Grafana change may rely on; undefined: search backups/<stack>/. */
    readonly migrationBackup?: string;
  };
  /** Images to run. */
  readonly images: {
    readonly prometheus: ImageSpec;
    readonly grafana: ImageSpec;
    readonly k6: ImageSpec;
    readonly alertmanager: ImageSpec;
  };
  /** The k6 run; undefined when k6Enabled is false. */
  readonly k6?: {
    /** Script path relative to provisioning/k6 (posix separators). */
    readonly scriptInK6Dir: string;
    /** Absolute host path of the script. */
    readonly scriptHostPath: string;
    /** Base URL of the system under test. */
    readonly targetUrl: string;
    /** Whether targetUrl reaches k6 only as a secret (stored encrypted, or carrying credentials). */
    readonly targetUrlSecret: boolean;
    /** Extra script env. */
    readonly env: Readonly<Record<string, string>>;
    /** Script env delivered as a secret (k6SecretEnv); wrap in pulumi.secret. */
    readonly secretEnv: Readonly<Record<string, string>>;
    /** Remote-write push interval. */
    readonly pushInterval: string;
  };
  /** The user's services Prometheus scrapes (none by default). */
  readonly scrapeTargets: readonly ScrapeTarget[];
  /** Memory and process limits per service (components/container-defaults.ts hardened()). */
  readonly limits: Readonly<Record<LimitedService, ContainerLimits>>;
  /** Long-term stores Prometheus forwards to (none by default); credentials are plaintext here: wrap in pulumi.secret. */
  readonly remoteWrite: readonly RemoteWriteTarget[];
  /** Extra Docker hosts that each run a share of the k6 test (none by default). */
  readonly k6Runners: readonly K6RunnerHost[];
  /** Docker host URL of the stack's own engine (where the local runner and the services run). */
  readonly localDockerHost: string;
  /** Prometheus' base URL as the extra runners reach it; undefined without extra runners. */
  readonly k6RunnerPrometheusUrl?: string;
}

/** Reads one raw config value as a string (objects as JSON), undefined when unset. */
export type RawConfig = (key: ConfigKey) => string | undefined;

/** Thrown when stack config is invalid; lists every problem found, one per line. */
export class ConfigError extends Error {
  constructor(
    readonly problems: readonly string[],
    subject = `${CONFIG_NAMESPACE} stack config`,
  ) {
    super(`Invalid ${subject}:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}
