/**
 * Exports dashboards from a running Grafana into the repository as stable, reviewable JSON
 * (`provisioning/grafana/dashboards/team/<folder-slug>/<uid>.json`), read back by the `team`
 * dashboard provider (foldersFromFilesStructure: true).
 *
 * Pure parts (normalisation, paths, the export plan) are separate from I/O (the HTTP client and
 * applying a plan to disk) so each can be tested on its own. The HTTP client uses Grafana's
 * documented legacy API: GET /api/search?type=dash-db, GET /api/dashboards/uid/:uid, GET /api/folders.
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

/** Why a request to Grafana failed; the message says what to do about it. */
export type GrafanaErrorKind =
  "unauthorized" | "forbidden" | "not-found" | "unreachable" | "http" | "invalid-response";

export class GrafanaApiError extends Error {
  constructor(
    message: string,
    readonly kind: GrafanaErrorKind,
    readonly status?: number,
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

/** An entry of GET /api/folders. */
export interface FolderSummary {
  readonly uid: string;
  readonly title: string;
  readonly parentUid?: string;
}

/** GET /api/dashboards/uid/:uid. */
export interface DashboardWithMeta {
  readonly dashboard: Record<string, unknown>;
  readonly meta: {
    readonly folderUid?: string;
    readonly folderTitle?: string;
    readonly provisioned?: boolean;
    readonly [key: string]: unknown;
  };
}

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

export class GrafanaClient {
  private readonly base: URL;

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

  /** Folders visible to the user at the root level (nested folders come from dashboard meta). */
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

  /** One dashboard with its metadata; a missing uid is a `not-found` error naming it. */
  async getDashboard(uid: string): Promise<DashboardWithMeta> {
    const body = await this.getJson(`api/dashboards/uid/${encodeURIComponent(uid)}`, `dashboard ${uid}`, uid);
    if (!isObject(body) || !isObject(body.dashboard)) {
      throw this.invalid(`GET /api/dashboards/uid/${uid}`, "an object with a dashboard");
    }
    if (body.dashboard.apiVersion !== undefined && body.dashboard.kind !== undefined) {
      throw new GrafanaApiError(
        `Dashboard ${uid} came back as a ${String(body.dashboard.kind)} resource (${String(body.dashboard.apiVersion)}), ` +
          "not the classic JSON model this export writes. Save it once in the classic dashboard editor.",
        "invalid-response",
      );
    }
    return { dashboard: body.dashboard, meta: isObject(body.meta) ? body.meta : {} };
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
    if (status === 200) {
      try {
        return JSON.parse(body) as unknown;
      } catch {
        throw this.invalid(`GET ${target.pathname}`, "JSON");
      }
    }
    const detail = grafanaMessage(body);
    const suffix = detail ? `: ${detail}` : "";
    if (status === 401) {
      throw new GrafanaApiError(
        `Grafana at ${this.url} rejected the credentials of user "${this.conn.user}" (HTTP 401${suffix}). ` +
          "Pass the right ones with --user/--password or GRAFANA_USER/GRAFANA_PASSWORD; the stack's admin " +
          "password is `npm run pulumi -- stack output grafanaAdminPassword --show-secrets`.",
        "unauthorized",
        status,
      );
    }
    if (status === 403) {
      throw new GrafanaApiError(
        `User "${this.conn.user}" may not read ${what} in Grafana at ${this.url} (HTTP 403${suffix}).`,
        "forbidden",
        status,
      );
    }
    if (status === 404 && dashboardUid !== undefined) {
      throw new GrafanaApiError(
        `Dashboard uid "${dashboardUid}" not found in Grafana at ${this.url} (HTTP 404${suffix}).`,
        "not-found",
        status,
      );
    }
    if (status >= 300 && status < 400) {
      throw new GrafanaApiError(
        `GET ${target.pathname} at ${this.url} redirected (HTTP ${status}); check that --url is Grafana's root URL.`,
        "http",
        status,
      );
    }
    throw new GrafanaApiError(
      `GET ${target.pathname} at ${this.url} failed with HTTP ${status}${suffix}.`,
      "http",
      status,
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

export interface ExportResult {
  readonly created: readonly string[];
  readonly updated: readonly string[];
  readonly removed: readonly string[];
  readonly unchanged: readonly string[];
  readonly skippedGenerated: readonly string[];
  readonly stale: readonly string[];
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

/**
 * Fetches the dashboards, plans the files and writes them. Nothing is written unless the whole
 * fetch succeeded and no file edited locally is in the way (or `force`).
 */
export async function exportDashboards(options: ExportOptions): Promise<ExportResult> {
  const log = options.log ?? (() => undefined);
  const client = new GrafanaClient(options.connection);
  const selected = options.uids && options.uids.length > 0 ? [...new Set(options.uids)] : undefined;

  let grafanaUids: Set<string> | undefined;
  let uids: string[];
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
    const hits = await client.searchDashboards();
    grafanaUids = new Set(hits.map((hit) => hit.uid));
    uids = [];
    for (const hit of hits) {
      if (isGeneratedUid(hit.uid) && !options.includeGenerated) {
        skippedGenerated.push(hit.uid);
      } else {
        uids.push(hit.uid);
      }
    }
  }

  const folders = new Map((await client.listFolders()).map((folder) => [folder.uid, folder]));
  const dashboards: RenderedDashboard[] = [];
  const missing: string[] = [];
  for (const uid of uids) {
    let fetched: DashboardWithMeta;
    try {
      fetched = await client.getDashboard(uid);
    } catch (err) {
      if (err instanceof GrafanaApiError && err.kind === "not-found" && selected) {
        missing.push(uid);
        continue;
      }
      throw err;
    }
    const folderUid = typeof fetched.meta.folderUid === "string" ? fetched.meta.folderUid : undefined;
    const folderTitle = (folderUid ? folders.get(folderUid)?.title : undefined) ?? fetched.meta.folderTitle;
    const dashboard: Record<string, unknown> = { ...fetched.dashboard, uid };
    const folder: FolderRef | undefined = folderUid
      ? { uid: folderUid, title: folderTitle ?? "" }
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
    existing: readExistingFiles(options.outDir),
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
    manifestWritten,
  };
}
