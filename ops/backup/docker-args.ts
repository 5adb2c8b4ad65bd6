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

/**
 * Shell script run in the helper container to restore an archive read from stdin into /data:
 * optionally empty the volume first, extract with numeric owners, then hand every file that the
 * image's user does not own to that user (a healthy volume's files already are, and keep their
 * group). Busybox sh and find only: `-exec ... {} +` and `-delete` are optional busybox features.
 */
export function restoreScript(clear: boolean, owner: Owner | undefined): string {
  const lines = ["set -e"];
  if (clear) {
    lines.push("find /data -mindepth 1 -maxdepth 1 -exec rm -rf {} \\;");
  }
  lines.push("tar -xzf - -C /data --numeric-owner");
  if (owner !== undefined) {
    lines.push(`find /data ! -user ${owner.uid} -exec chown -h ${owner.uid}:${owner.gid} {} \\;`);
  }
  return lines.join("\n");
}

/** `docker run` arguments that restore stdin into the volume. */
export function tarRestoreArgs(
  image: string,
  volume: string,
  clear: boolean,
  owner: Owner | undefined,
): string[] {
  return [...helperRunArgs(image, [`${volume}:/data`], "/bin/sh"), "-c", restoreScript(clear, owner)];
}
