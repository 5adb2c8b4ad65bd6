import * as fs from "fs";
import * as path from "path";
import { exportDashboards } from "../../../ops/dashboards-export/export";
import { MANIFEST_FILE } from "../../../ops/dashboards-export/manifest";
import { FakeGrafana } from "../../harness/fake-grafana/server";
import { uiDashboard, v2Spec } from "../../harness/fake-grafana/fixtures";
import { useSeededGrafana } from "../../harness/fake-grafana/seeded";

describe("exportDashboards against an HTTP server speaking Grafana's API", () => {
  let grafana: FakeGrafana;
  let outDir: string;
  const { options, snapshot } = useSeededGrafana((g, dir) => {
    grafana = g;
    outDir = dir;
  });

  it("refuses dashboards stored in the v2 schema, naming uid, title and what to do, and exports the rest", async () => {
    // Even an endpoint that would hand out the lossy classic conversion is never asked.
    grafana.legacyV2 = "down-convert";
    grafana.saveV2("team-tabs", "Checkout (tabs)", "fA1b2");
    grafana.saveV2("team-broken", "Broken conversion", undefined, { conversionFails: true });

    const result = await exportDashboards(options());
    expect([...result.created].sort()).toEqual([
      "home-ops.json",
      "load-tests/team-http.json",
      "sre-on-call/team-slo.json",
    ]);
    expect(result.refused.map((r) => [r.uid, r.title, r.storedVersion, r.layout, r.existingFile])).toEqual([
      ["team-broken", "Broken conversion", "v2beta1", "TabsLayout", undefined],
      ["team-tabs", "Checkout (tabs)", "v2beta1", "TabsLayout", undefined],
    ]);
    const message = result.refused[1]?.message ?? "";
    expect(message).toMatch(
      /^Dashboard "Checkout \(tabs\)" \(uid team-tabs\) is stored in Grafana's v2 dashboard schema \(dashboard\.grafana\.app\/v2beta1, layout TabsLayout; .*status\.conversion\.storedVersion v2beta1\)\. Not exported: /,
    );
    expect(message).toContain("drops the v2-only layout");
    expect(message).toContain("`npm run backup`");
    expect(message).toContain('"Dashboards in the v2 schema" in docs/OPERATIONS.md');
    expect(result.refused[0]?.message).toContain("(conversion failed)");
    // Nothing of them on disk or in the manifest.
    expect(fs.existsSync(path.join(outDir, "load-tests/team-tabs.json"))).toBe(false);
    expect(fs.existsSync(path.join(outDir, "team-broken.json"))).toBe(false);
    expect(fs.readFileSync(path.join(outDir, MANIFEST_FILE), "utf8")).not.toMatch(/team-tabs|team-broken/);
    // Read natively at the stored version for the title and layout; the classic endpoint never.
    expect(grafana.requests).toContain(
      "GET /apis/dashboard.grafana.app/v2beta1/namespaces/default/dashboards/team-tabs",
    );
    expect(grafana.requests.filter((r) => r.startsWith("GET /api/dashboards/"))).toEqual([]);

    // Selected by uid: the same refusal, title from the resource (there is no search).
    const selected = await exportDashboards(options({ uids: ["team-tabs"] }));
    expect(selected.created).toEqual([]);
    expect(selected.refused.map((r) => r.title)).toEqual(["Checkout (tabs)"]);
  });

  it("leaves the file of a dashboard saved as v2 since its last export, and says so", async () => {
    await exportDashboards(options());
    const before = snapshot();
    grafana.saveV2("team-http", "HTTP overview", "fA1b2"); // saved again in Grafana 13's editor, with tabs

    const result = await exportDashboards(options());
    expect(result.refused.map((r) => [r.uid, r.existingFile])).toEqual([
      ["team-http", "load-tests/team-http.json"],
    ]);
    expect(result.refused[0]?.message).toContain(
      `${path.join(outDir, "load-tests/team-http.json")} holds an older classic copy and was left as it is`,
    );
    expect(result.stale).toEqual([]);
    expect([...result.created, ...result.updated, ...result.removed]).toEqual([]);
    expect(snapshot()).toEqual(before);
  });

  it("on Grafana before 12 (GET /apis 404) refuses a dashboard answered with HTTP 406 or a v2 body, and exports the rest", async () => {
    grafana.apis = "absent";
    grafana.saveV2("team-tabs", "Checkout (tabs)", "fA1b2"); // the classic endpoint answers 406
    grafana.save("team-res", uiDashboard("Resource shaped"));
    grafana.legacyOverride.set("team-res", {
      apiVersion: "dashboard.grafana.app/v2beta1",
      kind: "Dashboard",
      metadata: { name: "team-res" },
      spec: v2Spec("Resource shaped"),
    });
    grafana.save("team-bare", uiDashboard("Bare v2 spec"));
    grafana.legacyOverride.set("team-bare", v2Spec("Bare v2 spec"));
    // A classic model in a V1 resource wrapper is unwrapped, not refused.
    grafana.save("team-wrapped", uiDashboard("Wrapped classic"));
    grafana.legacyOverride.set("team-wrapped", {
      apiVersion: "dashboard.grafana.app/v1beta1",
      kind: "Dashboard",
      metadata: { name: "team-wrapped" },
      spec: uiDashboard("Wrapped classic"),
    });

    const result = await exportDashboards(options());
    expect([...result.created].sort()).toEqual([
      "home-ops.json",
      "load-tests/team-http.json",
      "sre-on-call/team-slo.json",
      "team-wrapped.json",
    ]);
    expect(JSON.parse(fs.readFileSync(path.join(outDir, "team-wrapped.json"), "utf8"))).toMatchObject({
      uid: "team-wrapped",
      title: "Wrapped classic",
    });
    expect(result.refused.map((r) => [r.uid, r.title, r.storedVersion])).toEqual([
      ["team-bare", "Bare v2 spec", undefined],
      ["team-res", "Resource shaped", "v2beta1"],
      ["team-tabs", "Checkout (tabs)", "v2beta1"],
    ]);
    expect(result.refused[2]?.message).toContain(
      'GET /api/dashboards/uid/team-tabs answered HTTP 406 ("dashboard api version not supported, use ' +
        '/apis/dashboard.grafana.app/v2beta1/namespaces/default/dashboards/team-tabs instead")',
    );
    expect(result.refused[1]?.message).toContain(
      "returned a Dashboard resource (dashboard.grafana.app/v2beta1)",
    );
    expect(result.refused[0]?.message).toContain('returned a body with v2 "elements"/"layout"');
    expect(grafana.requests.filter((r) => r.startsWith("GET /apis/"))).toEqual([]);
  });

  it("stops, writing nothing, when GET /apis fails rather than falling back to the classic endpoint", async () => {
    grafana.apis = "broken";
    await expect(exportDashboards(options())).rejects.toThrow(
      new RegExp(`GET /apis at ${grafana.url.replace(/\./g, "\\.")} failed with HTTP 500`),
    );
    expect(fs.existsSync(outDir)).toBe(false);
    expect(grafana.requests.filter((r) => r.startsWith("GET /api/dashboards/"))).toEqual([]);
  });
});
