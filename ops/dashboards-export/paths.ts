import { NAME_PREFIX } from "../../model/naming";

/** Where a dashboard is written: `<folder-slug>/<uid>.json` below the team directory. */
/** Dashboards generated from the TypeScript builders; exported only with --include-generated. */
export const GENERATED_UID_PREFIX = `${NAME_PREFIX}-`;

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
