/**
 * Backup and restore of the stack's data volumes through the Docker CLI.
 *
 * Every byte goes through a short-lived helper container (`docker run --rm --network none`) built
 * from an image that is already on the Docker host (by default the pinned Prometheus image, which
 * is busybox-based and has sh and tar); nothing is ever pulled. Archives are streamed through the
 * container's stdin/stdout, so no host directory is bind-mounted and a remote DOCKER_HOST works.
 *
 * Pure modules (args, plan, manifest, docker-args, labels, roles) decide; docker.ts is a thin
 * {@link DockerRunner} around the `docker` binary; backup.ts and restore.ts are the two operations
 * the CLIs and the tests call.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tarCreateArgs } from "./docker-args";
import { DockerRunner } from "./docker";
import {
  Log,
  VolumeInfo,
  inspectVolume,
  listContainerMounts,
  requireImage,
  withContainersStopped,
} from "./docker-queries";
import {
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  Manifest,
  ManifestVolume,
  archiveFileName,
  timestampDirName,
  verifyArchives,
} from "./manifest";
import { BackupPlan } from "./plan";

/**
 * Archives every volume of the plan into `outDir` (created; must not hold a backup already) and
 * writes manifest.json last, so a directory with a manifest is a complete backup.
 *
 * Consistency: the containers of `plan.stopContainers` are stopped for the whole run; for each
 * volume, the containers listed for it and every other running container that mounts it are
 * stopped while that volume is copied, and started again right after (also on failure).
 */
export async function backupVolumes(
  docker: DockerRunner,
  plan: BackupPlan,
  outDir: string,
  log: Log = () => undefined,
  now: Date = new Date(),
): Promise<Manifest> {
  if (plan.volumes.length === 0) throw new Error("nothing to back up: no volumes given");
  await requireImage(docker, plan.helperImage);
  const infos: VolumeInfo[] = [];
  for (const v of plan.volumes) {
    const info = await inspectVolume(docker, v.name);
    if (info === undefined) throw new Error(`volume ${v.name} does not exist on this Docker host`);
    infos.push(info);
  }
  if (fs.existsSync(path.join(outDir, MANIFEST_FILE))) {
    throw new Error(`${outDir} already holds a backup (${MANIFEST_FILE}); choose another --out`);
  }
  // Archives hold grafana.db (users, API keys, encrypted secrets): readable by the owner only.
  fs.mkdirSync(outDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(outDir, 0o700);

  const stamp = timestampDirName(now);
  const images: { prometheus: string | null; grafana: string | null } = { ...plan.images };
  const entries = await withContainersStopped(docker, plan.stopContainers, log, async () => {
    const done: ManifestVolume[] = [];
    for (const [i, v] of plan.volumes.entries()) {
      const info = infos[i] as VolumeInfo;
      const users = (await listContainerMounts(docker)).filter((c) => c.volumes.includes(v.name));
      if (v.role !== "data" && images[v.role] === null && users[0] !== undefined) {
        images[v.role] = users[0].image;
      }
      const toStop = [...v.containers, ...users.filter((c) => c.running).map((c) => c.name)];
      const archive = archiveFileName(v.name, stamp);
      const file = path.join(outDir, archive);
      const partial = `${file}.partial`;
      const started = Date.now();
      const entry = await withContainersStopped(docker, toStop, log, async (stopped) => {
        log(
          `archiving ${v.name} (${v.role})${stopped.length ? ` while ${stopped.join(", ")} is stopped` : ""}`,
        );
        try {
          const res = await docker.exec(tarCreateArgs(plan.helperImage, v.name), { stdoutFile: partial });
          fs.renameSync(partial, file);
          return { res, stopped };
        } catch (err) {
          fs.rmSync(partial, { force: true });
          throw err;
        }
      });
      const copyMs = Date.now() - started;
      done.push({
        volume: v.name,
        role: v.role,
        archive,
        bytes: entry.res.bytes ?? 0,
        sha256: entry.res.sha256 ?? "",
        driver: info.driver,
        labels: info.labels,
        options: info.options,
        stoppedContainers: [...entry.stopped],
        copyMs,
      });
      log(`${archive}: ${entry.res.bytes} bytes, sha256 ${entry.res.sha256}, ${copyMs} ms`);
    }
    return done;
  });

  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    createdAt: now.toISOString(),
    stack: plan.stack,
    helperImage: plan.helperImage,
    images,
    volumes: entries,
  };
  // Re-check what was written before declaring the backup complete.
  const problems = await verifyArchives(outDir, entries);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  fs.writeFileSync(path.join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, {
    mode: 0o600,
  });
  return manifest;
}
