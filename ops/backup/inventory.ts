/** A volume's file list with owners, modes and hashes, to check that a restore reproduced it. */
import { helperRunArgs } from "./docker-args";
import { DockerRunner } from "./docker";

/** One file of a volume, as {@link volumeInventory} reports it. */
export interface InventoryEntry {
  /** Path relative to the volume root, `.` for the root. */
  readonly path: string;
  /** f: file, d: directory, l: symlink, o: other. */
  readonly type: "f" | "d" | "l" | "o";
  readonly uid: number;
  readonly gid: number;
  /** Permission bits in octal, e.g. `644`. */
  readonly mode: string;
  /** sha256 for files, the target for symlinks, `-` otherwise. */
  readonly content: string;
}

/** Script listing every path of /data with type, owner, mode and content hash (tab-separated). */
const INVENTORY_SCRIPT = [
  "cd /data",
  "find . | LC_ALL=C sort | while IFS= read -r p; do",
  '  if [ -L "$p" ]; then t=l; c=$(readlink "$p");',
  '  elif [ -f "$p" ]; then t=f; c=$(sha256sum < "$p"); c=${c%% *};',
  '  elif [ -d "$p" ]; then t=d; c=-;',
  "  else t=o; c=-; fi",
  `  printf '%s\\t%s\\t%s\\t%s\\n' "$t" "$(stat -c '%u %g %a' "$p")" "$c" "$p"`,
  "done",
].join("\n");

/**
 * Lists every path in a volume with owner, mode and sha256, read through the helper image (volume
 * mounted read-only). Compare two inventories to check that a restore reproduced a volume.
 * Paths containing newlines or tabs are not supported.
 */
export async function volumeInventory(
  docker: DockerRunner,
  image: string,
  volume: string,
): Promise<InventoryEntry[]> {
  const { stdout } = await docker.exec([
    ...helperRunArgs(image, [`${volume}:/data:ro`], "/bin/sh"),
    "-c",
    INVENTORY_SCRIPT,
  ]);
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [type, stat, content, p] = line.split("\t") as [InventoryEntry["type"], string, string, string];
      const [uid, gid, mode] = stat.split(" ");
      return {
        path: p.replace(/^\.\//, ""),
        type,
        uid: Number(uid),
        gid: Number(gid),
        mode: mode ?? "",
        content,
      };
    });
}
