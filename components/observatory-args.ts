import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { ConfigKey, ObservatoryConfig, parseConfig } from "../config";
import { ScrapeTarget } from "../model/scrape-targets";
import { TrendMode } from "../model/trend-mode";

/** This package's own provisioning directory (Prometheus config, Grafana provisioning, k6 scripts). */
export const DEFAULT_PROVISIONING_DIR = path.resolve(__dirname, "..", "provisioning");

/**
 * Arguments of {@link Observatory}: everything is optional but the stack name, with the same
 * defaults and rules as the stack config keys in Pulumi.yaml (one validator serves both).
 */
export interface ObservatoryArgs {
  /** Scopes every Docker name (`k6obs-<stack>-...`); letters, digits, `_`, `.`, `-`. */
  readonly stack: string;
  /** Directory holding `prometheus/`, `grafana/` and `k6/` (default: this package's `provisioning/`). */
  readonly provisioningDir?: string;
  /** Host address the ports are published on (default 127.0.0.1). */
  readonly bindAddress?: string;
  /** Explicit consent to publish on a non-loopback address. */
  readonly allowNonLoopbackBind?: boolean;
  /** Grafana's host port (default 3000). */
  readonly grafanaPort?: number;
  /** Prometheus' host port (default 9090). */
  readonly prometheusPort?: number;
  /** URL users open Grafana at (default derived from bindAddress and grafanaPort). */
  readonly grafanaRootUrl?: string;
  /** Image references overriding the pinned ones (`repo:x.y.z[@sha256:...]`). */
  readonly images?: { readonly prometheus?: string; readonly grafana?: string; readonly k6?: string };
  /** How k6 trends reach Prometheus (default `stats`). */
  readonly trendMode?: TrendMode;
  /** `--storage.tsdb.retention.time` (default 30d). */
  readonly prometheusRetentionTime?: string;
  /** `--storage.tsdb.retention.size` (default 10GB). */
  readonly prometheusRetentionSize?: string;
  /** Existing volumes to adopt by name instead of the stack-scoped ones. */
  readonly volumes?: { readonly prometheus?: string; readonly grafana?: string };
  /** Also `protect` the data volumes (they are always retained). */
  readonly protectVolumes?: boolean;
  /** Grafana admin login (default `admin`). */
  readonly adminUser?: string;
  /** Grafana admin password, kept secret; omitted: generated with @pulumi/random. */
  readonly adminPassword?: pulumi.Input<string>;
  /** The k6 run; omitted: no k6 container. */
  readonly k6?: {
    /** Script path relative to `<provisioningDir>/k6`, e.g. `scripts/smoke.js`. */
    readonly script: string;
    /** Base URL of the system under test (default the stack's own Prometheus). */
    readonly targetUrl?: string;
    /** Script parameters (`__ENV`); no `K6_*`, `TARGET_URL` or `TESTID`. */
    readonly env?: Readonly<Record<string, string>>;
    /** Remote-write push interval, 1s to 1m (default 1s). */
    readonly pushInterval?: string;
  };
  /** The user's services Prometheus scrapes beside itself and Grafana (default none). */
  readonly scrapeTargets?: readonly ScrapeTarget[];
  /** Extra Docker hosts that each run a share of the k6 test (default none; needs `k6`). */
  readonly k6Runners?: readonly { readonly name: string; readonly host: string; readonly weight?: number }[];
  /** Prometheus' base URL as the extra runners reach it (default from the Prometheus bind address). */
  readonly k6RunnerPrometheusUrl?: string;
  /** Docker host URL of the stack's own engine, to tell it apart from the runners' (default DOCKER_HOST or the local socket). */
  readonly localDockerHost?: string;
  /**
   * Host directory Prometheus reads the scrape targets file from; created when missing (default
   * `<provisioningDir>/../.k6obs/<stack>/prometheus-targets`).
   */
  readonly targetsDir?: string;
}

/** The absolute host directory of the scrape targets file the args select. */
export function targetsDirOf(args: ObservatoryArgs): string {
  return path.resolve(
    args.targetsDir ?? path.join(provisioningDirOf(args), "..", ".k6obs", args.stack, "prometheus-targets"),
  );
}

/** The absolute provisioning directory the args select. */
export function provisioningDirOf(args: ObservatoryArgs): string {
  return path.resolve(args.provisioningDir ?? DEFAULT_PROVISIONING_DIR);
}

/** How error messages name each setting: the arg's path, not the stack config key. */
const ARG_LABELS: Record<ConfigKey, string> = {
  bindAddress: "bindAddress",
  allowNonLoopbackBind: "allowNonLoopbackBind",
  grafanaRootUrl: "grafanaRootUrl",
  grafanaPort: "grafanaPort",
  prometheusPort: "prometheusPort",
  prometheusRetentionTime: "prometheusRetentionTime",
  prometheusRetentionSize: "prometheusRetentionSize",
  trendMode: "trendMode",
  protectVolumes: "protectVolumes",
  prometheusVolumeName: "volumes.prometheus",
  grafanaVolumeName: "volumes.grafana",
  grafanaAdminUser: "adminUser",
  grafanaAdminPassword: "adminPassword",
  prometheusImage: "images.prometheus",
  grafanaImage: "images.grafana",
  k6Image: "images.k6",
  k6Enabled: "k6",
  k6Script: "k6.script",
  k6TargetUrl: "k6.targetUrl",
  k6Env: "k6.env",
  k6PushInterval: "k6.pushInterval",
  scrapeTargets: "scrapeTargets",
  k6Runners: "k6Runners",
  k6RunnerPrometheusUrl: "k6RunnerPrometheusUrl",
};

/**
 * Validates the args with the stack config's own rules and defaults, before anything is declared;
 * throws a ConfigError naming every bad arg (`Observatory args: grafanaPort = "80" is not
 * allowed: ...`). A password given as an Output cannot be checked here and is taken as it is.
 */
export function resolveObservatoryArgs(args: ObservatoryArgs): ObservatoryConfig {
  const provisioningDir = provisioningDirOf(args);
  const k6Dir = path.join(provisioningDir, "k6");
  const raw: Partial<Record<ConfigKey, string>> = {
    bindAddress: args.bindAddress,
    allowNonLoopbackBind: args.allowNonLoopbackBind?.toString(),
    grafanaRootUrl: args.grafanaRootUrl,
    grafanaPort: args.grafanaPort?.toString(),
    prometheusPort: args.prometheusPort?.toString(),
    prometheusRetentionTime: args.prometheusRetentionTime,
    prometheusRetentionSize: args.prometheusRetentionSize,
    trendMode: args.trendMode,
    protectVolumes: args.protectVolumes?.toString(),
    prometheusVolumeName: args.volumes?.prometheus,
    grafanaVolumeName: args.volumes?.grafana,
    grafanaAdminUser: args.adminUser,
    grafanaAdminPassword: typeof args.adminPassword === "string" ? args.adminPassword : undefined,
    prometheusImage: args.images?.prometheus,
    grafanaImage: args.images?.grafana,
    k6Image: args.images?.k6,
    k6Enabled: String(args.k6 !== undefined),
    k6Script: args.k6?.script ?? "scripts/smoke.js",
    k6TargetUrl: args.k6?.targetUrl,
    k6Env: args.k6?.env === undefined ? undefined : JSON.stringify(args.k6.env),
    k6PushInterval: args.k6?.pushInterval,
    scrapeTargets: args.scrapeTargets === undefined ? undefined : JSON.stringify(args.scrapeTargets),
    k6Runners: args.k6Runners === undefined ? undefined : JSON.stringify(args.k6Runners),
    k6RunnerPrometheusUrl: args.k6RunnerPrometheusUrl,
  };
  return parseConfig((key) => raw[key], {
    stack: args.stack,
    repoRoot: path.dirname(provisioningDir),
    provisioningDir,
    scriptBase: { dir: k6Dir, hint: `a .js or .ts file relative to ${k6Dir}, e.g. scripts/smoke.js` },
    label: (key) => ARG_LABELS[key],
    subject: "Observatory args",
    localDockerHost: args.localDockerHost ?? process.env.DOCKER_HOST,
  });
}

/** The component's args for a validated stack config (what index.ts passes). */
export function observatoryArgsFromConfig(
  config: ObservatoryConfig,
  provisioningDir: string,
): ObservatoryArgs {
  return {
    stack: config.stack,
    provisioningDir,
    bindAddress: config.bindAddress,
    // The config already checked the bind address against its own consent key.
    allowNonLoopbackBind: true,
    grafanaPort: config.grafanaPort,
    prometheusPort: config.prometheusPort,
    grafanaRootUrl: config.grafanaRootUrl,
    images: {
      prometheus: config.images.prometheus.ref,
      grafana: config.images.grafana.ref,
      k6: config.images.k6.ref,
    },
    trendMode: config.trendMode,
    prometheusRetentionTime: config.prometheusRetentionTime,
    prometheusRetentionSize: config.prometheusRetentionSize,
    volumes: {
      prometheus: config.volumes.prometheus.adopted ? config.volumes.prometheus.name : undefined,
      grafana: config.volumes.grafana.adopted ? config.volumes.grafana.name : undefined,
    },
    protectVolumes: config.protectVolumes,
    adminUser: config.grafanaAdminUser,
    adminPassword: config.grafanaAdminPassword,
    k6: config.k6 && {
      script: config.k6.scriptInK6Dir,
      targetUrl: config.k6.targetUrl,
      env: config.k6.env,
      pushInterval: config.k6.pushInterval,
    },
    scrapeTargets: config.scrapeTargets,
    k6Runners: config.k6Runners,
    k6RunnerPrometheusUrl: config.k6RunnerPrometheusUrl,
    localDockerHost: config.localDockerHost,
  };
}
