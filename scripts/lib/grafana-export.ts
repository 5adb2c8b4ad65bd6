/**
 * Exports dashboards from a running Grafana into the repository as stable, reviewable JSON
 * (`provisioning/grafana/dashboards/team/<folder-slug>/<uid>.json`), read back by the `team`
 * dashboard provider (foldersFromFilesStructure: true).
 *
 * Pure parts (normalisation, paths, the export plan) are separate from I/O (the HTTP client and
 * applying a plan to disk) so each can be tested on its own. The HTTP client lists with Grafana's
 * documented API (GET /api/search?type=dash-db, GET /api/folders) and reads each dashboard through
 * the dashboard resource API of Grafana 12+ (GET /apis/dashboard.grafana.app/<version>/namespaces/
 * <ns>/dashboards/<uid>), or GET /api/dashboards/uid/:uid on older Grafana. Dashboards stored in
 * the v2 schema are refused rather than written degraded: see "How dashboards are read" below.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as path from "path";

// ---------------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------------

/** The provisioned datasource (provisioning/grafana/provisioning/datasources/prometheus.yaml). */
export const PROMETHEUS_DATASOURCE: Readonly<{ type: string; uid: string }> = Object.freeze({
  type: "prometheus",
  uid: "prometheus",
});

/** Dashboards generated from the TypeScript builders; exported only with --include-generated. */
export const GENERATED_UID_PREFIX = "k6obs-";

/**
 * Top-level fields that change without anyone editing the dashboard: the database id, the save
 * counter, the import marker, and the sections "Export for sharing externally" adds (`__inputs`
 * is read first, to resolve `${DS_...}` references).
 */
const VOLATILE_TOP_LEVEL = ["id", "version", "iteration", "__inputs", "__requires", "__elements"];

/** Set on every panel by the Grafana version that last saved it: noise on every Grafana upgrade. */
const VOLATILE_ANY_LEVEL = ["pluginVersion"];

/** Grafana's built-in pseudo datasources, referenced by uid or (before Grafana 8.3) by name. */
const BUILTIN_DATASOURCES = new Set([
  "grafana",
  "-- Grafana --",
  "-- Mixed --",
  "-- Dashboard --",
  "__expr__",
]);

const DS_INPUT = /^\$\{(DS_[A-Za-z0-9_]+)\}$/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `${DS_X}` input names of an exported-for-sharing dashboard, mapped to their plugin id. */
function datasourceInputs(dashboard: Record<string, unknown>): Map<string, string | undefined> {
  const inputs = new Map<string, string | undefined>();
  if (Array.isArray(dashboard.__inputs)) {
    for (const input of dashboard.__inputs) {
      if (isObject(input) && typeof input.name === "string" && input.type === "datasource") {
        inputs.set(input.name, typeof input.pluginId === "string" ? input.pluginId : undefined);
      }
    }
  }
  return inputs;
}

/**
 * One datasource reference, normalised to the provisioned Prometheus where it means Prometheus:
 * - `{type: "prometheus", uid: <anything>}` (a uid from another Grafana, or a renamed datasource);
 * - `${DS_...}` inputs from "Export for sharing externally", as a string or as the uid, unless
 *   `__inputs` or the reference's type names another plugin;
 * - legacy string references by datasource name (Grafana < 8.3): only Prometheus is provisioned
 *   in this stack, so a name means it.
 * Built-in datasources (-- Grafana --, -- Mixed --, -- Dashboard --, expressions), references to a
 * dashboard variable (`$ds`, `${ds}`), `null` (the default datasource) and other plugin types are
 * left as they are.
 */
export function normalizeDatasourceRef(
  ref: unknown,
  inputs: ReadonlyMap<string, string | undefined> = new Map(),
): unknown {
  const viaInput = (value: string, type: unknown): unknown | undefined => {
    const input = DS_INPUT.exec(value);
    if (!input?.[1]) {
      return undefined;
    }
    const pluginId = inputs.get(input[1]) ?? (typeof type === "string" ? type : undefined);
    if (pluginId === undefined || pluginId === "prometheus") {
      return { ...PROMETHEUS_DATASOURCE };
    }
    // Another plugin: keep the input, but as an object carrying its type, so that normalising again
    // (when __inputs is gone) leaves it alone.
    return { type: pluginId, uid: value };
  };
  if (typeof ref === "string") {
    if (BUILTIN_DATASOURCES.has(ref)) {
      return ref;
    }
    const resolved = viaInput(ref, undefined);
    if (resolved !== undefined) {
      return resolved;
    }
    return ref.startsWith("$") ? ref : { ...PROMETHEUS_DATASOURCE };
  }
  if (isObject(ref)) {
    const uid = ref.uid;
    if (typeof uid === "string") {
      if (BUILTIN_DATASOURCES.has(uid)) {
        return ref;
      }
      const resolved = viaInput(uid, ref.type);
      if (resolved !== undefined) {
        return resolved;
      }
      if (uid.startsWith("$")) {
        return ref;
      }
    }
    if (ref.type === "prometheus" || (ref.type === undefined && uid === PROMETHEUS_DATASOURCE.uid)) {
      return { ...PROMETHEUS_DATASOURCE };
    }
  }
  return ref;
}

/** Deep copy with object keys in code-point order, volatile fields dropped, datasources normalised. */
function normalizeValue(value: unknown, inputs: ReadonlyMap<string, string | undefined>): Json {
  if (Array.isArray(value)) {
    return value.map((item) => normalizeValue(item, inputs));
  }
  if (isObject(value)) {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value).sort()) {
      if (VOLATILE_ANY_LEVEL.includes(key) || value[key] === undefined) {
        continue;
      }
      const child = key === "datasource" ? normalizeDatasourceRef(value[key], inputs) : value[key];
      out[key] = normalizeValue(child, inputs);
    }
    return out;
  }
  if (
    value === null ||
    typeof value === "boolean" ||
    typeof value === "number" ||
    typeof value === "string"
  ) {
    return value;
  }
  throw new Error(`dashboard JSON holds a ${typeof value}, which JSON cannot represent`);
}

/**
 * A dashboard model as stored in git: volatile fields removed, every datasource reference pointing
 * at the provisioned Prometheus, keys sorted at every level (array order is meaningful and kept).
 * Idempotent: normalising a normalised dashboard changes nothing.
 */
export function normalizeDashboard(dashboard: unknown): Record<string, Json> {
  if (!isObject(dashboard)) {
    throw new Error("a dashboard must be a JSON object");
  }
  const inputs = datasourceInputs(dashboard);
  const trimmed: Record<string, unknown> = { ...dashboard };
  for (const key of VOLATILE_TOP_LEVEL) {
    delete trimmed[key];
  }
  return normalizeValue(trimmed, inputs) as Record<string, Json>;
}

/** File content of a normalised dashboard: 2-space JSON with a trailing newline. */
export function serializeDashboard(dashboard: unknown): string {
  return `${JSON.stringify(normalizeDashboard(dashboard), null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------

/** Grafana uids are at most 40 characters of letters, digits, `-` and `_`; `.` is tolerated. */
const SAFE_UID = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,39}$/;

/** Whether a dashboard uid belongs to the dashboards generated from the TypeScript builders. */
export function isGeneratedUid(uid: string): boolean {
  return uid.startsWith(GENERATED_UID_PREFIX);
}

/** Lower-case ASCII slug of a folder title: "Load Tests (EU)" becomes "load-tests-eu". */
export function folderSlug(title: string): string {
  return title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** The folder a dashboard lives in; undefined or an empty uid is the root ("General"). */
export interface FolderRef {
  readonly uid?: string;
  readonly title?: string;
}

/**
 * Where a dashboard goes, relative to the team directory: `<folder-slug>/<uid>.json`, or
 * `<uid>.json` for the root folder (files at the top of the provider path land in General). With
 * foldersFromFilesStructure the directory name becomes the folder's title when Grafana provisions
 * the file, so after one round trip a folder is titled by its slug and later exports are stable.
 */
export function dashboardRelPath(uid: string, folder?: FolderRef): string {
  if (!SAFE_UID.test(uid)) {
    throw new Error(`dashboard uid "${uid}" cannot be a file name (expected up to 40 of A-Z a-z 0-9 . _ -)`);
  }
  if (!folder?.uid) {
    return `${uid}.json`;
  }
  const slug = folderSlug(folder.title ?? "") || `folder-${folderSlug(folder.uid) || "unnamed"}`;
  return `${slug}/${uid}.json`;
}

// ---------------------------------------------------------------------------------------------
// Local-edit detection and the export plan
// ---------------------------------------------------------------------------------------------

/**
 * How "edited locally" is detected: a sidecar manifest in the team directory records the sha256 of
 * every file the exporter wrote. A file whose content no longer matches its recorded hash (or that
 * the exporter never wrote) was changed by someone else, and is only overwritten with --force.
 *
 * Chosen over comparing with git HEAD because HEAD answers a different question: a hand edit that
 * was committed matches HEAD and would be silently overwritten by the next export, and a fresh
 * export that was not committed yet would count as a local edit. The manifest also works outside a
 * git checkout and without git on PATH, and it is itself committed, so reviewers see it change
 * with the dashboards.
 *
 * The format is `sha256sum` output (`<hex>  <path>`), so `sha256sum -c .export-manifest.sha256`
 * run in the team directory lists the edited files. The extension is not `.json` on purpose:
 * Grafana's file provider loads every `*.json` below its path as a dashboard.
 */
export const MANIFEST_FILE = ".export-manifest.sha256";

export function sha256(content: string): string {
  return crypto.createHash("sha256").update(content, "utf8").digest("hex");
}

/** Parses a manifest into relative path -> sha256; blank lines are ignored. */
export function parseManifest(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "") {
      continue;
    }
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!match?.[1] || !match[2]) {
      throw new Error(`${MANIFEST_FILE} line ${index + 1} is not "<sha256>  <path>": ${line}`);
    }
    entries.set(match[2], match[1]);
  }
  return entries;
}

/** Manifest text, sorted by path, with a trailing newline (empty string for no entries). */
export function formatManifest(entries: ReadonlyMap<string, string>): string {
  return [...entries.keys()]
    .sort()
    .map((rel) => `${entries.get(rel)}  ${rel}\n`)
    .join("");
}

/** A dashboard fetched from Grafana, rendered to its file. */
export interface RenderedDashboard {
  readonly uid: string;
  readonly title: string;
  readonly relPath: string;
  readonly content: string;
}

/** A dashboard file already in the team directory. */
export interface ExistingFile {
  readonly relPath: string;
  readonly content: string;
  /** The file's `uid`, if it parses as a dashboard. */
  readonly uid?: string;
}

export interface PlanInput {
  readonly dashboards: readonly RenderedDashboard[];
  readonly existing: readonly ExistingFile[];
  readonly manifest: ReadonlyMap<string, string>;
  /** Overwrite and remove files edited locally. */
  readonly force: boolean;
  /** Uids of every dashboard in Grafana, to name files whose dashboard is gone (full export only). */
  readonly grafanaUids?: ReadonlySet<string>;
}

export interface PlannedWrite {
  readonly relPath: string;
  readonly content: string;
  readonly action: "create" | "update";
}

export interface ExportPlan {
  readonly writes: readonly PlannedWrite[];
  /** Old copies of dashboards that moved to another folder. */
  readonly removals: readonly string[];
  readonly unchanged: readonly string[];
  /** Files edited locally that the export would overwrite or remove; empty with force. */
  readonly conflicts: readonly { relPath: string; reason: string }[];
  /** Team files whose dashboard no longer exists in Grafana (reported, never deleted). */
  readonly stale: readonly string[];
  /** The manifest after applying the plan. */
  readonly manifest: ReadonlyMap<string, string>;
}

/** Decides what an export writes, removes and refuses, without touching the disk. */
export function planExport(input: PlanInput): ExportPlan {
  const existingByPath = new Map(input.existing.map((file) => [file.relPath, file]));
  const manifest = new Map(
    [...input.manifest].filter(([relPath]) => existingByPath.has(relPath)), // files deleted by hand
  );
  const editedLocally = (file: ExistingFile): boolean =>
    input.manifest.get(file.relPath) !== sha256(file.content);
  const writes: PlannedWrite[] = [];
  const removals: string[] = [];
  const unchanged: string[] = [];
  const conflicts: { relPath: string; reason: string }[] = [];

  for (const dashboard of input.dashboards) {
    const current = existingByPath.get(dashboard.relPath);
    if (current && current.content === dashboard.content) {
      unchanged.push(dashboard.relPath);
      manifest.set(dashboard.relPath, sha256(dashboard.content));
    } else if (current && editedLocally(current) && !input.force) {
      conflicts.push({
        relPath: dashboard.relPath,
        reason: input.manifest.has(current.relPath)
          ? "changed since the last export"
          : "not written by an export (no entry in the manifest)",
      });
    } else {
      writes.push({
        relPath: dashboard.relPath,
        content: dashboard.content,
        action: current ? "update" : "create",
      });
      manifest.set(dashboard.relPath, sha256(dashboard.content));
    }

    for (const other of input.existing) {
      if (other.uid !== dashboard.uid || other.relPath === dashboard.relPath) {
        continue;
      }
      if (editedLocally(other) && !input.force) {
        conflicts.push({
          relPath: other.relPath,
          reason: `dashboard ${dashboard.uid} moved to ${dashboard.relPath}; this old copy has local edits`,
        });
      } else {
        removals.push(other.relPath);
        manifest.delete(other.relPath);
      }
    }
  }

  const exported = new Set(input.dashboards.map((d) => d.uid));
  const stale = input.grafanaUids
    ? input.existing
        .filter(
          (file) => file.uid !== undefined && !exported.has(file.uid) && !input.grafanaUids?.has(file.uid),
        )
        .map((file) => file.relPath)
    : [];

  return { writes, removals, unchanged, conflicts, stale, manifest };
}

/** Dashboard files (`*.json`, hidden entries skipped as Grafana skips them) below dir. */
export function readExistingFiles(dir: string): ExistingFile[] {
  const files: ExistingFile[] = [];
  const walk = (rel: string): void => {
    const abs = path.join(dir, rel);
    if (!fs.existsSync(abs)) {
      return;
    }
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      if (entry.name.startsWith(".")) {
        continue;
      }
      const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        walk(child);
      } else if (entry.isFile() && entry.name.endsWith(".json")) {
        const content = fs.readFileSync(path.join(dir, child), "utf8");
        let uid: string | undefined;
        try {
          const parsed: unknown = JSON.parse(content);
          uid = isObject(parsed) && typeof parsed.uid === "string" ? parsed.uid : undefined;
        } catch {
          uid = undefined;
        }
        files.push({ relPath: child, content, ...(uid !== undefined ? { uid } : {}) });
      }
    }
  };
  walk("");
  return files.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
}

/** Reads the manifest of dir; a missing manifest is empty. */
export function readManifest(dir: string): { text: string; entries: Map<string, string> } {
  const file = path.join(dir, MANIFEST_FILE);
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  return { text, entries: parseManifest(text) };
}

/** Writes a plan's files (each through a temporary file and rename) and the manifest if it changed. */
export function applyPlan(
  dir: string,
  plan: ExportPlan,
  previousManifestText: string,
): { manifestWritten: boolean } {
  for (const write of plan.writes) {
    const target = path.join(dir, write.relPath);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, write.content);
    fs.renameSync(tmp, target);
  }
  for (const relPath of plan.removals) {
    fs.rmSync(path.join(dir, relPath), { force: true });
    const parent = path.dirname(path.join(dir, relPath));
    if (parent !== path.resolve(dir) && fs.existsSync(parent) && fs.readdirSync(parent).length === 0) {
      fs.rmdirSync(parent);
    }
  }
  const manifestText = formatManifest(plan.manifest);
  if (manifestText === previousManifestText) {
    return { manifestWritten: false };
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), manifestText);
  return { manifestWritten: true };
}

// ---------------------------------------------------------------------------------------------
// Grafana HTTP client
// ---------------------------------------------------------------------------------------------

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

/** Why a request to Grafana failed; the message says what to do about it. */
export type GrafanaErrorKind =
  "unauthorized" | "forbidden" | "not-found" | "not-acceptable" | "unreachable" | "http" | "invalid-response";

export class GrafanaApiError extends Error {
  constructor(
    message: string,
    readonly kind: GrafanaErrorKind,
    readonly status?: number,
    /** Grafana's own error message, when it sent one. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = "GrafanaApiError";
  }
}

export interface GrafanaConnection {
  /** Base URL, e.g. http://127.0.0.1:3000 (a sub-path such as /grafana is kept). */
  readonly url: string;
  readonly user: string;
  readonly password: string;
  /** Per-request timeout; default 15 s. */
  readonly timeoutMs?: number;
  /** Page size for search and folders (Grafana's maxima: 5000 and 1000); tests use small pages. */
  readonly pageSize?: number;
}

/** An entry of GET /api/search?type=dash-db (fields this exporter reads). */
export interface SearchHit {
  readonly uid: string;
  readonly title: string;
  readonly type?: string;
  readonly folderUid?: string;
  readonly folderTitle?: string;
}

/** An entry of GET /api/folders, or GET /api/folders/:uid. */
export interface FolderSummary {
  readonly uid: string;
  readonly title: string;
  readonly parentUid?: string;
}

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

/** Network errors that mean "nothing answered at that address". */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNRESET",
  "ETIMEDOUT",
]);

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

export class GrafanaClient {
  private readonly base: URL;
  private api?: Promise<DashboardApi>;

  constructor(private readonly conn: GrafanaConnection) {
    let base: URL;
    try {
      base = new URL(conn.url);
    } catch {
      throw new GrafanaApiError(
        `Grafana URL "${conn.url}" is not a URL (expected e.g. http://127.0.0.1:3000)`,
        "invalid-response",
      );
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new GrafanaApiError(`Grafana URL "${conn.url}" must be http:// or https://`, "invalid-response");
    }
    base.pathname = base.pathname.endsWith("/") ? base.pathname : `${base.pathname}/`;
    base.search = "";
    base.hash = "";
    this.base = base;
  }

  /** The base URL as given, without a trailing slash, for messages. */
  get url(): string {
    return this.base.toString().replace(/\/$/, "");
  }

  /** Every dashboard (not folder), following Grafana's limit/page paging. */
  async searchDashboards(): Promise<SearchHit[]> {
    const limit = this.conn.pageSize ?? 5000;
    const hits: SearchHit[] = [];
    for (let page = 1; ; page++) {
      const batch = await this.getJson(
        `api/search?type=dash-db&limit=${limit}&page=${page}`,
        "the dashboard list",
      );
      if (!Array.isArray(batch)) {
        throw this.invalid("GET /api/search", "an array");
      }
      for (const hit of batch) {
        if (
          isObject(hit) &&
          typeof hit.uid === "string" &&
          (hit.type === undefined || hit.type === "dash-db")
        ) {
          hits.push({
            uid: hit.uid,
            title: typeof hit.title === "string" ? hit.title : hit.uid,
            ...(typeof hit.folderUid === "string" ? { folderUid: hit.folderUid } : {}),
            ...(typeof hit.folderTitle === "string" ? { folderTitle: hit.folderTitle } : {}),
          });
        }
      }
      if (batch.length < limit) {
        return hits;
      }
    }
  }

  /** Folders visible to the user at the root level (nested ones: getFolder). */
  async listFolders(): Promise<FolderSummary[]> {
    const limit = Math.min(this.conn.pageSize ?? 1000, 1000);
    const folders: FolderSummary[] = [];
    for (let page = 1; ; page++) {
      const batch = await this.getJson(`api/folders?limit=${limit}&page=${page}`, "the folder list");
      if (!Array.isArray(batch)) {
        throw this.invalid("GET /api/folders", "an array");
      }
      for (const folder of batch) {
        if (isObject(folder) && typeof folder.uid === "string" && typeof folder.title === "string") {
          folders.push({
            uid: folder.uid,
            title: folder.title,
            ...(typeof folder.parentUid === "string" ? { parentUid: folder.parentUid } : {}),
          });
        }
      }
      if (batch.length < limit) {
        return folders;
      }
    }
  }

  /** One folder by uid (GET /api/folders/:uid); undefined if it is gone or hidden from the user. */
  async getFolder(uid: string): Promise<FolderSummary | undefined> {
    let body: unknown;
    try {
      body = await this.getJson(`api/folders/${encodeURIComponent(uid)}`, `folder ${uid}`);
    } catch (err) {
      if (err instanceof GrafanaApiError && (err.status === 404 || err.status === 403)) {
        return undefined;
      }
      throw err;
    }
    return isObject(body) && typeof body.title === "string" ? { uid, title: body.title } : undefined;
  }

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
    const { status, body } = await this.request(new URL("apis", this.base));
    if (status === 404) {
      return { kind: "legacy" };
    }
    const list = this.parseOrThrow(status, body, "apis", "the API list");
    if (!isObject(list) || !Array.isArray(list.groups)) {
      throw this.invalid("GET /apis", "an APIGroupList");
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
    const org = await this.getJson("api/org", "the current organization");
    if (!isObject(org) || typeof org.id !== "number") {
      throw this.invalid("GET /api/org", "an organization with an id");
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
    const body = await this.getJson(relative, `dashboard ${uid}`, uid);
    if (!isObject(body) || !isObject(body.spec)) {
      throw this.invalid(`GET /${relative}`, "a dashboard resource with a spec");
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
      body = await this.getJson(relative, `dashboard ${uid}`, uid);
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
      throw this.invalid(`GET /${relative}`, "an object with a dashboard");
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

  private invalid(request: string, expected: string): GrafanaApiError {
    return new GrafanaApiError(
      `${request} at ${this.url} did not return ${expected}; is ${this.url} a Grafana server?`,
      "invalid-response",
    );
  }

  private async getJson(relative: string, what: string, dashboardUid?: string): Promise<unknown> {
    const target = new URL(relative, this.base);
    const { status, body } = await this.request(target);
    return this.parseOrThrow(status, body, relative, what, dashboardUid);
  }

  /** The JSON of a 200 answer, else the error that says what went wrong and what to do. */
  private parseOrThrow(
    status: number,
    body: string,
    relative: string,
    what: string,
    dashboardUid?: string,
  ): unknown {
    const pathname = new URL(relative, this.base).pathname;
    if (status === 200) {
      try {
        return JSON.parse(body) as unknown;
      } catch {
        throw this.invalid(`GET ${pathname}`, "JSON");
      }
    }
    const detail = grafanaMessage(body);
    const suffix = detail ? `: ${detail}` : "";
    const withDetail = detail ? [detail] : [];
    if (status === 401) {
      throw new GrafanaApiError(
        `Grafana at ${this.url} rejected the credentials of user "${this.conn.user}" (HTTP 401${suffix}). ` +
          "Pass the right ones with --user/--password or GRAFANA_USER/GRAFANA_PASSWORD; the stack's admin " +
          "password is `npm run pulumi -- stack output grafanaAdminPassword --show-secrets`.",
        "unauthorized",
        status,
        ...withDetail,
      );
    }
    if (status === 403) {
      throw new GrafanaApiError(
        `User "${this.conn.user}" may not read ${what} in Grafana at ${this.url} (HTTP 403${suffix}).`,
        "forbidden",
        status,
        ...withDetail,
      );
    }
    if (status === 404 && dashboardUid !== undefined) {
      throw new GrafanaApiError(
        `Dashboard uid "${dashboardUid}" not found in Grafana at ${this.url} (HTTP 404${suffix}).`,
        "not-found",
        status,
        ...withDetail,
      );
    }
    if (status === 406) {
      throw new GrafanaApiError(
        `GET ${pathname} at ${this.url}: Grafana cannot give ${what} in the form this endpoint serves ` +
          `(HTTP 406 Not Acceptable${suffix}).`,
        "not-acceptable",
        status,
        ...withDetail,
      );
    }
    if (status >= 300 && status < 400) {
      throw new GrafanaApiError(
        `GET ${pathname} at ${this.url} redirected (HTTP ${status}); check that --url is Grafana's root URL.`,
        "http",
        status,
      );
    }
    throw new GrafanaApiError(
      `GET ${pathname} at ${this.url} failed with HTTP ${status}${suffix}.`,
      "http",
      status,
      ...withDetail,
    );
  }

  private request(target: URL): Promise<{ status: number; body: string }> {
    const transport = target.protocol === "https:" ? https : http;
    const auth = Buffer.from(`${this.conn.user}:${this.conn.password}`).toString("base64");
    const timeoutMs = this.conn.timeoutMs ?? 15_000;
    return new Promise((resolve, reject) => {
      const req = transport.request(
        target,
        {
          method: "GET",
          // One connection per request: nothing lingers after the export (or a test) finishes.
          agent: false,
          headers: {
            Accept: "application/json",
            Authorization: `Basic ${auth}`,
            "User-Agent": "k6-observatory-dashboards-export",
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
          );
          res.on("error", reject);
        },
      );
      req.setTimeout(timeoutMs, () => {
        const err = new Error(`no answer within ${timeoutMs} ms`) as NodeJS.ErrnoException;
        err.code = "ETIMEDOUT";
        req.destroy(err);
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        const code = err.code ?? "";
        if (UNREACHABLE_CODES.has(code)) {
          reject(
            new GrafanaApiError(
              `Cannot reach Grafana at ${this.url} (${code}: ${err.message}). Is the stack up (npm run up)? ` +
                "Check the URL with `npm run pulumi -- stack output grafanaUrl`, or pass --url / GRAFANA_URL.",
              "unreachable",
            ),
          );
        } else {
          reject(err);
        }
      });
      req.end();
    });
  }
}

/** Grafana's error bodies are `{"message": "..."}` (plus messageId/statusCode in newer versions). */
function grafanaMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isObject(parsed) && typeof parsed.message === "string") {
      return parsed.message;
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.trim().slice(0, 200);
}

// ---------------------------------------------------------------------------------------------
// Connection settings: flags, then environment, then the stack's outputs
// ---------------------------------------------------------------------------------------------

export interface ConnectionFlags {
  readonly url?: string;
  readonly user?: string;
  readonly password?: string;
}

/** The stack outputs this exporter reads (see index.ts). */
export interface StackOutputs {
  readonly grafanaUrl?: string;
  readonly grafanaAdminUser?: string;
  readonly grafanaAdminPassword?: string;
}

/**
 * Each setting from its flag, else GRAFANA_URL / GRAFANA_USER / GRAFANA_PASSWORD, else the stack
 * output. The stack is only asked (through `readOutputs`, which may be slow or fail) when a
 * setting is still missing; its failure is then reported together with the way around it.
 */
export function resolveConnection(
  flags: ConnectionFlags,
  env: Readonly<Record<string, string | undefined>>,
  readOutputs: () => StackOutputs,
): GrafanaConnection {
  const url = flags.url ?? (env.GRAFANA_URL || undefined);
  const user = flags.user ?? (env.GRAFANA_USER || undefined);
  const password = flags.password ?? (env.GRAFANA_PASSWORD || undefined);
  if (url !== undefined && user !== undefined && password !== undefined) {
    return { url, user, password };
  }
  let outputs: StackOutputs;
  try {
    outputs = readOutputs();
  } catch (err) {
    const missing = [url ? "" : "--url", user ? "" : "--user", password ? "" : "--password"].filter(Boolean);
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}\n` +
        `Pass ${missing.join(", ")} (or GRAFANA_URL, GRAFANA_USER, GRAFANA_PASSWORD) instead.`,
      { cause: err },
    );
  }
  const resolved = {
    url: url ?? outputs.grafanaUrl,
    user: user ?? outputs.grafanaAdminUser,
    password: password ?? outputs.grafanaAdminPassword,
  };
  const missing = Object.entries(resolved)
    .filter(([, value]) => !value)
    .map(([key]) => key);
  if (missing.length > 0 || !resolved.url || !resolved.user || !resolved.password) {
    throw new Error(`The stack outputs do not provide Grafana's ${missing.join(", ")}; pass them as flags.`);
  }
  return { url: resolved.url, user: resolved.user, password: resolved.password };
}

/**
 * Reads the stack outputs through the repo's Pulumi wrapper (scripts/pulumi.sh), which picks the
 * stack from K6OBS_STACK (default dev) and the backend from PULUMI_BACKEND_URL.
 */
export function readStackOutputs(repoRoot: string, stack?: string): StackOutputs {
  const args = ["scripts/pulumi.sh", "stack", "output", "--json", "--show-secrets"];
  const command = `${stack ? `K6OBS_STACK=${stack} ` : ""}bash ${args.join(" ")}`;
  let stdout: string;
  try {
    stdout = execFileSync("bash", args, {
      cwd: repoRoot,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: stack ? { ...process.env, K6OBS_STACK: stack } : process.env,
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim().split("\n").slice(-3).join(" ") ?? "";
    throw new Error(`Could not read the stack outputs with \`${command}\`${stderr ? `: ${stderr}` : ""}.`, {
      cause: err,
    });
  }
  try {
    const parsed: unknown = JSON.parse(stdout);
    if (!isObject(parsed)) {
      throw new Error("not an object");
    }
    const str = (key: string): string | undefined =>
      typeof parsed[key] === "string" ? (parsed[key] as string) : undefined;
    return {
      ...(str("grafanaUrl") ? { grafanaUrl: str("grafanaUrl") } : {}),
      ...(str("grafanaAdminUser") ? { grafanaAdminUser: str("grafanaAdminUser") } : {}),
      ...(str("grafanaAdminPassword") ? { grafanaAdminPassword: str("grafanaAdminPassword") } : {}),
    };
  } catch {
    throw new Error("`pulumi stack output --json` did not print a JSON object.");
  }
}

// ---------------------------------------------------------------------------------------------
// The export
// ---------------------------------------------------------------------------------------------

export interface ExportOptions {
  readonly connection: GrafanaConnection;
  /** Team directory, normally provisioning/grafana/dashboards/team. */
  readonly outDir: string;
  /** Only these dashboards; default every dashboard. */
  readonly uids?: readonly string[];
  readonly force?: boolean;
  readonly includeGenerated?: boolean;
  readonly log?: (line: string) => void;
}

/** A dashboard the export did not write because it is stored in the v2 schema. */
export interface RefusedDashboard {
  readonly uid: string;
  readonly title: string;
  readonly storedVersion?: string;
  readonly layout?: string;
  /** This dashboard's file already in the team directory, left as it was. */
  readonly existingFile?: string;
  /** What happened and what to do, naming the dashboard. */
  readonly message: string;
}

export interface ExportResult {
  readonly created: readonly string[];
  readonly updated: readonly string[];
  readonly removed: readonly string[];
  readonly unchanged: readonly string[];
  readonly skippedGenerated: readonly string[];
  readonly stale: readonly string[];
  /** Dashboards stored in the v2 schema: not written, the rest of the export went on. */
  readonly refused: readonly RefusedDashboard[];
  readonly manifestWritten: boolean;
}

/** Raised when the export would overwrite files edited locally; nothing was written. */
export class LocalEditsError extends Error {
  constructor(
    readonly outDir: string,
    readonly conflicts: readonly { relPath: string; reason: string }[],
  ) {
    super(
      `Refusing to overwrite ${conflicts.length} file(s) edited locally since the last export (nothing was written):\n` +
        conflicts.map((c) => `  ${path.join(outDir, c.relPath)}: ${c.reason}`).join("\n") +
        "\nCommit or move those edits (or import them into Grafana), then export again; --force overwrites them.",
    );
    this.name = "LocalEditsError";
  }
}

/** The message for a dashboard stored in the v2 schema: which one, why it was not written, what to do. */
export function v2RefusalMessage(
  dashboard: Pick<V2Dashboard, "uid" | "storedVersion" | "layout" | "evidence">,
  title: string,
  existingFile?: string,
): string {
  const stored = dashboard.storedVersion ? `${DASHBOARD_API_GROUP}/${dashboard.storedVersion}` : "v2";
  const layout = dashboard.layout ? `, layout ${dashboard.layout}` : "";
  return (
    `Dashboard "${title}" (uid ${dashboard.uid}) is stored in Grafana's v2 dashboard schema ` +
    `(${stored}${layout}; ${dashboard.evidence}). Not exported: the classic JSON Grafana converts it to ` +
    "drops the v2-only layout (tabs, rows, auto grid, show/hide rules) and would be provisioned over the " +
    "dashboard, and v2 files are reported to fail in Grafana 13.0's file provisioning. It stays in Grafana's " +
    "database, on the retained volume (`npm run backup` covers it)." +
    (existingFile
      ? ` ${existingFile} holds an older classic copy and was left as it is: the next change to that file ` +
        "would be provisioned over the v2 dashboard, so delete it if the dashboard now lives in Grafana only."
      : "") +
    ' To keep it in git, see "Dashboards in the v2 schema" in docs/OPERATIONS.md.'
  );
}

/**
 * Fetches the dashboards, plans the files and writes them. Nothing is written unless the whole
 * fetch succeeded and no file edited locally is in the way (or `force`). Dashboards stored in the
 * v2 schema are not written and are listed in `refused`; the others are exported.
 */
export async function exportDashboards(options: ExportOptions): Promise<ExportResult> {
  const log = options.log ?? (() => undefined);
  const client = new GrafanaClient(options.connection);
  const selected = options.uids && options.uids.length > 0 ? [...new Set(options.uids)] : undefined;

  let grafanaUids: Set<string> | undefined;
  let uids: string[];
  const hits = new Map<string, SearchHit>();
  const skippedGenerated: string[] = [];
  if (selected) {
    const generated = selected.filter(isGeneratedUid);
    if (generated.length > 0 && !options.includeGenerated) {
      throw new Error(
        `${generated.join(", ")} ${generated.length === 1 ? "is" : "are"} generated from the TypeScript builders ` +
          "(uid prefix k6obs-); change the builder instead, or pass --include-generated to export a copy.",
      );
    }
    uids = selected;
  } else {
    const found = await client.searchDashboards();
    grafanaUids = new Set(found.map((hit) => hit.uid));
    uids = [];
    for (const hit of found) {
      hits.set(hit.uid, hit);
      if (isGeneratedUid(hit.uid) && !options.includeGenerated) {
        skippedGenerated.push(hit.uid);
      } else {
        uids.push(hit.uid);
      }
    }
  }

  const folders = new Map((await client.listFolders()).map((folder) => [folder.uid, folder.title]));
  /** A folder's title: root folders from the list, nested ones from search or GET /api/folders/:uid. */
  const folderTitle = async (dashboardUid: string, folderUid: string, given?: string): Promise<string> => {
    const known = folders.get(folderUid) ?? given;
    if (known !== undefined) {
      return known;
    }
    const hit = hits.get(dashboardUid);
    const title =
      (hit?.folderUid === folderUid ? hit.folderTitle : undefined) ??
      (await client.getFolder(folderUid))?.title;
    folders.set(folderUid, title ?? "");
    return title ?? "";
  };

  const existing = readExistingFiles(options.outDir);
  const dashboards: RenderedDashboard[] = [];
  const refused: RefusedDashboard[] = [];
  const missing: string[] = [];
  for (const uid of uids) {
    let fetched: FetchedDashboard;
    try {
      fetched = await client.getDashboard(uid);
    } catch (err) {
      if (err instanceof GrafanaApiError && err.kind === "not-found" && selected) {
        missing.push(uid);
        continue;
      }
      throw err;
    }
    if (fetched.schema === "v2") {
      const title = fetched.title ?? hits.get(uid)?.title ?? uid;
      const existingFile = existing.find((file) => file.uid === uid)?.relPath;
      const shownFile = existingFile !== undefined ? path.join(options.outDir, existingFile) : undefined;
      refused.push({
        uid,
        title,
        ...(fetched.storedVersion !== undefined ? { storedVersion: fetched.storedVersion } : {}),
        ...(fetched.layout !== undefined ? { layout: fetched.layout } : {}),
        ...(existingFile !== undefined ? { existingFile } : {}),
        message: v2RefusalMessage(fetched, title, shownFile),
      });
      continue;
    }
    const dashboard: Record<string, unknown> = { ...fetched.dashboard, uid };
    const folder: FolderRef | undefined = fetched.folderUid
      ? { uid: fetched.folderUid, title: await folderTitle(uid, fetched.folderUid, fetched.folderTitle) }
      : undefined;
    const relPath = dashboardRelPath(uid, folder);
    dashboards.push({
      uid,
      title: typeof dashboard.title === "string" ? dashboard.title : uid,
      relPath,
      content: serializeDashboard(dashboard),
    });
    if (isGeneratedUid(uid)) {
      log(
        `warning: ${relPath} copies generated dashboard ${uid}; port the change to its builder rather than committing it`,
      );
    }
  }
  if (missing.length > 0) {
    throw new GrafanaApiError(
      `Dashboard uid ${missing.map((uid) => `"${uid}"`).join(", ")} not found in Grafana at ${client.url} (HTTP 404). ` +
        "List the existing ones with --url/--user/--password and no --uid.",
      "not-found",
      404,
    );
  }

  const manifest = readManifest(options.outDir);
  const plan = planExport({
    dashboards,
    existing,
    manifest: manifest.entries,
    force: options.force ?? false,
    ...(grafanaUids ? { grafanaUids } : {}),
  });
  if (plan.conflicts.length > 0) {
    throw new LocalEditsError(options.outDir, plan.conflicts);
  }
  const { manifestWritten } = applyPlan(options.outDir, plan, manifest.text);
  for (const relPath of plan.stale) {
    log(`note: ${relPath} has no dashboard in Grafana any more; delete the file to drop it from the repo`);
  }
  return {
    created: plan.writes.filter((w) => w.action === "create").map((w) => w.relPath),
    updated: plan.writes.filter((w) => w.action === "update").map((w) => w.relPath),
    removed: plan.removals,
    unchanged: plan.unchanged,
    skippedGenerated,
    stale: plan.stale,
    refused,
    manifestWritten,
  };
}
