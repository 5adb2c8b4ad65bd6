/**
 * Names of the stack outputs index.ts exports: the contract the ops tools (backup,
 * dashboards:export, k6:rerun) and the e2e suite read. Pure, so tools import it without the
 * program; a test keeps it equal to index.ts's exports and checks the shell scripts' literals.
 */
export const STACK_OUTPUTS = [
  "grafanaUrl",
  "prometheusUrl",
  "alertmanagerUrl",
  "prometheusAuth",
  "prometheusUser",
  "prometheusPassword",
  "grafanaAdminUser",
  "grafanaAdminPassword",
  "prometheusVolume",
  "grafanaVolume",
  "k6ResultsVolume",
  "alertmanagerVolume",
  "prometheusContainer",
  "grafanaContainer",
  "alertmanagerContainer",
  "prometheusImage",
  "grafanaImage",
  "k6Image",
  "prometheusRetentionTime",
  "prometheusRetentionSize",
  "network",
  "trendMode",
  "k6TestId",
  "k6Summary",
  "k6Report",
  "k6ReportSource",
  "k6ExitCode",
  "k6Output",
  "k6RunIdUrn",
  "volumesProtected",
] as const;

/** A stack output name. */
export type StackOutputName = (typeof STACK_OUTPUTS)[number];

/** The stack a tool acts on when neither a flag nor K6OBS_STACK names one. */
export const DEFAULT_STACK = "dev";
