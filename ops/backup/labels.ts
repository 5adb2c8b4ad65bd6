/** Which volume labels a restore keeps. */
import { LABEL_PREFIX } from "../../model/labels";
import { ManifestVolume } from "./manifest";

/**
 * Label prefixes that say which deployment a volume belongs to, and by which tools select volumes
 * to delete: `npm run purge-data` deletes every volume labelled `k6obs.stack=<stack>` and
 * `k6obs.retain=true`; `docker compose -p NAME down -v` without the compose file finds the
 * project's volumes by `com.docker.compose.project=NAME`.
 */
export const OWNERSHIP_LABEL_PREFIXES: readonly string[] = [LABEL_PREFIX, "com.docker.compose."];

/**
 * Labels restore creates a missing target volume with.
 *
 * Under its own name (`target` = the backed-up volume) the volume is the same one, e.g. on a new
 * host after a disk loss: every label is kept, so the stack and purge-data treat it as before.
 *
 * Under another name (`--volume SRC=TARGET`) it is a copy with an identity of its own, and the
 * ownership labels ({@link OWNERSHIP_LABEL_PREFIXES}) are dropped: copied, they would claim the
 * copy for the source's stack or compose project. Restoring a dev backup into `k6obs-prod-*`
 * would label prod's volumes `k6obs.stack=dev`, and `K6OBS_STACK=dev npm run purge-data` would
 * then list and delete prod's data. Without them the copy is deleted only when named explicitly
 * (`purge-data --volume`). No other stack's labels are put in their place: which stack will use
 * the copy is not known here. Other labels describe the data rather than its owner and are kept.
 * Pulumi ignores the labels of an existing volume (`ignoreChanges`), so an adopting `pulumi up`
 * plans no replacement either way.
 */
export function restoredVolumeLabels(
  entry: ManifestVolume,
  target: string,
): { labels: Record<string, string>; dropped: Record<string, string> } {
  const labels: Record<string, string> = {};
  const dropped: Record<string, string> = {};
  for (const [key, value] of Object.entries(entry.labels)) {
    const ownership = OWNERSHIP_LABEL_PREFIXES.some((p) => key.startsWith(p));
    if (target !== entry.volume && ownership) dropped[key] = value;
    else labels[key] = value;
  }
  return { labels, dropped };
}
