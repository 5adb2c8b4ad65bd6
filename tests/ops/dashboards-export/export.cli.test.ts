import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LocalEditsError, exportDashboards } from "../../../ops/dashboards-export/export";
import { MANIFEST_FILE, parseManifest } from "../../../ops/dashboards-export/manifest";
import { FakeGrafana } from "../../harness/fake-grafana/server";
import { uiDashboard } from "../../harness/fake-grafana/fixtures";
import { useSeededGrafana } from "../../harness/fake-grafana/seeded";

describe("exportDashboards against an HTTP server speaking Grafana's API", () => {
  let grafana: FakeGrafana;
  let outDir: string;
  const { options, snapshot } = useSeededGrafana((g, dir) => {
    grafana = g;
    outDir = dir;
  });

  it("writes one normalised file per dashboard under its folder slug, skipping generated ones", async () => {
    const result = await exportDashboards(options());
    expect([...result.created].sort()).toEqual([
      "home-ops.json",
      "load-tests/team-http.json",
      "sre-on-call/team-slo.json",
    ]);
    expect(result.skippedGenerated).toEqual(["k6obs-k6-stats"]);
    const written = JSON.parse(fs.readFileSync(path.join(outDir, "load-tests/team-http.json"), "utf8"));
    expect(written).not.toHaveProperty("id");
    expect(written).not.toHaveProperty("version");
    expect(written.uid).toBe("team-http");
    expect(written.panels[0].datasource).toEqual({ type: "prometheus", uid: "prometheus" });
    expect(written.panels[0].targets[0].datasource).toEqual({ type: "prometheus", uid: "prometheus" });
    const manifest = parseManifest(fs.readFileSync(path.join(outDir, MANIFEST_FILE), "utf8"));
    expect([...manifest.keys()].sort()).toEqual([
      "home-ops.json",
      "load-tests/team-http.json",
      "sre-on-call/team-slo.json",
    ]);
    // coreutils' sha256sum, not the exporter's hash, agrees with every recorded hash.
    const check = spawnSync("sha256sum", ["--check", "--strict", MANIFEST_FILE], {
      cwd: outDir,
      encoding: "utf8",
    });
    expect({ code: check.status, stdout: check.stdout, stderr: check.stderr }).toEqual({
      code: 0,
      stdout: "home-ops.json: OK\nload-tests/team-http.json: OK\nsre-on-call/team-slo.json: OK\n",
      stderr: "",
    });
    // Only documented endpoints were used, and dashboards were read through the resource API.
    const documented =
      /^GET \/(api\/(search|folders|org)\b|apis$|apis\/dashboard\.grafana\.app\/v1beta1\/namespaces\/default\/dashboards\/)/;
    expect(grafana.requests.filter((r) => !documented.test(r))).toEqual([]);
    expect(grafana.requests).toContain("GET /api/search?type=dash-db&limit=5000&page=1");
    expect(grafana.requests).toContain(
      "GET /apis/dashboard.grafana.app/v1beta1/namespaces/default/dashboards/team-http",
    );
    expect(result.refused).toEqual([]);
  });

  it("reads through the resource API of Grafana 12+, never the classic endpoint, to the same files", async () => {
    grafana.apis = "absent"; // Grafana before 12: GET /apis is 404, dashboards come from the classic endpoint
    const legacy = await exportDashboards(options());
    expect(legacy.created).toHaveLength(3);
    expect(grafana.requests).toContain("GET /apis");
    expect(grafana.requests).toContain("GET /api/dashboards/uid/team-http");
    const before = snapshot();

    grafana.apis = "resource";
    grafana.requests.length = 0;
    const resource = await exportDashboards(options());
    expect([...resource.created, ...resource.updated, ...resource.removed]).toEqual([]);
    expect(resource.manifestWritten).toBe(false);
    expect(snapshot()).toEqual(before);
    expect(grafana.requests).toEqual(
      expect.arrayContaining([
        "GET /apis",
        "GET /api/org",
        "GET /apis/dashboard.grafana.app/v1beta1/namespaces/default/dashboards/team-http",
      ]),
    );
    expect(grafana.requests.filter((r) => r.startsWith("GET /api/dashboards/"))).toEqual([]);
    expect(grafana.requests.filter((r) => r === "GET /apis")).toHaveLength(1); // found once per export
  });

  it("exports a dashboard stored as v0alpha1 from its stored model, even when conversion to v1 failed", async () => {
    grafana.save("home-ops", uiDashboard("Ops home", { schemaVersion: 12 }), undefined, {
      stored: "v0alpha1",
      conversionFails: true,
    });
    const result = await exportDashboards(options());
    expect(result.created).toContain("home-ops.json");
    expect(result.refused).toEqual([]);
    const written = JSON.parse(fs.readFileSync(path.join(outDir, "home-ops.json"), "utf8"));
    expect(written).toMatchObject({ uid: "home-ops", title: "Ops home", schemaVersion: 12 });
  });

  it("names the folder of a dashboard in a nested folder with GET /api/folders/:uid", async () => {
    grafana.addFolder("fE5f6", "Checkout Team", "fA1b2");
    grafana.save("team-nested", uiDashboard("Nested"), "fE5f6");
    const result = await exportDashboards(options({ uids: ["team-nested"] }));
    expect(result.created).toEqual(["checkout-team/team-nested.json"]);
    expect(grafana.requests).toContain("GET /api/folders/fE5f6");
  });

  it("writes nothing on a second run, even after Grafana bumped version and pluginVersion", async () => {
    await exportDashboards(options());
    const before = snapshot();
    // A save without a real change: Grafana bumps version; a newer Grafana stamps pluginVersion.
    const current = grafana.dashboards.get("team-http");
    const panels = (current?.model.panels as Array<Record<string, unknown>>).map((p) => ({
      ...p,
      pluginVersion: "13.0.2",
    }));
    grafana.save("team-http", { ...current?.model, panels, iteration: 1731999999999 }, "fA1b2");

    const second = await exportDashboards(options());
    expect(second.created).toEqual([]);
    expect(second.updated).toEqual([]);
    expect(second.removed).toEqual([]);
    expect(second.manifestWritten).toBe(false);
    expect(snapshot()).toEqual(before);
  });

  it("updates the file when the dashboard changed in the UI", async () => {
    await exportDashboards(options());
    grafana.save("team-http", uiDashboard("HTTP overview", { refresh: "10s" }), "fA1b2");
    const result = await exportDashboards(options());
    expect(result.updated).toEqual(["load-tests/team-http.json"]);
    expect(JSON.parse(fs.readFileSync(path.join(outDir, "load-tests/team-http.json"), "utf8")).refresh).toBe(
      "10s",
    );
  });

  it("refuses to overwrite a file edited locally since the last export, writing nothing, unless --force", async () => {
    await exportDashboards(options());
    const edited = path.join(outDir, "load-tests/team-http.json");
    fs.writeFileSync(
      edited,
      fs.readFileSync(edited, "utf8").replace('"HTTP overview"', '"HTTP overview (hand edit)"'),
    );
    grafana.save("team-http", uiDashboard("HTTP overview", { refresh: "10s" }), "fA1b2");
    grafana.save("team-slo", uiDashboard("SLOs", { refresh: "1m" }), "fC3d4");
    const before = snapshot();

    const refused = exportDashboards(options());
    await expect(refused).rejects.toThrow(LocalEditsError);
    await expect(exportDashboards(options())).rejects.toThrow(
      new RegExp(
        `${edited.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: changed since the last export[\\s\\S]*--force`,
      ),
    );
    expect(snapshot()).toEqual(before); // not even the unrelated team-slo update was written

    const forced = await exportDashboards(options({ force: true }));
    expect([...forced.updated].sort()).toEqual(["load-tests/team-http.json", "sre-on-call/team-slo.json"]);
    expect(fs.readFileSync(edited, "utf8")).not.toContain("hand edit");
  });

  it("moves the file when the dashboard moves to another folder", async () => {
    await exportDashboards(options());
    grafana.save("team-http", uiDashboard("HTTP overview"), "fC3d4");
    const result = await exportDashboards(options());
    expect(result.created).toEqual(["sre-on-call/team-http.json"]);
    expect(result.removed).toEqual(["load-tests/team-http.json"]);
    expect(fs.existsSync(path.join(outDir, "load-tests"))).toBe(false);
    expect(
      parseManifest(fs.readFileSync(path.join(outDir, MANIFEST_FILE), "utf8")).has(
        "load-tests/team-http.json",
      ),
    ).toBe(false);
  });

  it("exports only the selected uids, and generated ones only with --include-generated", async () => {
    const result = await exportDashboards(options({ uids: ["team-slo"] }));
    expect(result.created).toEqual(["sre-on-call/team-slo.json"]);
    expect(grafana.requests.some((r) => r.startsWith("GET /api/search"))).toBe(false);

    await expect(exportDashboards(options({ uids: ["k6obs-k6-stats"] }))).rejects.toThrow(
      /--include-generated/,
    );
    const generated = await exportDashboards(options({ uids: ["k6obs-k6-stats"], includeGenerated: true }));
    expect(generated.created).toEqual(["load-tests/k6obs-k6-stats.json"]);
  });
});
