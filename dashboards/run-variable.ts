import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { runEndQuery } from "../model/run-queries";
import { PROMETHEUS_DATASOURCE } from "./panels";

/**
 * Runs newest first: Grafana sorts query variables by text only, so the variable runs
 * `query_result` over the runs' end times sorted by Prometheus (`sort_desc`), extracts the testid
 * with a regex and keeps that order (sort disabled). 1s resolution: a coarser one misses runs
 * shorter than a step.
 */
export const RUNS_NEWEST_FIRST = `query_result(sort_desc(${runEndQuery("", "$__range", "1s")}))`;

/** What Grafana's query_result text looks like for a run: `{testid="<id>"} <value> <ms>`. */
export const TESTID_REGEX = '/testid="([^"]+)"/';

/** A query variable listing the runs with data in the time range, newest first. */
export function runVariable(
  name: string,
  label: string,
  description: string,
  multi: boolean,
): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .description(description)
    .datasource(PROMETHEUS_DATASOURCE)
    .query(RUNS_NEWEST_FIRST)
    .definition(RUNS_NEWEST_FIRST)
    .regex(TESTID_REGEX)
    .multi(multi)
    .includeAll(false)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.Disabled);
}

/** A multi-select `label_values` variable with "All" (matching any value), sorted alphabetically. */
export function labelValuesVariable(
  name: string,
  label: string,
  description: string,
  query: string,
): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .description(description)
    .datasource(PROMETHEUS_DATASOURCE)
    .query(query)
    .definition(query)
    .multi(true)
    .includeAll(true)
    .allValue(".+")
    .current({ selected: true, text: ["All"], value: ["$__all"] })
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
}
