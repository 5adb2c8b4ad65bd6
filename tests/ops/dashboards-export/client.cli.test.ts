import * as fs from "fs";
import { GrafanaApiError } from "../../../ops/dashboards-export/grafana-errors";
import { exportDashboards } from "../../../ops/dashboards-export/export";
import { FakeGrafana, PASSWORD, USER } from "../../harness/fake-grafana/server";
import { uiDashboard } from "../../harness/fake-grafana/fixtures";
import { useSeededGrafana } from "../../harness/fake-grafana/seeded";

describe("exportDashboards against an HTTP server speaking Grafana's API", () => {
  let grafana: FakeGrafana;
  let outDir: string;
  const { options } = useSeededGrafana((g, dir) => {
    grafana = g;
    outDir = dir;
  });

  it("follows search and folder paging", async () => {
    for (let i = 0; i < 5; i++) {
      grafana.save(`bulk-${i}`, uiDashboard(`Bulk ${i}`));
    }
    const result = await exportDashboards(
      options({ connection: { url: grafana.url, user: USER, password: PASSWORD, pageSize: 2 } }),
    );
    expect(result.created.filter((p) => p.startsWith("bulk-"))).toHaveLength(5);
    expect(grafana.requests).toContain("GET /api/search?type=dash-db&limit=2&page=5");
    expect(grafana.requests).toContain("GET /api/folders?limit=2&page=2");
  });

  it("names the user and the URL when Grafana answers 401", async () => {
    const attempt = exportDashboards(
      options({ connection: { url: grafana.url, user: USER, password: "wrong" } }),
    );
    await expect(attempt).rejects.toMatchObject({ kind: "unauthorized", status: 401 });
    await expect(
      exportDashboards(options({ connection: { url: grafana.url, user: "bob", password: "wrong" } })),
    ).rejects.toThrow(
      `Grafana at ${grafana.url} rejected the credentials of user "bob" (HTTP 401: Invalid username or password)`,
    );
    expect(fs.existsSync(outDir)).toBe(false);
  });

  it("names every missing uid when Grafana answers 404", async () => {
    const attempt = exportDashboards(options({ uids: ["team-http", "gone-1", "gone-2"] }));
    await expect(attempt).rejects.toBeInstanceOf(GrafanaApiError);
    await expect(exportDashboards(options({ uids: ["team-http", "gone-1", "gone-2"] }))).rejects.toThrow(
      `Dashboard uid "gone-1", "gone-2" not found in Grafana at ${grafana.url} (HTTP 404)`,
    );
    expect(fs.existsSync(outDir)).toBe(false);
  });

  it("names the URL when nothing listens there", async () => {
    const url = grafana.url;
    await grafana.stop();
    await expect(
      exportDashboards({ connection: { url, user: USER, password: PASSWORD }, outDir }),
    ).rejects.toThrow(new RegExp(`Cannot reach Grafana at ${url.replace(/\./g, "\\.")} \\(ECONNREFUSED`));
    await grafana.start(); // afterEach stops it again
  });
});
