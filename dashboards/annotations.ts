import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import { runEndQuery, runStartQuery } from "../model/run-queries";
import { PROMETHEUS_DATASOURCE } from "./panels";

/**
 * Run start and end markers for every k6 dashboard, from Prometheus data (the first and last
 * `k6_vus` sample of each run in the time range). Prometheus-query annotations rather than
 * annotations the run posts to Grafana: they are computed from the stored samples, so they survive
 * `destroy`/`up`, a restore of the Prometheus volume alone, and runs started outside the stack (a
 * k6 on a laptop remote-writing here), and k6 needs no Grafana credentials.
 *
 * Each query is pinned with `@ end()` (evaluated once, not once per annotation step) and returns
 * the time in milliseconds with `useValueForTime`, so Grafana draws one marker per run at the exact
 * second instead of at the annotation step.
 */
export function runAnnotations(): dashboard.AnnotationQueryBuilder[] {
  const marker = (name: string, color: string, expr: string, title: string) =>
    new dashboard.AnnotationQueryBuilder()
      .name(name)
      .datasource(PROMETHEUS_DATASOURCE)
      .enable(true)
      .iconColor(color)
      .target(
        new prometheus.DataqueryBuilder()
          .datasource(PROMETHEUS_DATASOURCE)
          .editorMode(prometheus.QueryEditorMode.Code)
          .expr(`${expr} * 1000`)
          .interval("60s")
          .refId("Anno"),
      )
      .useValueForTime(true)
      .titleFormat(title)
      .textFormat("{{testid}}")
      .tagKeys("testid");
  return [
    marker("Run start", "green", runStartQuery("", "$__range", "1s", "end()"), "k6 run started"),
    marker("Run end", "red", runEndQuery("", "$__range", "1s", "end()"), "k6 run ended"),
  ];
}
