/** The export plan: what to write, keep, remove or refuse, decided without touching disk. */
import { sha256 } from "./manifest";

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
