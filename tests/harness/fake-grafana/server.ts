/**
 * A fake Grafana on 127.0.0.1 that answers like Grafana's documented API (GET /api/search,
 * /api/dashboards/uid/:uid, /api/folders, /api/org, basic auth) and, like Grafana 12+, the
 * dashboard resource API (GET /apis, /apis/dashboard.grafana.app/<version>/namespaces/default/
 * dashboards/<uid> with status.conversion), including dashboards stored in the v2 schema and the
 * error responses.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { uiDashboard, v2Spec } from "./fixtures";

/** The only credentials the fake accepts. */
export const USER = "admin";
export const PASSWORD = "s3cret-pw";

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

/** The fake server; `start()` listens on a free port, `stop()` closes it and every connection. */
export class FakeGrafana {
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
    // fetch keeps connections alive; close them too, so that nothing lingers after a test.
    const closed = new Promise<void>((resolve) => this.server?.close(() => resolve()));
    this.server?.closeAllConnections();
    await closed;
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
