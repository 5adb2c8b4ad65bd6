/** The checks against the last deployment, run by index.ts after the config and before any resource. */
import { PreviousDeployment, reviewChanges } from "./changes";
import { findMigrationBackup, migrationBackupProblem } from "./migration-backup";
import { ConfigError, ObservatoryConfig } from "./schema";

/**
 * Throws a {@link ConfigError} listing every change that would lose or migrate data without
 * consent or backup; returns the warnings to print otherwise.
 */
export async function checkDeployment(
  previous: PreviousDeployment,
  cfg: ObservatoryConfig,
  ctx: { readonly repoRoot: string; readonly now: Date },
): Promise<string[]> {
  const review = reviewChanges(previous, cfg);
  const problems = [...review.problems];
  for (const need of review.migrations) {
    const found = await findMigrationBackup(need, {
      repoRoot: ctx.repoRoot,
      stack: cfg.stack,
      migrationBackup: cfg.consent.migrationBackup,
      now: ctx.now,
    });
    if (!found.ok) problems.push(migrationBackupProblem(need, found.why));
    else review.warnings.push(`${need.change}: relying on the backup ${found.dir}`);
  }
  if (problems.length > 0) throw new ConfigError(problems, "change against the last deployment");
  return review.warnings;
}
