/** How dashboards are read from Grafana 12+ (resource API) and older (classic endpoint). */
import { isObject } from "../lib/json";
import { GrafanaClient } from "./client";
import { GrafanaApiError } from "./grafana-errors";

/*
 * How dashboards are read, and why a dashboard stored in the v2 schema is refused.
 *
 * Since Grafana 12 a dashboard is a resource of the Kubernetes-style API group
 * dashboard.grafana.app, stored in the version it was saved in: v0alpha1/v1beta1/v1 hold the
 * classic JSON model, v2alpha1/v2beta1/v2 the v2 schema (elements + layout: tabs, rows, auto grid,
 * conditional rendering). Grafana 13 turns dynamic dashboards on by default, so dashboards saved
 * in its editor can be stored as v2. Reading one through another version converts it, and
 * `status.conversion` says so: `storedVersion` (always set when a conversion happened, even when
 * it succeeded) and `failed`/`error`. The classic endpoint GET /api/dashboards/uid/:uid gives no
 * such signal: for a v2 dashboard it answers HTTP 406 ("dashboard api version not supported, use
 * /apis/dashboard.grafana.app/<version>/namespaces/<ns>/dashboards/<uid> instead"), or, where it
 * converts, returns classic JSON without the v2-only layout. That is why this client reads each
 * dashboard through the resource API (classic version v1, else v1beta1; namespace `default` for
 * org 1, `org-<id>` otherwise) and looks at `status.conversion.storedVersion`:
 *
 * - stored as v0/v1 (or no conversion happened): `spec` is the classic model, exported as before.
 *   A failed conversion of a v0 dashboard still carries the stored model; a failed one from another
 *   v1 version is read again at the stored version.
 * - stored as v2: refused, named with its title, stored version and layout (read natively at the
 *   stored version), and the rest of the export goes on. Writing it either way would hurt: the
 *   down-converted classic JSON drops the v2 layout, and the team provider (allowUiUpdates) would
 *   load that poorer copy over the dashboard in Grafana as soon as the file changes; and the v2
 *   resource itself does not load through Grafana 13.0's file provisioning. Grafana merged v2
 *   support for file provisioning in Kubernetes-resource form (grafana/grafana#113620), but on
 *   13.0.x users report v2 files failing with "dashboard appears to be in v2 format" and "no kind
 *   "Dashboard" is registered for version dashboard.grafana.app/v2" (grafana/grafana#122663,
 *   #123607, #126641, #127928), with an emptied dashboard in one report. A file the provider
 *   cannot load is not a backup of the dashboard, so none is written.
 *
 * Grafana older than 12 (no dashboard.grafana.app v1beta1/v1 in GET /apis, or /apis answers 404)
 * cannot hold v2 dashboards, and is read through the classic endpoint as before. There an HTTP 406,
 * or a body in the resource or v2 shape, still refuses that one dashboard instead of the export.
 * Anything else from GET /apis (an error, a page that is not an API list) stops the export rather
 * than falling back to the endpoint that may silently down-convert.
 *
 * The same approach: grafana/mcp-grafana#937 (read v1beta1, re-read at a v2 storedVersion) and
 * Grafana's own export job (pkg/registry/apis/provisioning/jobs/export, "conversion shim").
 */

/** The API group of dashboards in Grafana 12 and later. */
export const DASHBOARD_API_GROUP = "dashboard.grafana.app";

/** Versions of DASHBOARD_API_GROUP whose `spec` is the classic model, preferred first. */
const CLASSIC_READ_VERSIONS = ["v1", "v1beta1"];

/** How this Grafana serves dashboards. */
export type DashboardApi =
  | { readonly kind: "resource"; readonly version: string; readonly namespace: string }
  | { readonly kind: "legacy" };

/** A dashboard in the classic JSON model, ready to be normalised. */
export interface ClassicDashboard {
  readonly schema: "classic";
  readonly uid: string;
  readonly dashboard: Record<string, unknown>;
  readonly folderUid?: string;
  readonly folderTitle?: string;
  /** The version it was stored in (e.g. v1beta1, v0alpha1); undefined through the classic endpoint. */
  readonly storedVersion?: string;
}

/** A dashboard stored in the v2 schema, which this export does not write (see above). */
export interface V2Dashboard {
  readonly schema: "v2";
  readonly uid: string;
  readonly title?: string;
  /** e.g. v2beta1, when Grafana said which. */
  readonly storedVersion?: string;
  /** The top-level layout kind, e.g. TabsLayout, when the native resource was read. */
  readonly layout?: string;
  readonly folderUid?: string;
  /** How it was recognised, for the message. */
  readonly evidence: string;
}

export type FetchedDashboard = ClassicDashboard | V2Dashboard;

/** The Kubernetes namespace of a Grafana organization on-prem (Grafana's OrgNamespaceFormatter). */
export function orgNamespace(orgId: number): string {
  return orgId === 1 ? "default" : `org-${orgId}`;
}

/** Whether an API version of DASHBOARD_API_GROUP is the v2 schema or later (v2alpha1, v2beta1, v2, v3...). */
export function isV2Version(version: string): boolean {
  const major = /^v(\d+)/.exec(version)?.[1];
  return major !== undefined && Number(major) >= 2;
}

/** Whether a dashboard body has the shape of the v2 schema rather than the classic model. */
function looksLikeV2Spec(body: Record<string, unknown>): boolean {
  return isObject(body.elements) || (isObject(body.layout) && typeof body.layout.kind === "string");
}

function nestedString(value: unknown, ...keys: string[]): string | undefined {
  let current: unknown = value;
  for (const key of keys) {
    if (!isObject(current)) {
      return undefined;
    }
    current = current[key];
  }
  return typeof current === "string" && current !== "" ? current : undefined;
}

/**
 * Reads dashboards through whichever API this Grafana serves them with (see the note above).
 */
export class DashboardReader {
  private api?: Promise<DashboardApi>;

  /** @param client The connection to Grafana. */
  constructor(private readonly client: GrafanaClient) {}

  /**
   * Which API serves dashboards, found once per client: the dashboard resource API when GET /apis
   * lists a classic version (v1, v1beta1) of dashboard.grafana.app, the classic endpoint when /apis
   * answers 404 or lacks those versions. Any other answer is an error (see the note above).
   */
  dashboardApi(): Promise<DashboardApi> {
    this.api ??= this.detectDashboardApi();
    return this.api;
  }

  private async detectDashboardApi(): Promise<DashboardApi> {
    const { status, body } = await this.client.request("apis");
    if (status === 404) {
      return { kind: "legacy" };
    }
    const list = this.client.parseOrThrow(status, body, "apis", "the API list");
    if (!isObject(list) || !Array.isArray(list.groups)) {
      throw this.client.invalid("GET /apis", "an APIGroupList");
    }
    const group = list.groups.find((g) => isObject(g) && g.name === DASHBOARD_API_GROUP);
    const served =
      isObject(group) && Array.isArray(group.versions)
        ? group.versions.map((v) => (isObject(v) && typeof v.version === "string" ? v.version : ""))
        : [];
    const version = CLASSIC_READ_VERSIONS.find((v) => served.includes(v));
    if (version === undefined) {
      return { kind: "legacy" };
    }
    const org = await this.client.getJson("api/org", "the current organization");
    if (!isObject(org) || typeof org.id !== "number") {
      throw this.client.invalid("GET /api/org", "an organization with an id");
    }
    return { kind: "resource", version, namespace: orgNamespace(org.id) };
  }

  /**
   * One dashboard: its classic model, or a V2Dashboard if it is stored in the v2 schema. A missing
   * uid is a `not-found` error naming it.
   */
  async getDashboard(uid: string): Promise<FetchedDashboard> {
    const api = await this.dashboardApi();
    return api.kind === "resource" ? this.getDashboardResource(uid, api) : this.getDashboardLegacy(uid);
  }

  private resourcePath(api: { version: string; namespace: string }, version: string, uid: string): string {
    return (
      `apis/${DASHBOARD_API_GROUP}/${encodeURIComponent(version)}/namespaces/` +
      `${encodeURIComponent(api.namespace)}/dashboards/${encodeURIComponent(uid)}`
    );
  }

  private async getResource(
    api: { version: string; namespace: string },
    version: string,
    uid: string,
  ): Promise<Record<string, unknown> & { spec: Record<string, unknown> }> {
    const relative = this.resourcePath(api, version, uid);
    const body = await this.client.getJson(relative, `dashboard ${uid}`, uid);
    if (!isObject(body) || !isObject(body.spec)) {
      throw this.client.invalid(`GET /${relative}`, "a dashboard resource with a spec");
    }
    return body as Record<string, unknown> & { spec: Record<string, unknown> };
  }

  private async getDashboardResource(
    uid: string,
    api: { version: string; namespace: string },
  ): Promise<FetchedDashboard> {
    const resource = await this.getResource(api, api.version, uid);
    const folderUid = nestedString(resource, "metadata", "annotations", "grafana.app/folder");
    const storedVersion = nestedString(resource, "status", "conversion", "storedVersion");
    const failed =
      isObject(resource.status) && isObject(resource.status.conversion)
        ? resource.status.conversion.failed === true
        : false;
    const folder = folderUid !== undefined ? { folderUid } : {};

    if (storedVersion !== undefined && isV2Version(storedVersion)) {
      // Read it as stored, for the title and layout the message names; the down-converted spec
      // may lack them when the conversion failed.
      let native: Record<string, unknown> | undefined;
      try {
        native = (await this.getResource(api, storedVersion, uid)).spec;
      } catch (err) {
        if (!(err instanceof GrafanaApiError) || err.kind === "unauthorized" || err.kind === "unreachable") {
          throw err;
        }
      }
      const title = nestedString(native, "title") ?? nestedString(resource.spec, "title");
      const layout = nestedString(native, "layout", "kind");
      return {
        schema: "v2",
        uid,
        storedVersion,
        ...(title !== undefined ? { title } : {}),
        ...(layout !== undefined ? { layout } : {}),
        ...folder,
        evidence:
          `GET /apis/${DASHBOARD_API_GROUP}/${api.version}/.../dashboards/${uid} reports ` +
          `status.conversion.storedVersion ${storedVersion}${failed ? " (conversion failed)" : ""}`,
      };
    }
    if (looksLikeV2Spec(resource.spec)) {
      const title = nestedString(resource.spec, "title");
      return {
        schema: "v2",
        uid,
        ...(title !== undefined ? { title } : {}),
        ...folder,
        evidence: `the ${api.version} spec has v2 "elements"/"layout"`,
      };
    }

    let spec = resource.spec;
    if (
      failed &&
      storedVersion !== undefined &&
      !storedVersion.startsWith("v0") &&
      storedVersion !== api.version
    ) {
      spec = (await this.getResource(api, storedVersion, uid)).spec;
    }
    return {
      schema: "classic",
      uid,
      dashboard: spec,
      storedVersion: storedVersion ?? api.version,
      ...folder,
    };
  }

  private async getDashboardLegacy(uid: string): Promise<FetchedDashboard> {
    const relative = `api/dashboards/uid/${encodeURIComponent(uid)}`;
    let body: unknown;
    try {
      body = await this.client.getJson(relative, `dashboard ${uid}`, uid);
    } catch (err) {
      if (err instanceof GrafanaApiError && err.kind === "not-acceptable") {
        // Grafana's GetDashboard: "dashboard api version not supported, use /apis/<group>/<version>/..."
        const storedVersion = new RegExp(
          `/apis/${DASHBOARD_API_GROUP.replace(/\./g, "\\.")}/([^/\\s]+)/`,
        ).exec(err.detail ?? "")?.[1];
        return {
          schema: "v2",
          uid,
          ...(storedVersion !== undefined ? { storedVersion } : {}),
          evidence: `GET /${relative} answered HTTP 406${err.detail ? ` ("${err.detail}")` : ""}`,
        };
      }
      throw err;
    }
    if (!isObject(body) || !isObject(body.dashboard)) {
      throw this.client.invalid(`GET /${relative}`, "an object with a dashboard");
    }
    const meta = isObject(body.meta) ? body.meta : {};
    const folderUid =
      typeof meta.folderUid === "string" && meta.folderUid !== "" ? meta.folderUid : undefined;
    // A resource-shaped body ({apiVersion, kind, metadata, spec}) carries the model in `spec`.
    const wrapper =
      typeof body.dashboard.apiVersion === "string" && body.dashboard.kind !== undefined
        ? { apiVersion: body.dashboard.apiVersion, kind: String(body.dashboard.kind) }
        : undefined;
    const dashboard = wrapper && isObject(body.dashboard.spec) ? body.dashboard.spec : body.dashboard;
    const wrappedVersion = wrapper?.apiVersion.split("/").pop();
    if ((wrappedVersion !== undefined && isV2Version(wrappedVersion)) || looksLikeV2Spec(dashboard)) {
      const title = nestedString(dashboard, "title");
      return {
        schema: "v2",
        uid,
        ...(title !== undefined ? { title } : {}),
        ...(wrappedVersion !== undefined ? { storedVersion: wrappedVersion } : {}),
        ...(folderUid !== undefined ? { folderUid } : {}),
        evidence: wrapper
          ? `GET /${relative} returned a ${wrapper.kind} resource (${wrapper.apiVersion})`
          : `GET /${relative} returned a body with v2 "elements"/"layout"`,
      };
    }
    return {
      schema: "classic",
      uid,
      dashboard,
      ...(wrappedVersion !== undefined ? { storedVersion: wrappedVersion } : {}),
      ...(folderUid !== undefined ? { folderUid } : {}),
      ...(typeof meta.folderTitle === "string" ? { folderTitle: meta.folderTitle } : {}),
    };
  }
}
