/**
 * Exports dashboards from a running Grafana into the repository as stable, reviewable JSON
 * (`provisioning/grafana/dashboards/team/<folder-slug>/<uid>.json`), read back by the `team`
 * dashboard provider (foldersFromFilesStructure: true).
 *
 * Pure parts (normalise, paths, manifest, plan) are separate from I/O (client, dashboard-api,
 * write) so each can be tested on its own. The client lists with Grafana's documented API
 * (GET /api/search?type=dash-db, GET /api/folders); dashboard-api reads each dashboard through
 * the dashboard resource API of Grafana 12+ (GET /apis/dashboard.grafana.app/<version>/namespaces/
 * <ns>/dashboards/<uid>), or GET /api/dashboards/uid/:uid on older Grafana. Dashboards stored in
 * the v2 schema are refused rather than written degraded: see "How dashboards are read" there.
 */
import * as path from "path";
import { GrafanaClient, GrafanaConnection, SearchHit } from "./client";
import { DASHBOARD_API_GROUP, DashboardReader, FetchedDashboard, V2Dashboard } from "./dashboard-api";
import { GrafanaApiError } from "./grafana-errors";
import { readManifest } from "./manifest";
import { serializeDashboard } from "./normalise";
import { FolderRef, dashboardRelPath, isGeneratedUid } from "./paths";
import { RenderedDashboard, planExport } from "./plan";
import { applyPlan, readExistingFiles } from "./write";

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
  const reader = new DashboardReader(client);
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
      fetched = await reader.getDashboard(uid);
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
