import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";

import { GRAFANA_DATASOURCE } from "../model/grafana";

/** The provisioned Prometheus datasource (one definition, in grafana-settings). */
export const PROMETHEUS_DATASOURCE = GRAFANA_DATASOURCE;

/** One PromQL query of a panel. */
export interface PanelQuery {
  /** PromQL, with Grafana variables ($testid, $__rate_interval, ...). */
  readonly expr: string;
  /** Legend, e.g. `{{testid}}`. */
  readonly legend: string;
}

/** What every panel declares. */
export interface PanelSpec {
  readonly id: number;
  readonly title: string;
  /** Shown in the panel's info tooltip: what the numbers mean, including caveats. */
  readonly description: string;
  /** Grafana unit id, e.g. `reqps`, `s`, `percentunit`, `bytes`, `Bps`, `short`. */
  readonly unit: string;
  readonly queries: readonly PanelQuery[];
  /** Width in grid columns (24 per row). */
  readonly width: number;
  /** Height in grid rows. */
  readonly height: number;
}

const REF_IDS = "ABCDEFGHIJ";

function target(q: PanelQuery, index: number, instant: boolean): prometheus.DataqueryBuilder {
  const builder = new prometheus.DataqueryBuilder()
    .datasource(PROMETHEUS_DATASOURCE)
    .editorMode(prometheus.QueryEditorMode.Code)
    .expr(q.expr)
    .legendFormat(q.legend)
    .refId(REF_IDS[index] ?? `Q${index}`);
  return instant ? builder.instant() : builder.range();
}

/** The builder calls every panel kind shares. */
interface CommonPanelBuilder<B> {
  id(id: number): B;
  title(title: string): B;
  description(description: string): B;
  datasource(ref: common.DataSourceRef): B;
  unit(unit: string): B;
  span(width: number): B;
  height(height: number): B;
}

/** Id, texts, datasource, unit and grid size of any panel, from its spec. */
function basePanel<B extends CommonPanelBuilder<B>>(builder: B, spec: PanelSpec): B {
  return builder
    .id(spec.id)
    .title(spec.title)
    .description(spec.description)
    .datasource(PROMETHEUS_DATASOURCE)
    .unit(spec.unit)
    .span(spec.width)
    .height(spec.height);
}

/** A time series panel over the dashboard's time range. */
export function timeseriesPanel(spec: PanelSpec): timeseries.PanelBuilder {
  const panel = basePanel(new timeseries.PanelBuilder(), spec)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    );
  spec.queries.forEach((q, i) => panel.withTarget(target(q, i, false)));
  return panel;
}

/**
 * A single-value panel: instant queries evaluated at the end of the time range, usually over
 * `[$__range]`, one value per selected run.
 */
export function statPanel(
  spec: PanelSpec & { readonly thresholds?: dashboard.Threshold[] },
): stat.PanelBuilder {
  const panel = basePanel(new stat.PanelBuilder(), spec)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value)
    .textMode(common.BigValueTextMode.ValueAndName)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
    .thresholds(
      new dashboard.ThresholdsConfigBuilder()
        .mode(dashboard.ThresholdsMode.Absolute)
        .steps(spec.thresholds ?? [{ value: null, color: "text" }]),
    );
  spec.queries.forEach((q, i) => panel.withTarget(target(q, i, true)));
  return panel;
}

/** Every PromQL expression of a built dashboard, with the panel it belongs to. */
export function dashboardQueries(
  d: dashboard.Dashboard,
): { panel: string; expr: string; instant: boolean }[] {
  const out: { panel: string; expr: string; instant: boolean }[] = [];
  for (const p of d.panels ?? []) {
    if (!("targets" in p) || p.targets === undefined) {
      continue;
    }
    for (const t of p.targets) {
      const q = t as prometheus.Dataquery;
      out.push({ panel: p.title ?? "", expr: q.expr, instant: q.instant === true });
    }
  }
  return out;
}
