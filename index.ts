import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Observatory, observatoryArgsFromConfig } from "./components";
import { loadConfig } from "./config";
import { checkDeployment } from "./config/deployment";
import { readPreviousDeployment } from "./config/previous";
import { checkRunnerHosts } from "./config/runner-hosts";

// An async program (Pulumi awaits the function and exports what it returns): the checks against
// the last deployment need its outputs *before* any resource is declared, and those arrive
// asynchronously. Order: stack config (messages name its keys), then whether each extra k6 runner's
// Docker host answers, then the changes against the last
// deployment (retention decrease, image downgrade, migration backup), then the component validates
// its args; each throws before anything is declared.
export = async () => {
  const config = loadConfig(__dirname);
  await checkRunnerHosts(config.k6Runners);
  const previous = await readPreviousDeployment();
  for (const warning of await checkDeployment(previous, config, { repoRoot: __dirname, now: new Date() })) {
    void pulumi.log.warn(warning);
  }
  const stack = new Observatory(
    "k6obs",
    observatoryArgsFromConfig(config, path.join(__dirname, "provisioning")),
  );

  return {
    /** Grafana on the host. */
    grafanaUrl: stack.grafanaUrl,
    /** Prometheus API/UI on the host. */
    prometheusUrl: stack.prometheusUrl,
    /** Alertmanager API/UI on the host: the stack's firing alerts and silences. */
    alertmanagerUrl: stack.alertmanager.url,
    /** Whether Prometheus requires basic auth (prometheusAuth, or an exposed prometheusBindAddress). */
    prometheusAuth: pulumi.output(stack.prometheusAuthRequired),
    /** Prometheus basic-auth user (Grafana, k6, the ops tools and remote runners send it). */
    prometheusUser: stack.prometheusUser,
    /** Prometheus basic-auth password: `npm run pulumi -- stack output prometheusPassword --show-secrets`. */
    prometheusPassword: stack.prometheusPassword,
    /** Grafana admin login. */
    grafanaAdminUser: stack.adminUser,
    /** Grafana admin password: `npm run pulumi -- stack output grafanaAdminPassword --show-secrets`. */
    grafanaAdminPassword: stack.adminPassword,
    /** Retained volume holding the Prometheus TSDB. */
    prometheusVolume: stack.volumes.prometheus.name,
    /** Retained volume holding /var/lib/grafana. */
    grafanaVolume: stack.volumes.grafana.name,
    /** Retained volume holding k6 end-of-test summaries. */
    k6ResultsVolume: stack.volumes.k6Results.name,
    /** Retained volume holding Alertmanager's silences and notification log. */
    alertmanagerVolume: stack.volumes.alertmanager.name,
    /** Container names, for docker logs/exec and the backup script. */
    prometheusContainer: stack.prometheus.container.name,
    grafanaContainer: stack.grafana.container.name,
    alertmanagerContainer: stack.alertmanager.container.name,
    /** Image references that run; the next update compares against them (downgrade, major change). */
    prometheusImage: stack.prometheus.imageRef,
    grafanaImage: stack.grafana.imageRef,
    k6Image: config.images.k6.ref,
    /** Effective retention; the next update refuses a decrease without allowRetentionDecrease. */
    prometheusRetentionTime: config.prometheusRetentionTime,
    prometheusRetentionSize: config.prometheusRetentionSize,
    /** The stack network. */
    network: stack.network.name,
    /** Trend mode the k6 env, Prometheus and the provisioned dashboard agree on. */
    trendMode: stack.trendMode,
    // The run's outputs only exist with k6 on (an undefined output would only print a warning).
    ...(stack.k6 && {
      /** testid of the last k6 run (select it in the k6 dashboard). */
      k6TestId: stack.k6.testId,
      /** Command that copies the run's JSON end-of-test summary to the current directory. */
      k6Summary: stack.k6.summaryCommand,
      /** Command that copies the run's HTML report (k6's web dashboard export) to the current directory. */
      k6Report: stack.k6.reportCommand,
      /** `<container>:<path>` of that report, what `npm run k6:report` copies. */
      k6ReportSource: stack.k6.reportSource,
      /** k6 exit code: 0 passed, 99 thresholds failed. */
      k6ExitCode: stack.k6.container.exitCode,
      /** Console output of the run, including k6's end-of-test summary. */
      k6Output: stack.k6.container.containerLogs,
      /** URN that `npm run k6:rerun` replaces to run the test again. */
      k6RunIdUrn: stack.k6.runId.urn,
    }),
    /** Whether the data volumes are protected on top of retained. */
    volumesProtected: pulumi.output(stack.volumesProtected),
  };
};
