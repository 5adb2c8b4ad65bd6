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
import { ObservatoryArgs, provisioningDirOf, resolveObservatoryArgs, targetsDirOf } from "./observatory-args";
import { ScrapeTarget, TARGETS_FILE, renderTargetGroups } from "../model/scrape-targets";
import { PROMETHEUS_INTERNAL_PORT, prometheusFlags } from "../model/prometheus";
import { TrendMode } from "../model/trend-mode";

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

    this.volumes = new DataVolumes(
      `${name}-data`,
      {
        stack: cfg.stack,
        prometheus: { ...cfg.volumes.prometheus, role: "prometheus-data" },
        grafana: { ...cfg.volumes.grafana, role: "grafana-data" },
        k6Results: { ...cfg.volumes.k6Results, role: "k6-results" },
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
        }),
        network: this.network.name,
        dataVolume: this.volumes.prometheus.name,
        configDir: paths.prometheus,
        configHash: hashDirectory(paths.prometheus),
        port: { ip: cfg.bindAddress, external: cfg.prometheusPort, internal: PROMETHEUS_INTERNAL_PORT },
        targets: { dir: targetsDir },
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
        dependsOn: [this.prometheus.container],
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
          runner: local.segment ? local.name : undefined,
          args: (testId, summaryExport) => withRunnerArgs(argv(testId, summaryExport), local),
          dependsOn: [this.prometheus.container],
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
            dependsOn: [this.prometheus.container],
          },
          { parent: this },
        );
      }
    }

    this.adminUser = cfg.grafanaAdminUser;
    this.grafanaUrl = this.grafana.url;
    this.prometheusUrl = this.prometheus.url;
    this.trendMode = cfg.trendMode;
    this.volumesProtected = cfg.protectVolumes;

    this.registerOutputs({
      volumes: {
        prometheus: this.volumes.prometheus.name,
        grafana: this.volumes.grafana.name,
        k6Results: this.volumes.k6Results.name,
      },
      network: this.network.name,
      prometheusContainer: this.prometheus.container.name,
      grafanaContainer: this.grafana.container.name,
      adminUser: this.adminUser,
      adminPassword: this.adminPassword,
      grafanaUrl: this.grafanaUrl,
      prometheusUrl: this.prometheusUrl,
      trendMode: this.trendMode,
      volumesProtected: this.volumesProtected,
      k6TestId: this.k6?.testId,
      k6Runners: this.k6Runners && Object.keys(this.k6Runners.runs),
    });
  }
}
