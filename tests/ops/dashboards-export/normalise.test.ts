import { normalizeDashboard, serializeDashboard } from "../../../ops/dashboards-export/normalise";

describe("normalizeDashboard", () => {
  const shared = {
    __inputs: [
      { name: "DS_PROMETHEUS", label: "Prometheus", type: "datasource", pluginId: "prometheus" },
      { name: "DS_LOKI", label: "Loki", type: "datasource", pluginId: "loki" },
    ],
    __requires: [{ type: "grafana", id: "grafana", version: "13.0.1" }],
    __elements: {},
    id: null,
    uid: "team-http",
    version: 7,
    iteration: 1731000000000,
    title: "HTTP",
    panels: [
      {
        id: 1,
        pluginVersion: "13.0.1",
        datasource: "${DS_PROMETHEUS}",
        targets: [{ datasource: { uid: "${DS_PROMETHEUS}" } }],
      },
      { id: 2, datasource: { type: "prometheus", uid: "other-grafanas-uid" } },
      { id: 3, datasource: "Prometheus" },
      { id: 4, datasource: { type: "datasource", uid: "-- Mixed --" } },
      { id: 5, datasource: { type: "prometheus", uid: "${datasource}" } },
      { id: 6, datasource: { type: "loki", uid: "${DS_LOKI}" } },
      { id: 7, datasource: null },
      { id: 10, datasource: "${DS_LOKI}" },
      {
        id: 8,
        type: "row",
        collapsed: true,
        panels: [{ id: 9, pluginVersion: "12.0.0", datasource: { type: "prometheus", uid: "abc" } }],
      },
    ],
    templating: {
      list: [
        { name: "testid", type: "query", datasource: "${DS_PROMETHEUS}", query: "label_values(testid)" },
      ],
    },
  };

  const normalized = normalizeDashboard(shared);
  const panels = normalized.panels as Array<Record<string, unknown>>;
  const prometheus = { type: "prometheus", uid: "prometheus" };

  it("drops id, version, iteration, pluginVersion and the export-for-sharing sections", () => {
    for (const key of ["id", "version", "iteration", "__inputs", "__requires", "__elements"]) {
      expect(normalized).not.toHaveProperty(key);
    }
    expect(JSON.stringify(normalized)).not.toContain("pluginVersion");
    expect(panels.map((p) => p.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 10, 8]);
  });

  it("points Prometheus references at the provisioned uid: ${DS_...} inputs, foreign uids, legacy names", () => {
    expect(panels[0]?.datasource).toEqual(prometheus);
    expect((panels[0]?.targets as Array<Record<string, unknown>>)[0]?.datasource).toEqual(prometheus);
    expect(panels[1]?.datasource).toEqual(prometheus);
    expect(panels[2]?.datasource).toEqual(prometheus);
    expect(((panels[8]?.panels as Array<Record<string, unknown>>)[0] ?? {}).datasource).toEqual(prometheus);
    expect((normalized.templating as { list: Array<Record<string, unknown>> }).list[0]?.datasource).toEqual(
      prometheus,
    );
  });

  it("keeps built-in datasources, dashboard variables, other plugins and the default (null)", () => {
    expect(panels[3]?.datasource).toEqual({ type: "datasource", uid: "-- Mixed --" });
    expect(panels[4]?.datasource).toEqual({ type: "prometheus", uid: "${datasource}" });
    expect(panels[5]?.datasource).toEqual({ type: "loki", uid: "${DS_LOKI}" });
    expect(panels[6]?.datasource).toBeNull();
    expect(panels[7]?.datasource).toEqual({ type: "loki", uid: "${DS_LOKI}" });
  });

  it("sorts keys at every level and keeps array order", () => {
    const text = serializeDashboard({ b: 1, a: { d: [3, 1, 2], c: true } });
    expect(text).toBe(
      '{\n  "a": {\n    "c": true,\n    "d": [\n      3,\n      1,\n      2\n    ]\n  },\n  "b": 1\n}\n',
    );
  });

  it("is idempotent and insensitive to the key order Grafana returns", () => {
    expect(normalizeDashboard(normalized)).toEqual(normalized);
    const reordered = Object.fromEntries(Object.entries(shared).reverse());
    expect(serializeDashboard(reordered)).toBe(serializeDashboard(shared));
  });
});
