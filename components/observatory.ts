import * as crypto from "crypto";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as fs from "fs";
import * as path from "path";
import { DataVolumes } from "./data-volumes";
import { Grafana } from "./grafana";
import { GRAFANA_DASHBOARDS_DIR, GRAFANA_INTERNAL_PORT, GRAFANA_PROVISIONING_DIR } from "../model/grafana";
import { hashDirectory } from "../model/hash";
import { K6Run } from "./k6-run";
import { K6Runners, withRunnerArgs } from "./k6-runners";
import { planK6Runners } from "../model/k6-runners";
import { K6_SCRIPTS_DIR, k6Args, k6Env } from "../model/k6";
import { stackLabels } from "./container-defaults";
import { PKG, dockerName } from "../model/naming";
import { Prometheus } from "./prometheus";
import { Alertmanager } from "./alertmanager";
import {
  ObservatoryArgs,
  provisioningDirOf,
  resolveObservatoryArgs,
  stackConfigDirOf,
  targetsDirOf,
} from "./observatory-args";
import {
  PROMETHEUS_STACK_CONFIG_DIR,
  STACK_CONFIG_FILE,
  remoteWriteSecretFiles,
  remoteWriteSection,
  withRemoteWrite,
} from "../model/remote-write";
import { ScrapeTarget, TARGETS_FILE, renderTargetGroups } from "../model/scrape-targets";
import {
  GRAFANA_PROMETHEUS_PASSWORD_FILE,
  PROMETHEUS_AUTH_USER,
  PROMETHEUS_INTERNAL_PORT,
  PROMETHEUS_WEB_CONFIG_FILE,
  prometheusFlags,
  prometheusWebConfig,
} from "../model/prometheus";
import { TrendMode } from "../model/trend-mode";
import { ALERTMANAGER_INTERNAL_PORT } from "../model/alertmanager";

/** Host paths the containers read, all directories (see FACTS: never bind-mount single files). */
export function provisioningPaths(provisioningDir: string, trendMode: string) {
  const p = (...parts: string[]) => path.join(provisioningDir, ...parts);
  return {
    prometheus: p("prometheus"),
    k6: p("k6"),
    grafanaProvisioning: p("grafana", "provisioning"),
    dashboardsCommon: p("grafana", "dashboards", "common"),
    dashboardsK6: p("grafana", "dashboards", trendMode),
    dashboardsTeam: p("grafana", "dashboards", "team"),
  };
}

/**
 * Throws when a directory the containers mount is missing, naming it and the command that
 * generates it. Bind-mounting a missing host path would make Docker create an empty root-owned
 * directory and Grafana or Prometheus would start without their config.
 */
export function checkProvisioning(provisioningDir: string, trendMode: string): void {
  const missing = Object.values(provisioningPaths(provisioningDir, trendMode)).filter(
    (dir) => !fs.existsSync(dir) || !fs.statSync(dir).isDirectory(),
  );
  if (missing.length > 0) {
    throw new Error(
      `Provisioning directories missing under provisioningDir ${provisioningDir}: ${missing.map((d) => path.relative(provisioningDir, d)).join(", ")}. ` +
        "They are part of the repository; restore them with git, or run `npm run provisioning:build` for the generated ones.",
    );
  }
}

/** Writes a file beside, then renames it, so Prometheus never reads half a file. */
function writeAtomically(file: string, text: string): void {
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

/** Writes the targets file beside, then renames it, so Prometheus never reads half a file. */
export function writeTargetsFile(dir: string, targets: readonly ScrapeTarget[]): void {
  const file = path.join(dir, TARGETS_FILE);
  fs.writeFileSync(`${file}.tmp`, renderTargetGroups(targets));
  fs.renameSync(`${file}.tmp`, file);
}

/**
 * The whole stack: data volumes first and on their own, then the network and the disposable
 * containers that mount them. Another Pulumi program can construct it directly (`import {
 * Observatory } from "<this repo>/components"`); its args are validated before anything is
 * declared.
 */
export class Observatory extends pulumi.ComponentResource {
  /** Retained data volumes. */
  public readonly volumes: DataVolumes;
  /** The stack network. */
  public readonly network: docker.Network;
  /** Prometheus server and its reload trigger. */
  public readonly prometheus: Prometheus;
  /** Grafana server. */
  public readonly grafana: Grafana;
  /** Alertmanager, which delivers Prometheus' alerts. */
  public readonly alertmanager: Alertmanager;
  /** The k6 run, when enabled (the `local` runner when there are extra runners). */
  public readonly k6?: K6Run;
  /** The k6 runners on other Docker hosts (k6Runners), when any. */
  public readonly k6Runners?: K6Runners;
  /** Grafana admin password (secret). */
  public readonly adminPassword: pulumi.Output<string>;
  /** Grafana admin login. */
  public readonly adminUser: string;
  /** URL users open Grafana at. */
  public readonly grafanaUrl: string;
  /** Prometheus API/UI on the host. */
  public readonly prometheusUrl: string;
  /** Remote-write URL on the host's published port, for k6 runners outside the stack network. */
  public readonly prometheusRemoteWriteUrl: string;
  /** Host address Prometheus is published on; loopback means no runner on another host reaches it. */
  public readonly prometheusBindAddress: string;
  /** Whether Prometheus requires basic auth (prometheusAuth, or an exposed prometheusBindAddress). */
  public readonly prometheusAuthRequired: boolean;
  /** Basic-auth user of Prometheus. */
  public readonly prometheusUser: string;
  /** Basic-auth password of Prometheus (secret); generated, sent by every client even when not required. */
  public readonly prometheusPassword: pulumi.Output<string>;
  /** The trend mode k6's env, Prometheus and the mounted dashboards agree on. */
  public readonly trendMode: TrendMode;
  /** Whether the data volumes are protected on top of retained. */
  public readonly volumesProtected: boolean;

  constructor(name: string, args: ObservatoryArgs, opts?: pulumi.ComponentResourceOptions) {
    // Both throw before anything is declared.
    const cfg = resolveObservatoryArgs(args);
    const provisioningDir = provisioningDirOf(args);
    checkProvisioning(provisioningDir, cfg.trendMode);
    super(`${PKG}:Observatory`, name, {}, opts);
    const paths = provisioningPaths(provisioningDir, cfg.trendMode);
    // The user's scrape targets reach Prometheus as a file_sd file in a per-stack host directory
    // (mounted read-only), not through the committed provisioning/prometheus (whose hash triggers
    // reloads) nor through `uploads` (a changed upload replaces, i.e. restarts, Prometheus):
    // Prometheus re-reads the file by itself, so a target edit needs neither a reload nor a restart.
    // Docker refuses a bind mount of a missing directory, so it is created in preview too; the
    // file is only written on `up`: a preview must not change what a running Prometheus scrapes.
    const targetsDir = targetsDirOf(args);
    fs.mkdirSync(targetsDir, { recursive: true });
    if (!pulumi.runtime.isDryRun()) writeTargetsFile(targetsDir, cfg.scrapeTargets);
    // remote_write has no include file in Prometheus and a stack's stores cannot live in git: with
    // remote-write targets set, Prometheus reads a per-stack copy of the committed config plus
    // remote_write (paths of credential files only), written on `up` like the targets file; its
    // content joins the reload hash, so a URL or queue edit reloads Prometheus without a restart.
    const stackConfig =
      cfg.remoteWrite.length === 0
        ? undefined
        : {
            dir: stackConfigDirOf(args),
            text: withRemoteWrite(
              fs.readFileSync(path.join(paths.prometheus, "prometheus.yml"), "utf8"),
              remoteWriteSection(cfg.remoteWrite, { trendMode: cfg.trendMode }),
            ),
          };
    if (stackConfig) {
      fs.mkdirSync(stackConfig.dir, { recursive: true });
      if (!pulumi.runtime.isDryRun())
        writeAtomically(path.join(stackConfig.dir, STACK_CONFIG_FILE), stackConfig.text);
    }
    const committedHash = hashDirectory(paths.prometheus);

    this.volumes = new DataVolumes(
      `${name}-data`,
      {
        stack: cfg.stack,
        prometheus: { ...cfg.volumes.prometheus, role: "prometheus-data" },
        grafana: { ...cfg.volumes.grafana, role: "grafana-data" },
        k6Results: { ...cfg.volumes.k6Results, role: "k6-results" },
        alertmanager: { ...cfg.volumes.alertmanager, role: "alertmanager-data" },
        protect: cfg.protectVolumes,
      },
      { parent: this },
    );

    this.network = new docker.Network(
      `${name}-network`,
      { name: dockerName(cfg.stack, "net"), driver: "bridge", labels: stackLabels(cfg.stack, "network") },
      // Fixed name: a replacement can only be created once the old network is gone.
      { parent: this, deleteBeforeReplace: true },
    );

    // Generated for every stack, so turning auth on changes Prometheus alone: Grafana's datasource
    // and the self-scrape always send it. Letters and digits only: it goes into wget URLs.
    const prometheusPassword = new random.RandomPassword(
      `${name}-prometheus-password`,
      { length: 32, special: false },
      { parent: this, additionalSecretOutputs: ["result", "bcryptHash"] },
    );
    this.prometheusPassword = prometheusPassword.result;
    this.prometheusUser = PROMETHEUS_AUTH_USER;
    this.prometheusBindAddress = cfg.prometheusBindAddress;
    this.prometheusAuthRequired = cfg.prometheusAuth;

    this.prometheus = new Prometheus(
      `${name}-prometheus`,
      {
        stack: cfg.stack,
        image: cfg.images.prometheus.ref,
        flags: prometheusFlags({
          version: cfg.images.prometheus.tag,
          trendMode: cfg.trendMode,
          retentionTime: cfg.prometheusRetentionTime,
          retentionSize: cfg.prometheusRetentionSize,
          webConfigFile: cfg.prometheusAuth ? PROMETHEUS_WEB_CONFIG_FILE : undefined,
          ...(stackConfig ? { configFile: `${PROMETHEUS_STACK_CONFIG_DIR}/${STACK_CONFIG_FILE}` } : {}),
        }),
        network: this.network.name,
        dataVolume: this.volumes.prometheus.name,
        configDir: paths.prometheus,
        configHash: stackConfig
          ? crypto.createHash("sha256").update(`${committedHash}\0${stackConfig.text}`).digest("hex")
          : committedHash,
        port: {
          ip: cfg.prometheusBindAddress,
          external: cfg.prometheusPort,
          internal: PROMETHEUS_INTERNAL_PORT,
        },
        targets: { dir: targetsDir },
        limits: cfg.limits.prometheus,
        auth: {
          password: this.prometheusPassword,
          webConfig: cfg.prometheusAuth
            ? prometheusPassword.bcryptHash.apply((hash) =>
                prometheusWebConfig({ [PROMETHEUS_AUTH_USER]: hash }),
              )
            : undefined,
        },
        ...(stackConfig
          ? {
              remoteWrite: {
                configDir: stackConfig.dir,
                secretFiles: remoteWriteSecretFiles(cfg.remoteWrite),
              },
            }
          : {}),
      },
      { parent: this },
    );

    // A URL given as an Output cannot be validated by the config; it is taken as it is.
    const webhookUrl = typeof args.alertWebhookUrl === "string" ? cfg.alertWebhookUrl : args.alertWebhookUrl;
    this.alertmanager = new Alertmanager(
      `${name}-alertmanager`,
      {
        stack: cfg.stack,
        image: cfg.images.alertmanager.ref,
        network: this.network.name,
        dataVolume: this.volumes.alertmanager.name,
        port: { ip: cfg.bindAddress, external: cfg.alertmanagerPort, internal: ALERTMANAGER_INTERNAL_PORT },
        webhookUrl: webhookUrl === undefined ? undefined : pulumi.secret(webhookUrl),
      },
      { parent: this },
    );

    this.adminPassword =
      args.adminPassword !== undefined
        ? pulumi.secret(args.adminPassword)
        : new random.RandomPassword(
            `${name}-grafana-admin-password`,
            { length: 24, special: true, overrideSpecial: "-_", minLower: 2, minUpper: 2, minNumeric: 2 },
            { parent: this, additionalSecretOutputs: ["result"] },
          ).result;

    this.grafana = new Grafana(
      `${name}-grafana`,
      {
        stack: cfg.stack,
        image: cfg.images.grafana.ref,
        network: this.network.name,
        dataVolume: this.volumes.grafana.name,
        adminUser: cfg.grafanaAdminUser,
        adminPassword: this.adminPassword,
        mounts: [
          { source: paths.grafanaProvisioning, target: GRAFANA_PROVISIONING_DIR },
          { source: paths.dashboardsK6, target: `${GRAFANA_DASHBOARDS_DIR}/k6` },
          { source: paths.dashboardsCommon, target: `${GRAFANA_DASHBOARDS_DIR}/observatory` },
          { source: paths.dashboardsTeam, target: `${GRAFANA_DASHBOARDS_DIR}/team` },
        ],
        port: { ip: cfg.bindAddress, external: cfg.grafanaPort, internal: GRAFANA_INTERNAL_PORT },
        rootUrl: cfg.grafanaRootUrl,
        // Read by the provisioned datasource ($__file{...}).
        files: [{ file: GRAFANA_PROMETHEUS_PASSWORD_FILE, content: this.prometheusPassword }],
        dependsOn: [this.prometheus.container],
        limits: cfg.limits.grafana,
      },
      { parent: this },
    );

    if (cfg.k6) {
      const k6 = cfg.k6;
      // The local runner plus cfg.k6Runners, each with its execution segment (none when alone).
      const [local, ...extra] = planK6Runners(cfg.k6Runners);
      const argv = (testId: string, summaryExport: string) =>
        k6Args({ script: `${K6_SCRIPTS_DIR}/${k6.scriptInK6Dir}`, testId, summaryExport });
      const env = k6Env({
        trendMode: cfg.trendMode,
        remoteWriteUrl: this.prometheus.remoteWriteUrl,
        pushInterval: k6.pushInterval,
        targetUrl: k6.targetUrl,
        extraEnv: k6.env,
      });
      // Delivered through K6Run's secret env file, never a plain env var (k6PlainEnv drops these
      // names). The remote-write login only where Prometheus checks it: on other stacks a changed
      // k6 env would re-run k6.
      const userSecretEnv: Record<string, string> = {
        ...k6.secretEnv,
        ...(k6.targetUrlSecret ? { TARGET_URL: k6.targetUrl } : {}),
      };
      const secretEnv = cfg.prometheusAuth
        ? pulumi.secret(
            this.prometheusPassword.apply((password) => ({
              ...userSecretEnv,
              K6_PROMETHEUS_RW_USERNAME: PROMETHEUS_AUTH_USER,
              K6_PROMETHEUS_RW_PASSWORD: password,
            })),
          )
        : Object.keys(userSecretEnv).length > 0
          ? pulumi.secret(userSecretEnv)
          : undefined;
      this.k6 = new K6Run(
        `${name}-k6`,
        {
          stack: cfg.stack,
          image: cfg.images.k6.ref,
          network: this.network.name,
          scriptsDir: paths.k6,
          scriptsHash: hashDirectory(paths.k6),
          resultsVolume: this.volumes.k6Results.name,
          env,
          secretEnv,
          runner: local.segment ? local.name : undefined,
          args: (testId, summaryExport) => withRunnerArgs(argv(testId, summaryExport), local),
          dependsOn: [this.prometheus.container],
          limits: cfg.limits.k6,
        },
        { parent: this },
      );
      if (extra.length > 0 && cfg.k6RunnerPrometheusUrl !== undefined) {
        this.k6Runners = new K6Runners(
          `${name}-k6-runners`,
          {
            stack: cfg.stack,
            image: cfg.images.k6.ref,
            runners: extra,
            runId: this.k6.runId,
            scriptsDir: paths.k6,
            scriptsHash: hashDirectory(paths.k6),
            args: argv,
            env: { ...env, K6_PROMETHEUS_RW_SERVER_URL: `${cfg.k6RunnerPrometheusUrl}/api/v1/write` },
            // The same secret env as the local run: with runners Prometheus always requires auth.
            secretEnv,
            dependsOn: [this.prometheus.container],
            limits: cfg.limits.k6,
          },
          { parent: this },
        );
      }
    }

    this.adminUser = cfg.grafanaAdminUser;
    this.grafanaUrl = this.grafana.url;
    this.prometheusUrl = this.prometheus.url;
    this.prometheusRemoteWriteUrl = `${this.prometheus.url}/api/v1/write`;
    this.trendMode = cfg.trendMode;
    this.volumesProtected = cfg.protectVolumes;

    this.registerOutputs({
      volumes: {
        prometheus: this.volumes.prometheus.name,
        grafana: this.volumes.grafana.name,
        k6Results: this.volumes.k6Results.name,
        alertmanager: this.volumes.alertmanager.name,
      },
      network: this.network.name,
      prometheusContainer: this.prometheus.container.name,
      grafanaContainer: this.grafana.container.name,
      alertmanagerContainer: this.alertmanager.container.name,
      alertmanagerUrl: this.alertmanager.url,
      adminUser: this.adminUser,
      adminPassword: this.adminPassword,
      grafanaUrl: this.grafanaUrl,
      prometheusUrl: this.prometheusUrl,
      prometheusRemoteWriteUrl: this.prometheusRemoteWriteUrl,
      prometheusAuthRequired: this.prometheusAuthRequired,
      prometheusUser: this.prometheusUser,
      prometheusPassword: this.prometheusPassword,
      trendMode: this.trendMode,
      volumesProtected: this.volumesProtected,
      k6TestId: this.k6?.testId,
      k6Runners: this.k6Runners && Object.keys(this.k6Runners.runs),
    });
  }
}
