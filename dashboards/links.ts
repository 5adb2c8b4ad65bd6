import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { TrendMode } from "../model/trend-mode";

/**
 * The mode's k6 dashboards (overview, runs, comparison) as one dropdown, found by tag rather than
 * uid so the dashboards need not import each other; keeps the time range.
 */
export function k6DashboardLinks(mode: TrendMode): dashboard.DashboardLinkBuilder[] {
  return [
    new dashboard.DashboardLinkBuilder("k6 dashboards")
      .type(dashboard.DashboardLinkType.Dashboards)
      .tags(["k6", mode])
      .asDropdown(true)
      .keepTime(true)
      .includeVars(false),
  ];
}
