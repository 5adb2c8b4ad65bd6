/**
 * Dashboard export against a real HTTP server on 127.0.0.1 that answers like Grafana's documented
 * API (GET /api/search, /api/dashboards/uid/:uid, /api/folders, /api/org, basic auth) and, like
 * Grafana 12+, the dashboard resource API (GET /apis, /apis/dashboard.grafana.app/<version>/
 * namespaces/default/dashboards/<uid> with status.conversion), including dashboards stored in the
 * v2 schema and the error responses, plus the pure normalisation and path functions.
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
  isV2Version,
  MANIFEST_FILE,
  dashboardRelPath,
  exportDashboards,
  folderSlug,
  formatManifest,
  normalizeDashboard,
  orgNamespace,
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
  parentUid?: string;
}

interface FakeDashboard {
  folderUid?: string;
  provisioned?: boolean;
  /** The classic model; for a v2 dashboard, what Grafana's conversion to v1 gives (no v2 layout). */
  model: Record<string, unknown>;
  /** The dashboard.grafana.app version it is stored in. */
  stored: string;
  /** The native spec of a dashboard stored as v2. */
  v2spec?: Record<string, unknown>;
  /** Whether Grafana's conversion to another version fails (status.conversion.failed). */
  conversionFails?: boolean;
}

/** Grafana 11+ error body shape. */
function errorBody(status: number, message: string, messageId: string): string {
  return JSON.stringify({ message, messageId, statusCode: status, traceID: "" });
}

/** The Status object the Kubernetes-style API answers errors with. */
function statusBody(code: number, reason: string, message: string, name?: string): string {
  return JSON.stringify({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    ...(name ? { details: { name, group: "dashboard.grafana.app", kind: "dashboards" } } : {}),
    code,
  });
}

const CLASSIC_VERSIONS = ["v0alpha1", "v1beta1"];
const SERVED_VERSIONS = ["v0alpha1", "v1beta1", "v2alpha1", "v2beta1"];

class FakeGrafana {
  readonly folders: FakeFolder[] = [];
  readonly dashboards = new Map<string, FakeDashboard>();
  readonly requests: string[] = [];
  /**
   * "resource": Grafana 12/13, GET /apis lists dashboard.grafana.app; "absent": Grafana before 12,
   * /apis answers 404; "broken": /apis answers 500.
   */
  apis: "resource" | "absent" | "broken" = "resource";
  /**
   * What GET /api/dashboards/uid/:uid does with a dashboard stored as v2: HTTP 406 (Grafana's
   * GetDashboard), or a classic JSON without the v2 layout (the lossy down-conversion).
   */
  legacyV2: "406" | "down-convert" = "406";
  /** Dashboard bodies GET /api/dashboards/uid/:uid returns instead of the stored model. */
  readonly legacyOverride = new Map<string, Record<string, unknown>>();
  private server?: http.Server;
  private nextId = 1;

  addFolder(uid: string, title: string, parentUid?: string): void {
    this.folders.push({ id: this.nextId++, uid, title, ...(parentUid ? { parentUid } : {}) });
  }

  /** Creates or "saves in the UI" a classic dashboard: bumps version like Grafana does. */
  save(
    uid: string,
    model: Record<string, unknown>,
    folderUid?: string,
    stored: Partial<Pick<FakeDashboard, "stored" | "conversionFails">> = {},
  ): void {
    const previous = this.dashboards.get(uid);
    const id = typeof previous?.model.id === "number" ? previous.model.id : this.nextId++;
    const version = typeof previous?.model.version === "number" ? previous.model.version + 1 : 1;
    this.dashboards.set(uid, {
      ...(folderUid !== undefined ? { folderUid } : {}),
      model: { ...model, id, uid, version },
      stored: stored.stored ?? "v1beta1",
      ...(stored.conversionFails ? { conversionFails: true } : {}),
    });
  }

  /** Saves a dashboard as Grafana 13's editor does with tabs: stored as v2beta1. */
  saveV2(uid: string, title: string, folderUid?: string, options: { conversionFails?: boolean } = {}): void {
    this.save(uid, uiDashboard(title), folderUid, {
      stored: "v2beta1",
      ...(options.conversionFails ? { conversionFails: true } : {}),
    });
    const saved = this.dashboards.get(uid);
    if (saved) {
      saved.v2spec = v2Spec(title);
    }
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
      // Without parentUid, Grafana lists the folders at the root.
      const root = this.folders.filter((f) => f.parentUid === undefined);
      send(200, JSON.stringify(page(root.map(({ id, uid, title }) => ({ id, uid, title })))));
      return;
    }

    const folderByUid = /^\/api\/folders\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && folderByUid?.[1]) {
      const folder = this.folder(decodeURIComponent(folderByUid[1]));
      if (!folder) {
        send(404, errorBody(404, "folder not found", "folder.notFound"));
        return;
      }
      send(200, JSON.stringify({ ...folder, url: `/dashboards/f/${folder.uid}/`, canSave: true }));
      return;
    }

    if (req.method === "GET" && url.pathname === "/api/org") {
      send(200, JSON.stringify({ id: 1, name: "Main Org.", address: {} }));
      return;
    }

    if (req.method === "GET" && url.pathname === "/apis") {
      if (this.apis === "absent") {
        send(404, JSON.stringify({ message: "Not found" }));
      } else if (this.apis === "broken") {
        send(500, errorBody(500, "Internal Server Error", "api.internal"));
      } else {
        send(200, JSON.stringify(apiGroupList()));
      }
      return;
    }

    const resource =
      /^\/apis\/dashboard\.grafana\.app\/([^/]+)\/namespaces\/([^/]+)\/dashboards\/([^/]+)$/.exec(
        url.pathname,
      );
    if (req.method === "GET" && resource?.[1] && resource[2] && resource[3] && this.apis === "resource") {
      this.serveResource(resource[1], decodeURIComponent(resource[2]), decodeURIComponent(resource[3]), send);
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
      if (d.stored.startsWith("v2") && this.legacyV2 === "406" && !this.legacyOverride.has(uid)) {
        // pkg/api/dashboard.go GetDashboard: "v2 is not supported in /api"
        const apiPath = `/apis/dashboard.grafana.app/${d.stored}/namespaces/default/dashboards/${uid}`;
        send(406, JSON.stringify({ message: `dashboard api version not supported, use ${apiPath} instead` }));
        return;
      }
      const folder = this.folder(d.folderUid);
      send(
        200,
        JSON.stringify({
          dashboard: this.legacyOverride.get(uid) ?? d.model,
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

  /** GET /apis/dashboard.grafana.app/<version>/namespaces/<ns>/dashboards/<uid>. */
  private serveResource(
    version: string,
    namespace: string,
    uid: string,
    send: (status: number, body: string) => void,
  ): void {
    const d = this.dashboards.get(uid);
    if (!d || namespace !== "default" || !SERVED_VERSIONS.includes(version)) {
      send(404, statusBody(404, "NotFound", `dashboards.dashboard.grafana.app "${uid}" not found`, uid));
      return;
    }
    // The resource API keeps id, uid and version in metadata, not in the spec.
    const classicSpec: Record<string, unknown> = { ...d.model };
    const { id, version: generation } = d.model;
    for (const key of ["id", "uid", "version"]) {
      delete classicSpec[key];
    }
    const folder = this.folder(d.folderUid);
    const object = (spec: Record<string, unknown>, status: Record<string, unknown>): string =>
      JSON.stringify({
        kind: "Dashboard",
        apiVersion: `dashboard.grafana.app/${version}`,
        metadata: {
          name: uid,
          namespace,
          uid: `8f0c1c64-5a4e-4c55-9d1e-${String(id).padStart(12, "0")}`,
          resourceVersion: String(1762000000000000 + Number(generation)),
          generation,
          creationTimestamp: "2026-11-01T10:00:00Z",
          labels: { "grafana.app/deprecatedInternalID": String(id) },
          annotations: {
            "grafana.app/createdBy": "user:admin",
            "grafana.app/updatedBy": "user:admin",
            "grafana.app/updatedTimestamp": "2026-11-02T10:00:00Z",
            ...(folder ? { "grafana.app/folder": folder.uid } : {}),
          },
        },
        spec,
        status,
      });
    const conversion = {
      conversion: {
        failed: d.conversionFails ?? false,
        storedVersion: d.stored,
        error: d.conversionFails ? `conversion from ${d.stored} to ${version} failed` : "",
      },
    };
    if (version === d.stored) {
      send(200, object(d.v2spec ?? classicSpec, {}));
    } else if (d.stored.startsWith("v2") && CLASSIC_VERSIONS.includes(version)) {
      // Down-converted: the classic model without the v2 layout, or an empty spec if that failed.
      send(200, object(d.conversionFails ? {} : classicSpec, conversion));
    } else if (CLASSIC_VERSIONS.includes(d.stored) && CLASSIC_VERSIONS.includes(version)) {
      // A v0 dashboard whose conversion failed still carries the stored model.
      send(200, object(classicSpec, conversion));
    } else {
      send(500, statusBody(500, "InternalError", `the fake does not convert ${d.stored} to ${version}`));
    }
  }
}

/** GET /apis on Grafana 12/13: the API groups (abridged to two). */
function apiGroupList(): Record<string, unknown> {
  const group = (name: string, versions: string[], preferred: string): Record<string, unknown> => ({
    name,
    versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
    preferredVersion: { groupVersion: `${name}/${preferred}`, version: preferred },
  });
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: [
      group("dashboard.grafana.app", SERVED_VERSIONS, "v1beta1"),
      group("folder.grafana.app", ["v1beta1"], "v1beta1"),
    ],
  };
}

/** The native spec of a dashboard built in Grafana 13's editor with tabs and an auto grid (v2beta1). */
function v2Spec(title: string): Record<string, unknown> {
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

describe("dashboard API versions and namespaces", () => {
  it("tells the v2 schema from the classic versions", () => {
    expect(["v2alpha1", "v2beta1", "v2", "v3alpha1", "v10"].every(isV2Version)).toBe(true);
    expect(["v0alpha1", "v1beta1", "v1", "", "latest"].some(isV2Version)).toBe(false);
  });

  it("maps organizations to namespaces as on-prem Grafana does", () => {
    expect(orgNamespace(1)).toBe("default");
    expect(orgNamespace(12)).toBe("org-12");
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

    grafana.saveV2("team-tabs", "Checkout (tabs)", "fA1b2");
    const refused = await run([
      "--url",
      grafana.url,
      "--user",
      USER,
      "--password",
      PASSWORD,
      "--out",
      outDir,
    ]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(
      /^refused {3}team-tabs: Dashboard "Checkout \(tabs\)" \(uid team-tabs\) is stored/m,
    );
    expect(refused.stdout).toMatch(
      /^No changes; 3 unchanged; .*; 1 dashboard\(s\) in the v2 schema not exported \(team-tabs\)/m,
    );
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
