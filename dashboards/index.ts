import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { TREND_MODES, TrendMode } from "../model/trend-mode";
import { compareDashboard } from "./compare";
import { k6OverviewDashboard } from "./k6-overview";
import { prometheusHealthDashboard } from "./prometheus-health";
import { runsDashboard } from "./runs";
import { systemUnderTestDashboard } from "./system-under-test";

export { PROMETHEUS_DATASOURCE, dashboardQueries } from "./panels";
export { k6OverviewUid } from "./k6-overview";
export { PROMETHEUS_HEALTH_UID } from "./prometheus-health";
export { runsUid } from "./runs";
export { compareUid } from "./compare";
export { SYSTEM_UNDER_TEST_UID } from "./system-under-test";

/** Repo-relative directory of the generated dashboard folders. */
export const DASHBOARDS_DIR = "provisioning/grafana/dashboards";

/**
 * Folders under provisioning/grafana/dashboards: `common` is provisioned in every stack, the folder
 * named after the stack's trend mode next to it, the other mode's folder never.
 */
export type DashboardFolder = "common" | TrendMode;

/** A dashboard document and where it is provisioned from. */
export interface ProvisionedDashboard {
  readonly folder: DashboardFolder;
  /** File name inside the folder, `<uid>.json`. */
  readonly fileName: string;
  readonly dashboard: dashboard.Dashboard;
}

function provisioned(folder: DashboardFolder, d: dashboard.Dashboard): ProvisionedDashboard {
  if (d.uid === undefined) {
    throw new Error(`dashboard "${d.title}" has no uid`);
  }
  return { folder, fileName: `${d.uid}.json`, dashboard: d };
}

/** Dashboards of the `common` folder (trend-mode independent). */
export function commonDashboards(): ProvisionedDashboard[] {
  return [
    provisioned("common", prometheusHealthDashboard()),
    provisioned("common", systemUnderTestDashboard()),
  ];
}

/** Dashboards of one trend mode's folder. */
export function modeDashboards(mode: TrendMode): ProvisionedDashboard[] {
  return [
    provisioned(mode, k6OverviewDashboard(mode)),
    provisioned(mode, runsDashboard(mode)),
    provisioned(mode, compareDashboard(mode)),
  ];
}

/** Every dashboard a stack in this trend mode provisions: `common` plus its mode's folder. */
export function dashboardsFor(mode: TrendMode): ProvisionedDashboard[] {
  return [...commonDashboards(), ...modeDashboards(mode)];
}

/** Every dashboard of every folder, as committed under provisioning/grafana/dashboards. */
export function allDashboards(): ProvisionedDashboard[] {
  return [...commonDashboards(), ...TREND_MODES.flatMap(modeDashboards)];
}

/** Repo-relative directory of a folder, e.g. `provisioning/grafana/dashboards/stats`. */
export function dashboardFolderDir(folder: DashboardFolder): string {
  return `${DASHBOARDS_DIR}/${folder}`;
}

/** File contents of a dashboard: 2-space JSON and a final newline. */
export function renderDashboard(d: dashboard.Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
