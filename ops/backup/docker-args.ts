/** The argv of every helper container (pure). */
import { Owner } from "./roles";

/** `docker run` prefix shared by every helper container: no network, no pull, root, fixed entrypoint. */
export function helperRunArgs(image: string, mounts: readonly string[], entrypoint: string): string[] {
  return [
    "run",
    "--rm",
    "-i",
    "--pull",
    "never",
    "--network",
    "none",
    // The Prometheus image runs as nobody; reading every file and restoring ownership needs root.
    "--user",
    "0:0",
    "--entrypoint",
    entrypoint,
    ...mounts.flatMap((m) => ["-v", m]),
    image,
  ];
}

/** `docker run` arguments that stream a gzip tar of the volume to stdout (volume mounted read-only). */
export function tarCreateArgs(image: string, volume: string): string[] {
  return [
    ...helperRunArgs(image, [`${volume}:/data:ro`], "tar"),
    "-czf",
    "-",
    "-C",
    "/data",
    "--numeric-owner",
    ".",
  ];
}

/** Where a restore extracts inside the target volume before the swap (same filesystem: renames). */
export const STAGING_DIR = ".k6obs-restore-staging";
/** Written once the staging directory holds the whole archive. */
export const STAGED_MARKER = ".k6obs-restore-staged";
/** Where the swap parks the previous contents until the new ones are in place. */
export const OLD_DIR = ".k6obs-restore-old";
/** Every name a restore creates at the top of a volume; never data. */
export const RESTORE_ENTRY_PREFIX = ".k6obs-restore-";

/**
 * Phase 1 of a restore, in the helper container: extract stdin into a staging directory inside the
 * volume, hand files the image's user does not own to that user, then mark the staging complete.
 * The volume's current contents are not touched, so an interruption here leaves them intact.
 * Busybox sh and find only: `-exec ... {} +` and `-delete` are optional busybox features.
 */
export function stageScript(owner: Owner | undefined): string {
  const staging = `/data/${STAGING_DIR}`;
  const lines = [
    "set -e",
    `rm -rf ${staging} /data/${STAGED_MARKER}`,
    `mkdir ${staging}`,
    `tar -xzf - -C ${staging} --numeric-owner`,
  ];
  if (owner !== undefined) {
    lines.push(`find ${staging} ! -user ${owner.uid} -exec chown -h ${owner.uid}:${owner.gid} {} \\;`);
  }
  lines.push(`touch /data/${STAGED_MARKER}`);
  return lines.join("\n");
}

/**
 * Phase 2: swap the staged contents in. Only renames within the volume: the previous top-level
 * entries move aside, the staged ones up, the archive's root mode and owner go to the volume
 * root, then the previous contents are deleted. Refuses to start without the staged marker.
 */
export function swapScript(): string {
  return [
    "set -e",
    "cd /data",
    `test -e ${STAGED_MARKER}`,
    `rm -rf ${OLD_DIR}`,
    `mkdir ${OLD_DIR}`,
    `find . -mindepth 1 -maxdepth 1 ! -name '${RESTORE_ENTRY_PREFIX}*' -exec mv {} ${OLD_DIR}/ \\;`,
    `find ${STAGING_DIR} -mindepth 1 -maxdepth 1 -exec mv {} . \\;`,
    `chown "$(stat -c %u:%g ${STAGING_DIR})" . && chmod "$(stat -c %a ${STAGING_DIR})" .`,
    `rmdir ${STAGING_DIR}`,
    `rm -f ${STAGED_MARKER}`,
    `rm -rf ${OLD_DIR}`,
  ].join("\n");
}

/** Removes what an interrupted or failed staging left; the volume's contents stay as they were. */
export function unstageScript(): string {
  return `rm -rf /data/${STAGING_DIR} /data/${STAGED_MARKER}`;
}

/** `docker run` arguments of a restore phase's script (stdin: the archive, for staging). */
export function restorePhaseArgs(image: string, volume: string, script: string): string[] {
  return [...helperRunArgs(image, [`${volume}:/data`], "/bin/sh"), "-c", script];
}
