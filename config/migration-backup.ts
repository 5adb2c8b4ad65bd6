/**
 * The backup a data-migrating image change (Prometheus or Grafana major version) needs first: one
 * `npm run backup` made of that very volume with the image that runs now, recent, and whose archive
 * still matches its manifest. Read from backups/<stack>/ (where `npm run backup` writes) or from
 * the directory `migrationBackup` names.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { readManifest, verifyArchives } from "../ops/backup/manifest";
import { MigrationNeed } from "./changes";
import { CONFIG_NAMESPACE } from "./schema";

/**
 * How old the backup may be. A day: older, it misses the data a failed migration would lose since,
 * and "take a backup, then upgrade" is one sitting.
 */
export const MIGRATION_BACKUP_MAX_AGE_HOURS = 24;

/** Where to look and when "now" is. */
export interface BackupSearch {
  /** Repository root; `npm run backup` writes to `<repoRoot>/backups/<stack>/<timestamp>/`. */
  readonly repoRoot: string;
  readonly stack: string;
  /** Absolute backup directory given with `migrationBackup`: only it is considered. */
  readonly migrationBackup?: string;
  readonly now: Date;
}

/** A backup directory that qualifies, or the reasons each candidate did not. */
export type BackupFinding =
  { readonly ok: true; readonly dir: string } | { readonly ok: false; readonly why: string[] };

/** Backup directories to consider, newest first (their names are UTC timestamps). */
function candidates(search: BackupSearch): string[] {
  if (search.migrationBackup !== undefined) return [search.migrationBackup];
  const base = path.join(search.repoRoot, "backups", search.stack);
  if (!fs.existsSync(base)) return [];
  return fs
    .readdirSync(base, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => path.join(base, e.name))
    .sort()
    .reverse();
}

/** Finds a backup that makes `need` safe, checking every archive it relies on against its sha256. */
export async function findMigrationBackup(need: MigrationNeed, search: BackupSearch): Promise<BackupFinding> {
  const why: string[] = [];
  const dirs = candidates(search);
  if (dirs.length === 0) why.push(`no backup under ${path.join(search.repoRoot, "backups", search.stack)}`);
  for (const dir of dirs) {
    let manifest;
    try {
      manifest = readManifest(dir);
    } catch (e) {
      why.push(`${dir}: ${(e as Error).message}`);
      continue;
    }
    const image = manifest.images[need.service];
    if (image !== need.fromImage) {
      why.push(
        `${dir}: taken with ${need.service} image ${String(image)}, not the running ${need.fromImage}`,
      );
      continue;
    }
    const entry = manifest.volumes.find((v) => v.role === need.service && v.volume === need.volume);
    if (!entry) {
      why.push(`${dir}: holds no ${need.service} archive of volume ${need.volume}`);
      continue;
    }
    const ageHours = (search.now.getTime() - Date.parse(manifest.createdAt)) / 3_600_000;
    if (!(ageHours <= MIGRATION_BACKUP_MAX_AGE_HOURS && ageHours > -0.1)) {
      why.push(
        `${dir}: made at ${manifest.createdAt}, not within the last ${MIGRATION_BACKUP_MAX_AGE_HOURS} hours`,
      );
      continue;
    }
    const broken = await verifyArchives(dir, [entry]);
    if (broken.length > 0) {
      why.push(...broken);
      continue;
    }
    return { ok: true, dir };
  }
  return { ok: false, why };
}

/** The refusal for a migration without a qualifying backup. */
export function migrationBackupProblem(need: MigrationNeed, why: readonly string[]): string {
  return (
    `${CONFIG_NAMESPACE}:${need.key} = ${JSON.stringify(need.toImage)} is not allowed yet: ${need.change} migrates the data in volume ${need.volume}, ` +
    `so it needs a backup of that volume taken with the running ${need.fromImage} within the last ${MIGRATION_BACKUP_MAX_AGE_HOURS} hours ` +
    `(\`npm run backup\`, then \`npm run up\` again; or name one with ${CONFIG_NAMESPACE}:migrationBackup). Checked: ${why.join("; ")}`
  );
}
