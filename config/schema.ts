import { ImageSpec } from "../model/images";
import { K6RunnerHost } from "../model/k6-runners";
import { ScrapeTarget } from "../model/scrape-targets";
import { TrendMode } from "../model/trend-mode";

/** Config namespace of this project (`pulumi config set k6-observatory:<key>`). */
export const CONFIG_NAMESPACE = "k6-observatory";

/** Defaults of every config key; Pulumi.yaml declares the same values (a test keeps them equal). */
export const CONFIG_DEFAULTS = {
  bindAddress: "127.0.0.1",
  allowNonLoopbackBind: false,
  grafanaRootUrl: "",
  grafanaPort: 3000,
  prometheusPort: 9090,
  prometheusRetentionTime: "30d",
  prometheusRetentionSize: "10GB",
  trendMode: "stats" as TrendMode,
  protectVolumes: false,
  prometheusVolumeName: "",
  grafanaVolumeName: "",
  grafanaAdminUser: "admin",
  grafanaAdminPassword: "",
  prometheusImage: "",
  grafanaImage: "",
  k6Image: "",
  k6Enabled: true,
  k6Script: "provisioning/k6/scripts/smoke.js",
  k6TargetUrl: "http://prometheus:9090",
  k6Env: {} as Record<string, string>,
  k6PushInterval: "1s",
  scrapeTargets: [] as readonly ScrapeTarget[],
  k6Runners: [] as readonly K6RunnerHost[],
  k6RunnerPrometheusUrl: "",
} as const;

/** A config key of this project. */
export type ConfigKey = keyof typeof CONFIG_DEFAULTS;

/** The validated configuration of one stack. */
export interface ObservatoryConfig {
  /** Pulumi stack name; scopes every Docker name. */
  readonly stack: string;
  /** Host address published ports bind to. */
  readonly bindAddress: string;
  /** Host port of Grafana. */
  readonly grafanaPort: number;
  /** URL users open Grafana at (GF_SERVER_ROOT_URL), without a trailing slash. */
  readonly grafanaRootUrl: string;
  /** Host port of Prometheus. */
  readonly prometheusPort: number;
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
  };
  /** Grafana admin login. */
  readonly grafanaAdminUser: string;
  /** Grafana admin password given in config; undefined means generate one. Wrap in pulumi.secret. */
  readonly grafanaAdminPassword?: string;
  /** Images to run. */
  readonly images: { readonly prometheus: ImageSpec; readonly grafana: ImageSpec; readonly k6: ImageSpec };
  /** The k6 run; undefined when k6Enabled is false. */
  readonly k6?: {
    /** Script path relative to provisioning/k6 (posix separators). */
    readonly scriptInK6Dir: string;
    /** Absolute host path of the script. */
    readonly scriptHostPath: string;
    /** Base URL of the system under test. */
    readonly targetUrl: string;
    /** Extra script env. */
    readonly env: Readonly<Record<string, string>>;
    /** Remote-write push interval. */
    readonly pushInterval: string;
  };
  /** The user's services Prometheus scrapes (none by default). */
  readonly scrapeTargets: readonly ScrapeTarget[];
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
