import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Observatory, observatoryArgsFromConfig } from "./components";
import { loadConfig } from "./config";

// Stack config first (messages name its keys), then the component validates its args; both throw
// before anything is declared.
const config = loadConfig(__dirname);
const stack = new Observatory(
  "k6obs",
  observatoryArgsFromConfig(config, path.join(__dirname, "provisioning")),
);

/** Grafana on the host. */
export const grafanaUrl = stack.grafanaUrl;
/** Prometheus API/UI on the host. */
export const prometheusUrl = stack.prometheusUrl;
/** Alertmanager API/UI on the host: the stack's firing alerts and silences. */
export const alertmanagerUrl = stack.alertmanager.url;
/** Whether Prometheus requires basic auth (prometheusAuth, or an exposed prometheusBindAddress). */
export const prometheusAuth = pulumi.output(stack.prometheusAuthRequired);
/** Prometheus basic-auth user (Grafana, k6, the ops tools and remote runners send it). */
export const prometheusUser = stack.prometheusUser;
/** Prometheus basic-auth password: `npm run pulumi -- stack output prometheusPassword --show-secrets`. */
export const prometheusPassword = stack.prometheusPassword;
/** Grafana admin login. */
export const grafanaAdminUser = stack.adminUser;
/** Grafana admin password: `npm run pulumi -- stack output grafanaAdminPassword --show-secrets`. */
export const grafanaAdminPassword = stack.adminPassword;
/** Retained volume holding the Prometheus TSDB. */
export const prometheusVolume = stack.volumes.prometheus.name;
/** Retained volume holding /var/lib/grafana. */
export const grafanaVolume = stack.volumes.grafana.name;
/** Retained volume holding k6 end-of-test summaries. */
export const k6ResultsVolume = stack.volumes.k6Results.name;
/** Retained volume holding Alertmanager's silences and notification log. */
export const alertmanagerVolume = stack.volumes.alertmanager.name;
/** Container names, for docker logs/exec and the backup script. */
export const prometheusContainer = stack.prometheus.container.name;
export const grafanaContainer = stack.grafana.container.name;
export const alertmanagerContainer = stack.alertmanager.container.name;
/** Image references that run. */
export const prometheusImage = stack.prometheus.imageRef;
export const grafanaImage = stack.grafana.imageRef;
/** The stack network. */
export const network = stack.network.name;
/** Trend mode the k6 env, Prometheus and the provisioned dashboard agree on. */
export const trendMode = stack.trendMode;
/** testid of the last k6 run (select it in the k6 dashboard), or undefined when k6 is off. */
export const k6TestId = stack.k6?.testId;
/** Command that copies the run's JSON end-of-test summary to the current directory. */
export const k6Summary = stack.k6?.summaryCommand;
/** Command that copies the run's HTML report (k6's web dashboard export) to the current directory. */
export const k6Report = stack.k6?.reportCommand;
/** `<container>:<path>` of that report, what `npm run k6:report` copies. */
export const k6ReportSource = stack.k6?.reportSource;
/** k6 exit code: 0 passed, 99 thresholds failed. */
export const k6ExitCode = stack.k6?.container.exitCode;
/** Console output of the run, including k6's end-of-test summary. */
export const k6Output = stack.k6?.container.containerLogs;
/** URN that `npm run k6:rerun` replaces to run the test again. */
export const k6RunIdUrn = stack.k6?.runId.urn;
/** Whether the data volumes are protected on top of retained. */
export const volumesProtected = pulumi.output(stack.volumesProtected);
