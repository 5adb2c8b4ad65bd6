import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { ConfigKey, ObservatoryConfig, parseConfig } from "../config";
import { RemoteWriteQueue } from "../model/remote-write";
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
  /** Explicit consent to publish Grafana on a non-loopback address. */
  readonly allowNonLoopbackBind?: boolean;
  /** Host address Prometheus' port is published on (default 127.0.0.1); never follows bindAddress. */
  readonly prometheusBindAddress?: string;
  /** Explicit consent to publish Prometheus on a non-loopback address (basic auth is then required). */
  readonly allowNonLoopbackPrometheusBind?: boolean;
  /** Require basic auth on Prometheus also on loopback (always on when exposed). */
  readonly prometheusAuth?: boolean;
  /** Grafana's host port (default 3000). */
  readonly grafanaPort?: number;
  /** Prometheus' host port (default 9090). */
  readonly prometheusPort?: number;
  /** URL users open Grafana at (default derived from bindAddress and grafanaPort). */
  readonly grafanaRootUrl?: string;
  /** Alertmanager's host port (default 9093). */
  readonly alertmanagerPort?: number;
  /** Where Alertmanager posts alerts, kept secret; omitted: Alertmanager's and Grafana's alert lists only. */
  readonly alertWebhookUrl?: pulumi.Input<string>;
  /** Image references overriding the pinned ones (`repo:x.y.z[@sha256:...]`). */
  readonly images?: {
    readonly prometheus?: string;
    readonly grafana?: string;
    readonly k6?: string;
    readonly alertmanager?: string;
  };
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
    /**
     * Deliver targetUrl as a secret (never a container env var, encrypted in state); required for
     * a URL with credentials.
     */
    readonly targetUrlSecret?: boolean;
    /** Script parameters (`__ENV`); no `K6_*`, `TARGET_URL` or `TESTID`. */
    readonly env?: Readonly<Record<string, string>>;
    /** Secret script parameters (tokens): same names rules as env, delivered as a secret file. */
    readonly secretEnv?: Readonly<Record<string, string>>;
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
   * Long-term stores Prometheus forwards to with remote_write (default none), validated like the
   * `prometheusRemoteWrite` stack setting; credentials are uploaded as secrets, never rendered.
   */
  readonly remoteWrite?: readonly RemoteWriteTargetArgs[];
  /**
   * Host directory Prometheus reads the scrape targets file from; created when missing (default
   * `<provisioningDir>/../.k6obs/<stack>/prometheus-targets`).
   */
  readonly targetsDir?: string;
  /**
   * Hard memory limits per service, in MiB (`2048`) or Docker's unit syntax (`512m`, `2g`); defaults
   * 2g / 1g / 2g. Prometheus' Go runtime gets GOMEMLIMIT at 90% of its limit.
   */
  readonly memoryLimits?: { readonly prometheus?: string; readonly grafana?: string; readonly k6?: string };
}

/** One remote-write target as an arg (the stack setting's entry shape); defaults as in model/remote-write.ts. */
export interface RemoteWriteTargetArgs {
  /** Write endpoint, http(s), without credentials. */
  readonly url: string;
  /** Unique name (default from the url's host). */
  readonly name?: string;
  /** Basic auth user, with password. */
  readonly username?: string;
  /** Basic auth password. */
  readonly password?: string;
  /** Bearer token, instead of basic auth. */
  readonly bearerToken?: string;
  /** Send only k6's series (default true). */
  readonly k6Only?: boolean;
  /** Queue settings overriding the defaults. */
  readonly queue?: Partial<RemoteWriteQueue>;
}

/** The absolute host directory of the stack's generated Prometheus config (remote_write). */
export function stackConfigDirOf(args: ObservatoryArgs): string {
  return path.resolve(path.join(provisioningDirOf(args), "..", ".k6obs", args.stack, "prometheus-config"));
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
  prometheusBindAddress: "prometheusBindAddress",
  allowNonLoopbackPrometheusBind: "allowNonLoopbackPrometheusBind",
  prometheusAuth: "prometheusAuth",
  grafanaRootUrl: "grafanaRootUrl",
  grafanaPort: "grafanaPort",
  prometheusPort: "prometheusPort",
  alertmanagerPort: "alertmanagerPort",
  alertWebhookUrl: "alertWebhookUrl",
  alertmanagerImage: "images.alertmanager",
  prometheusRetentionTime: "prometheusRetentionTime",
  prometheusRetentionSize: "prometheusRetentionSize",
  // Consent to changes against the last deployment is the stack's (index.ts), not the component's.
  allowRetentionDecrease: "allowRetentionDecrease",
  allowImageDowngrade: "allowImageDowngrade",
  migrationBackup: "migrationBackup",
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
  k6SecretEnv: "k6.secretEnv",
  k6PushInterval: "k6.pushInterval",
  scrapeTargets: "scrapeTargets",
  prometheusMemoryLimit: "memoryLimits.prometheus",
  grafanaMemoryLimit: "memoryLimits.grafana",
  k6MemoryLimit: "memoryLimits.k6",
  prometheusRemoteWrite: "remoteWrite",
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
    prometheusBindAddress: args.prometheusBindAddress,
    allowNonLoopbackPrometheusBind: args.allowNonLoopbackPrometheusBind?.toString(),
    prometheusAuth: args.prometheusAuth?.toString(),
    grafanaRootUrl: args.grafanaRootUrl,
    grafanaPort: args.grafanaPort?.toString(),
    prometheusPort: args.prometheusPort?.toString(),
    alertmanagerPort: args.alertmanagerPort?.toString(),
    alertWebhookUrl: typeof args.alertWebhookUrl === "string" ? args.alertWebhookUrl : undefined,
    alertmanagerImage: args.images?.alertmanager,
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
    k6SecretEnv: args.k6?.secretEnv === undefined ? undefined : JSON.stringify(args.k6.secretEnv),
    k6PushInterval: args.k6?.pushInterval,
    scrapeTargets: args.scrapeTargets === undefined ? undefined : JSON.stringify(args.scrapeTargets),
    prometheusMemoryLimit: args.memoryLimits?.prometheus,
    grafanaMemoryLimit: args.memoryLimits?.grafana,
    k6MemoryLimit: args.memoryLimits?.k6,
    prometheusRemoteWrite: args.remoteWrite === undefined ? undefined : JSON.stringify(args.remoteWrite),
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
    // Component args never sit in a stack file: only a URL with credentials needs the flag.
    isSecret: (key) => key !== "k6TargetUrl" || args.k6?.targetUrlSecret === true,
    secretHint: (key) =>
      key === "k6TargetUrl" ? "pass k6.targetUrlSecret: true" : `pass it in ${ARG_LABELS.k6SecretEnv}`,
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
    prometheusBindAddress: config.prometheusBindAddress,
    allowNonLoopbackPrometheusBind: true,
    prometheusAuth: config.prometheusAuth,
    grafanaPort: config.grafanaPort,
    prometheusPort: config.prometheusPort,
    alertmanagerPort: config.alertmanagerPort,
    alertWebhookUrl: config.alertWebhookUrl,
    grafanaRootUrl: config.grafanaRootUrl,
    images: {
      prometheus: config.images.prometheus.ref,
      grafana: config.images.grafana.ref,
      k6: config.images.k6.ref,
      alertmanager: config.images.alertmanager.ref,
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
      targetUrlSecret: config.k6.targetUrlSecret,
      env: config.k6.env,
      secretEnv: config.k6.secretEnv,
      pushInterval: config.k6.pushInterval,
    },
    scrapeTargets: config.scrapeTargets,
    memoryLimits: {
      prometheus: String(config.limits.prometheus.memoryMiB),
      grafana: String(config.limits.grafana.memoryMiB),
      k6: String(config.limits.k6.memoryMiB),
    },
    remoteWrite: config.remoteWrite,
    k6Runners: config.k6Runners,
    k6RunnerPrometheusUrl: config.k6RunnerPrometheusUrl,
    localDockerHost: config.localDockerHost,
  };
}
