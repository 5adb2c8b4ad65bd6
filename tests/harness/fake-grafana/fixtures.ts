/** Dashboards as Grafana stores them, for the fake Grafana and the tests. */

/** The native spec of a dashboard built in Grafana 13's editor with tabs and an auto grid (v2beta1). */
export function v2Spec(title: string): Record<string, unknown> {
  return {
    title,
    tags: ["team"],
    editable: true,
    cursorSync: "Off",
    liveNow: false,
    preload: false,
    links: [],
    annotations: [],
    elements: {
      "panel-2": {
        kind: "Panel",
        spec: {
          id: 2,
          title: "RPS",
          description: "",
          links: [],
          data: {
            kind: "QueryGroup",
            spec: {
              queries: [
                {
                  kind: "PanelQuery",
                  spec: {
                    refId: "A",
                    hidden: false,
                    query: {
                      kind: "DataQuery",
                      group: "prometheus",
                      version: "v0",
                      datasource: { name: "prometheus" },
                      spec: { expr: "sum(rate(k6_http_reqs_total[1m]))" },
                    },
                  },
                },
              ],
              transformations: [],
              queryOptions: {},
            },
          },
          vizConfig: { kind: "VizConfig", group: "timeseries", version: "13.0.1", spec: { options: {} } },
        },
      },
    },
    layout: {
      kind: "TabsLayout",
      spec: {
        tabs: [
          {
            kind: "TabsLayoutTab",
            spec: {
              title: "Overview",
              layout: {
                kind: "AutoGridLayout",
                spec: {
                  maxColumnCount: 3,
                  columnWidthMode: "standard",
                  rowHeightMode: "standard",
                  fillScreen: false,
                  items: [
                    {
                      kind: "AutoGridLayoutItem",
                      spec: { element: { kind: "ElementReference", name: "panel-2" } },
                    },
                  ],
                },
              },
            },
          },
        ],
      },
    },
    timeSettings: { timezone: "browser", from: "now-1h", to: "now", autoRefresh: "", hideTimepicker: false },
    variables: [],
  };
}

/** A dashboard as the Grafana UI saves it: volatile fields, legacy and foreign datasource refs. */
export function uiDashboard(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title,
    tags: ["team"],
    timezone: "browser",
    schemaVersion: 41,
    editable: true,
    iteration: 1731000000000,
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: "grafana", uid: "-- Grafana --" },
          enable: true,
          name: "Annotations & Alerts",
          type: "dashboard",
        },
      ],
    },
    panels: [
      {
        id: 2,
        type: "timeseries",
        title: "RPS",
        pluginVersion: "13.0.1",
        gridPos: { h: 8, w: 12, x: 0, y: 0 },
        datasource: { type: "prometheus", uid: "PBFA97CFB590B2093" },
        targets: [{ refId: "A", expr: "sum(rate(k6_http_reqs_total[1m]))", datasource: "Prometheus" }],
      },
    ],
    templating: { list: [] },
    time: { from: "now-1h", to: "now" },
    ...extra,
  };
}
