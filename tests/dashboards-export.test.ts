/**
 * Dashboard export against a real HTTP server on 127.0.0.1 that answers like Grafana's documented
 * API (GET /api/search, /api/dashboards/uid/:uid, /api/folders, basic auth), including its error
 * responses, plus the pure normalisation and path functions.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import {
  GrafanaApiError,
  LocalEditsError,
  MANIFEST_FILE,
  dashboardRelPath,
  exportDashboards,
  folderSlug,
  formatManifest,
  normalizeDashboard,
  parseManifest,
  planExport,
  resolveConnection,
  serializeDashboard,
  sha256,
  type ExportOptions,
} from "../scripts/lib/grafana-export";

const REPO_ROOT = path.resolve(__dirname, "..");
const USER = "admin";
const PASSWORD = "s3cret-pw";

// ---------------------------------------------------------------------------------------------
// A fake Grafana
// ---------------------------------------------------------------------------------------------

interface FakeFolder {
  id: number;
  uid: string;
  title: string;
}

interface FakeDashboard {
  folderUid?: string;
  provisioned?: boolean;
  model: Record<string, unknown>;
}

/** Grafana 11+ error body shape. */
function errorBody(status: number, message: string, messageId: string): string {
  return JSON.stringify({ message, messageId, statusCode: status, traceID: "" });
}

class FakeGrafana {
  readonly folders: FakeFolder[] = [];
  readonly dashboards = new Map<string, FakeDashboard>();
  readonly requests: string[] = [];
  private server?: http.Server;
  private nextId = 1;

  addFolder(uid: string, title: string): void {
    this.folders.push({ id: this.nextId++, uid, title });
  }

  /** Creates or "saves in the UI": bumps version like Grafana does. */
  save(uid: string, model: Record<string, unknown>, folderUid?: string): void {
    const previous = this.dashboards.get(uid);
    const id = typeof previous?.model.id === "number" ? previous.model.id : this.nextId++;
    const version = typeof previous?.model.version === "number" ? previous.model.version + 1 : 1;
    this.dashboards.set(uid, {
      ...(folderUid !== undefined ? { folderUid } : {}),
      model: { ...model, id, uid, version },
    });
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private folder(uid: string | undefined): FakeFolder | undefined {
    return this.folders.find((f) => f.uid === uid);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests.push(`${req.method} ${req.url}`);
    const send = (status: number, body: string): void => {
      res.writeHead(status, { "Content-Type": "application/json; charset=UTF-8" });
      res.end(body);
    };
    const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
    if (req.headers.authorization !== expected) {
      send(401, errorBody(401, "Invalid username or password", "password-auth.failed"));
      return;
    }
    const url = new URL(req.url ?? "/", "http://grafana");
    const page = (items: unknown[]): unknown[] => {
      const limit = Number(url.searchParams.get("limit") ?? "1000");
      const n = Number(url.searchParams.get("page") ?? "1");
      return items.slice((n - 1) * limit, n * limit);
    };

    if (req.method === "GET" && url.pathname === "/api/search") {
      // Documented shape: folders and dashboards; type=dash-db filters to dashboards.
      const hits = [...this.dashboards.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([uid, d]) => {
          const folder = this.folder(d.folderUid);
          const slug = String(d.model.title).toLowerCase().replace(/\W+/g, "-");
          return {
            id: d.model.id,
            uid,
            orgId: 1,
            title: d.model.title,
            uri: `db/${slug}`,
            url: `/d/${uid}/${slug}`,
            slug: "",
            type: "dash-db",
            tags: d.model.tags ?? [],
            isStarred: false,
            ...(folder
              ? {
                  folderId: folder.id,
                  folderUid: folder.uid,
                  folderTitle: folder.title,
                  folderUrl: `/dashboards/f/${folder.uid}/`,
                }
              : {}),
            sortMeta: 0,
          };
        });
      const folderHits = this.folders.map((f) => ({
        id: f.id,
        uid: f.uid,
        title: f.title,
        type: "dash-folder",
      }));
      const all = url.searchParams.get("type") === "dash-db" ? hits : [...folderHits, ...hits];
      send(200, JSON.stringify(page(all)));
      return;
    }

    if (req.method === "GET" && url.pathname === "/api/folders") {
      send(200, JSON.stringify(page(this.folders.map(({ id, uid, title }) => ({ id, uid, title })))));
      return;
    }

    const byUid = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && byUid?.[1]) {
      const uid = decodeURIComponent(byUid[1]);
      const d = this.dashboards.get(uid);
      if (!d) {
        send(404, errorBody(404, "Dashboard not found", "dashboards.notFound"));
        return;
      }
      const folder = this.folder(d.folderUid);
      send(
        200,
        JSON.stringify({
          dashboard: d.model,
          meta: {
            type: "db",
            canSave: true,
            canEdit: true,
            canAdmin: true,
            canStar: true,
            canDelete: true,
            slug: "x",
            url: `/d/${uid}/x`,
            expires: "0001-01-01T00:00:00Z",
            created: "2026-11-01T10:00:00Z",
            updated: "2026-11-02T10:00:00Z",
            updatedBy: "admin",
            createdBy: "admin",
            version: d.model.version,
            hasAcl: false,
            isFolder: false,
            folderId: folder?.id ?? 0,
            folderUid: folder?.uid ?? "",
            folderTitle: folder?.title ?? "General",
            folderUrl: folder ? `/dashboards/f/${folder.uid}/` : "",
            provisioned: d.provisioned ?? false,
            provisionedExternalId: "",
          },
        }),
      );
      return;
    }
    send(404, errorBody(404, "Not found", "api.notFound"));
  }
}

/** A dashboard as the Grafana UI saves it: volatile fields, legacy and foreign datasource refs. */
function uiDashboard(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
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

// ---------------------------------------------------------------------------------------------
// Pure functions
// ---------------------------------------------------------------------------------------------

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

describe("paths", () => {
  it("puts a dashboard under its folder's slug, or at the top for the root folder", () => {
    expect(dashboardRelPath("abc", { uid: "f1", title: "Load Tests (EU)" })).toBe("load-tests-eu/abc.json");
    expect(dashboardRelPath("abc", { uid: "f1", title: "Überwachung" })).toBe("uberwachung/abc.json");
    expect(dashboardRelPath("abc", { uid: "f1", title: "日本" })).toBe("folder-f1/abc.json");
    expect(dashboardRelPath("abc")).toBe("abc.json");
    expect(dashboardRelPath("abc", { uid: "", title: "General" })).toBe("abc.json");
    expect(folderSlug("  --Team  A--  ")).toBe("team-a");
  });

  it("refuses a uid that cannot be a file name", () => {
    expect(() => dashboardRelPath("../../etc/passwd")).toThrow(/cannot be a file name/);
  });

  it("round-trips the manifest in sha256sum format", () => {
    const entries = new Map([
      ["b/x.json", sha256("x")],
      ["a.json", sha256("a")],
    ]);
    const text = formatManifest(entries);
    expect(text).toBe(`${sha256("a")}  a.json\n${sha256("x")}  b/x.json\n`);
    expect(parseManifest(text)).toEqual(entries);
    expect(() => parseManifest("nonsense\n")).toThrow(/line 1/);
  });
});

describe("planExport", () => {
  const content = serializeDashboard({ uid: "u1", title: "One" });
  const dashboards = [{ uid: "u1", title: "One", relPath: "team-a/u1.json", content }];

  it("treats a file absent from the manifest as a local edit", () => {
    const plan = planExport({
      dashboards,
      existing: [{ relPath: "team-a/u1.json", content: "{}\n", uid: "u1" }],
      manifest: new Map(),
      force: false,
    });
    expect(plan.writes).toEqual([]);
    expect(plan.conflicts).toEqual([
      { relPath: "team-a/u1.json", reason: expect.stringMatching(/not written by an export/) },
    ]);
  });

  it("adopts an identical file without writing it", () => {
    const plan = planExport({
      dashboards,
      existing: [{ relPath: "team-a/u1.json", content, uid: "u1" }],
      manifest: new Map(),
      force: false,
    });
    expect(plan.writes).toEqual([]);
    expect(plan.unchanged).toEqual(["team-a/u1.json"]);
    expect(plan.manifest.get("team-a/u1.json")).toBe(sha256(content));
  });
});

// ---------------------------------------------------------------------------------------------
// Export against the fake Grafana
// ---------------------------------------------------------------------------------------------

describe("exportDashboards against an HTTP server speaking Grafana's API", () => {
  let grafana: FakeGrafana;
  let outDir: string;
  let tmpRoot: string;

  const options = (extra: Partial<ExportOptions> = {}): ExportOptions => ({
    connection: { url: grafana.url, user: USER, password: PASSWORD },
    outDir,
    ...extra,
  });

  /** Every file below outDir with its content and mtime. */
  function snapshot(): Map<string, { content: string; mtimeMs: number }> {
    const files = new Map<string, { content: string; mtimeMs: number }>();
    const walk = (rel: string): void => {
      for (const entry of fs.readdirSync(path.join(outDir, rel), { withFileTypes: true })) {
        const child = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) walk(child);
        else {
          const abs = path.join(outDir, child);
          files.set(child, { content: fs.readFileSync(abs, "utf8"), mtimeMs: fs.statSync(abs).mtimeMs });
        }
      }
    };
    walk("");
    return files;
  }

  beforeEach(async () => {
    tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-export-"));
    outDir = path.join(tmpRoot, "team");
    grafana = new FakeGrafana();
    grafana.addFolder("fA1b2", "Load Tests");
    grafana.addFolder("fC3d4", "SRE on-call");
    grafana.save("team-http", uiDashboard("HTTP overview"), "fA1b2");
    grafana.save("team-slo", uiDashboard("SLOs"), "fC3d4");
    grafana.save("home-ops", uiDashboard("Ops home")); // root folder ("General")
    grafana.save("k6obs-k6-stats", uiDashboard("k6 (generated)"), "fA1b2");
    await grafana.start();
  });

  afterEach(async () => {
    await grafana.stop();
    fs.rmSync(tmpRoot, { recursive: true, force: true });
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
    // Only the documented endpoints were used.
    expect(grafana.requests.every((r) => /^GET \/api\/(search|folders|dashboards\/uid\/)/.test(r))).toBe(
      true,
    );
    expect(grafana.requests).toContain("GET /api/search?type=dash-db&limit=5000&page=1");
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

  it("runs as `npm run dashboards:export` would: flags, summary, exit codes", async () => {
    const tsx = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          tsx,
          ["scripts/dashboards-export.ts", ...args],
          {
            cwd: REPO_ROOT,
            env: { ...process.env, GRAFANA_URL: "", GRAFANA_USER: "", GRAFANA_PASSWORD: "", ...env },
          },
          (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
        );
      });

    const ok = await run(["--url", grafana.url, "--user", USER, "--out", outDir], {
      GRAFANA_PASSWORD: PASSWORD,
    });
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/created {3}.*load-tests\/team-http\.json/);
    expect(ok.stdout).toMatch(/3 file\(s\) changed; 0 unchanged; 1 generated dashboard\(s\) skipped/);

    const again = await run(["--url", grafana.url, "--user", USER, "--password", PASSWORD, "--out", outDir]);
    expect(again.stdout).toMatch(/^No changes; 3 unchanged/m);

    const denied = await run(["--url", grafana.url, "--user", USER, "--password", "nope", "--out", outDir]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(
      /^dashboards:export: Grafana at .* rejected the credentials of user "admin"/,
    );

    const usage = await run(["--bogus"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/Usage: npm run dashboards:export/);
  }, 60_000);
});

describe("resolveConnection", () => {
  const outputs = {
    grafanaUrl: "http://127.0.0.1:3000",
    grafanaAdminUser: "admin",
    grafanaAdminPassword: "from-stack",
  };

  it("prefers flags, then environment, then stack outputs", () => {
    expect(resolveConnection({ user: "flag-user" }, { GRAFANA_PASSWORD: "env-pw" }, () => outputs)).toEqual({
      url: "http://127.0.0.1:3000",
      user: "flag-user",
      password: "env-pw",
    });
  });

  it("does not ask the stack when everything is given", () => {
    const readOutputs = jest.fn(() => outputs);
    resolveConnection({ url: "http://h:1", user: "u", password: "p" }, {}, readOutputs);
    resolveConnection(
      {},
      { GRAFANA_URL: "http://h:1", GRAFANA_USER: "u", GRAFANA_PASSWORD: "p" },
      readOutputs,
    );
    expect(readOutputs).not.toHaveBeenCalled();
  });

  it("says which settings to pass when the stack outputs cannot be read", () => {
    expect(() =>
      resolveConnection({ url: "http://h:1" }, {}, () => {
        throw new Error(
          "Could not read the stack outputs with `bash scripts/pulumi.sh stack output --json --show-secrets`.",
        );
      }),
    ).toThrow(
      /Could not read the stack outputs[\s\S]*Pass --user, --password \(or GRAFANA_URL, GRAFANA_USER, GRAFANA_PASSWORD\)/,
    );
  });
});
