/** Restore: every check before anything is touched, then create, empty, extract and chown. */
import * as path from "node:path";
import { RestoreArgs } from "./args";
import { helperRunArgs, tarRestoreArgs } from "./docker-args";
import { DockerRunner } from "./docker";
import {
  Log,
  inspectVolume,
  listContainerMounts,
  requireImage,
  withContainersStopped,
} from "./docker-queries";
import { restoredVolumeLabels } from "./labels";
import { MANIFEST_FILE, ManifestVolume, readManifest, verifyArchives } from "./manifest";
import { roleOwner } from "./roles";

/** One volume restore decided by {@link restoreVolumes}. */
export interface RestoreStep {
  readonly entry: ManifestVolume;
  readonly target: string;
  readonly exists: boolean;
  readonly empty: boolean;
  readonly runningUsers: readonly string[];
}

/**
 * Restores volumes from a backup directory. Before anything is touched: the manifest is checked,
 * every selected archive is verified against its sha256 and size, the helper image must be local,
 * and each target volume must be missing or empty (or `force`) and not mounted by a running
 * container (or `stopRunning`). All problems are reported together. Then each volume is created
 * if missing (same driver, options and labels as at backup time, minus the ownership labels when
 * restored under another name: {@link restoredVolumeLabels}), emptied when forced (its previous
 * contents are deleted and kept nowhere), extracted, and its files handed to the image's user for
 * the prometheus and grafana roles.
 */
export async function restoreVolumes(
  docker: DockerRunner,
  args: RestoreArgs,
  log: Log = () => undefined,
): Promise<RestoreStep[]> {
  const manifest = readManifest(args.from);
  const byName = new Map(manifest.volumes.map((v) => [v.volume, v]));
  const selection =
    args.select.length > 0
      ? args.select
      : manifest.volumes.map((v) => ({ source: v.volume, target: v.volume }));
  const unknown = selection.filter((s) => !byName.has(s.source)).map((s) => s.source);
  if (unknown.length > 0) {
    throw new Error(
      `${unknown.join(", ")} not in this backup; it holds ${manifest.volumes.map((v) => v.volume).join(", ")}`,
    );
  }
  const entries = selection.map((s) => byName.get(s.source) as ManifestVolume);

  const problems = await verifyArchives(args.from, entries);
  if (problems.length > 0) {
    throw new Error(`refusing to restore; nothing was changed:\n  ${problems.join("\n  ")}`);
  }
  log(`verified ${entries.length} archive(s) against ${MANIFEST_FILE}`);
  const image = args.image ?? manifest.helperImage;
  await requireImage(docker, image);

  const containers = await listContainerMounts(docker);
  const steps: RestoreStep[] = [];
  for (const [i, s] of selection.entries()) {
    const info = await inspectVolume(docker, s.target);
    let empty = true;
    if (info !== undefined) {
      const { stdout } = await docker.exec([
        ...helperRunArgs(image, [`${s.target}:/data:ro`], "ls"),
        "-A",
        "/data",
      ]);
      empty = stdout.trim() === "";
    }
    const runningUsers = containers
      .filter((c) => c.running && c.volumes.includes(s.target))
      .map((c) => c.name);
    steps.push({
      entry: entries[i] as ManifestVolume,
      target: s.target,
      exists: info !== undefined,
      empty,
      runningUsers,
    });
  }
  const refusals: string[] = [];
  for (const st of steps) {
    if (!st.empty && !args.force) {
      refusals.push(
        `volume ${st.target} is not empty; pass --force to replace its contents with ${st.entry.archive} ` +
          `(they are deleted and kept nowhere: back them up first, or restore into another name to compare)`,
      );
    }
    if (st.runningUsers.length > 0 && !args.stopRunning) {
      refusals.push(
        `volume ${st.target} is mounted by running container(s) ${st.runningUsers.join(", ")}; ` +
          `stop them (docker stop ${st.runningUsers.join(" ")}) or pass --stop-running`,
      );
    }
  }
  if (refusals.length > 0) {
    throw new Error(`refusing to restore; nothing was changed:\n  ${refusals.join("\n  ")}`);
  }

  for (const st of steps) {
    await withContainersStopped(docker, st.runningUsers, log, async () => {
      if (!st.exists) {
        const { labels, dropped } = restoredVolumeLabels(st.entry, st.target);
        const droppedText = Object.entries(dropped).map(([k, v]) => `${k}=${v}`);
        log(
          `creating volume ${st.target}` +
            (droppedText.length > 0
              ? ` without the ownership labels of ${st.entry.volume} (${droppedText.join(", ")}): it is a copy under another name`
              : ""),
        );
        await docker.exec([
          "volume",
          "create",
          "--driver",
          st.entry.driver,
          ...Object.entries(st.entry.options).flatMap(([k, v]) => ["--opt", `${k}=${v}`]),
          ...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
          st.target,
        ]);
      }
      const owner = roleOwner(st.entry.role);
      log(
        `restoring ${st.entry.archive} into ${st.target}${st.empty ? "" : " (replacing its contents)"}` +
          (owner ? `, files owned by ${owner.uid}:${owner.gid}` : ""),
      );
      await docker.exec(tarRestoreArgs(image, st.target, !st.empty, owner), {
        stdinFile: path.join(args.from, st.entry.archive),
      });
    });
  }
  return steps;
}
