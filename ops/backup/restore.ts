/**
 * Restore: every check before anything is touched; then, per volume, stage (extract into the
 * volume beside its contents), swap (renames only) and only then start its services again.
 */
import * as path from "node:path";
import { RestoreArgs } from "./args";
import {
  RESTORE_ENTRY_PREFIX,
  helperRunArgs,
  restorePhaseArgs,
  stageScript,
  swapScript,
  unstageScript,
} from "./docker-args";
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

/** How a restore can be interrupted (Ctrl-C): the signal, and how to stop a running helper. */
export interface RestoreControl {
  /** Aborted: no new phase starts; a running staging is stopped, a running swap finishes. */
  readonly signal?: AbortSignal;
  /** Kills the helper container that is running now (the CLI's DockerCli.killRunning). */
  readonly killHelper?: () => void;
}

/** A restore that stopped early, with what state each volume is in. */
export class RestoreInterrupted extends Error {
  constructor(
    message: string,
    /** True when a volume may be inconsistent: its services must stay stopped. */
    readonly keepStopped: boolean,
  ) {
    super(message);
    this.name = "RestoreInterrupted";
  }
}

/**
 * Restores volumes from a backup directory. Before anything is touched: the manifest is checked,
 * every selected archive is verified against its sha256 and size, the helper image must be local,
 * and each target volume must be missing or empty (or `force`) and not mounted by a running
 * container (or `stopRunning`). All problems are reported together. Then each volume is created
 * if missing (same driver, options and labels as at backup time, minus the ownership labels when
 * restored under another name: {@link restoredVolumeLabels}); the archive is extracted into a
 * staging directory inside the volume and its files handed to the image's user for the prometheus
 * and grafana roles, while the current contents stay; then a swap of renames replaces them (when
 * forced, the previous contents are then deleted and kept nowhere). An interrupt (`control`)
 * stops at the next safe point and the error names each volume's state.
 */
export async function restoreVolumes(
  docker: DockerRunner,
  args: RestoreArgs,
  log: Log = () => undefined,
  control: RestoreControl = {},
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
      // What an interrupted earlier restore left is not data.
      empty = stdout.split("\n").every((e) => e.trim() === "" || e.startsWith(RESTORE_ENTRY_PREFIX));
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

  const done: string[] = [];
  /** The error of a restore that stops early, saying what state every volume is in. */
  const stopped = (why: string, inconsistent?: { target: string; detail: string }): RestoreInterrupted => {
    const unchanged = steps
      .map((x) => x.target)
      .filter((t) => !done.includes(t) && t !== inconsistent?.target);
    return new RestoreInterrupted(
      `${why}\n  restored: ${done.join(", ") || "none"}` +
        `\n  not restored, contents unchanged: ${unchanged.join(", ") || "none"}` +
        (inconsistent ? `\n  ${inconsistent.target} MAY BE INCONSISTENT: ${inconsistent.detail}` : ""),
      inconsistent !== undefined,
    );
  };
  const { signal } = control;
  let phase: "stop" | "stage" | "swap" | "idle" = "idle";
  const onAbort = (): void => {
    // A running swap is a few renames: it finishes, so the volume is never half-swapped by us.
    if (phase === "stage") control.killHelper?.();
  };
  signal?.addEventListener("abort", onAbort);
  try {
    for (const st of steps) {
      if (signal?.aborted) throw stopped("interrupted before restoring " + st.target);
      phase = "stop";
      await withContainersStopped(
        docker,
        st.runningUsers,
        log,
        async () => {
          if (signal?.aborted) throw stopped(`interrupted while stopping the users of ${st.target}`);
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
            `staging ${st.entry.archive} inside ${st.target} (its current contents stay until the swap)` +
              (owner ? `, files owned by ${owner.uid}:${owner.gid}` : ""),
          );
          phase = "stage";
          try {
            await docker.exec(restorePhaseArgs(image, st.target, stageScript(owner)), {
              stdinFile: path.join(args.from, st.entry.archive),
            });
            if (signal?.aborted) throw new Error("interrupted");
          } catch (err) {
            phase = "idle";
            await docker.exec(restorePhaseArgs(image, st.target, unstageScript())).catch(() => undefined);
            throw signal?.aborted
              ? stopped(`interrupted while extracting into ${st.target}`)
              : stopped(`extracting into ${st.target} failed: ${(err as Error).message}`);
          }
          phase = "swap";
          log(
            `swapping the restored contents into ${st.target}${st.empty ? "" : " (its previous contents are deleted)"}`,
          );
          try {
            await docker.exec(restorePhaseArgs(image, st.target, swapScript()));
          } catch (err) {
            throw stopped(`the swap in ${st.target} failed (${(err as Error).message})`, {
              target: st.target,
              detail:
                `its previous top-level entries are in ${RESTORE_ENTRY_PREFIX}old, the restored ones in ` +
                `${RESTORE_ENTRY_PREFIX}staging; its users stay stopped (${st.runningUsers.join(", ") || "none"}). ` +
                "Run the restore again with --force once the cause is fixed.",
            });
          }
          phase = "idle";
          done.push(st.target);
        },
        (err) => !(err instanceof RestoreInterrupted && err.keepStopped),
      );
    }
    if (signal?.aborted && done.length < steps.length) throw stopped("interrupted");
    return steps;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
