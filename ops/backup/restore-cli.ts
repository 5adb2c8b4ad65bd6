/**
 * npm run restore -- --from DIR [--volume NAME[=TARGET]]... [--force] [--stop-running] [--image REF]
 *
 * Restores volumes from a backup made by `npm run backup`. See docs/OPERATIONS.md
 * ("Back up and restore the data volumes").
 */
import { runCli } from "../lib/cli";
import { parseRestoreArgs } from "./args";
import { DockerCli } from "./docker";
import { MANIFEST_FILE } from "./manifest";
import { restoreVolumes } from "./restore";

const USAGE = `Usage: npm run restore -- --from DIR [options]

Checks every archive against the sha256 in DIR/${MANIFEST_FILE} before touching anything, then
restores each volume and leaves its files owned by the image's user (Prometheus 65534:65534,
Grafana 472). A missing volume is created with the labels it had; under another name
(NAME=TARGET) without its ownership labels (k6obs.*, com.docker.compose.*), so that purge-data or
compose never take the copy for the original stack's data.

  --from DIR              Backup directory holding ${MANIFEST_FILE} (required)
  --volume NAME[=TARGET]  Restore only this volume, optionally into another volume (repeatable)
  --force                 Restore into a volume that is not empty: once the archive is fully
                          extracted beside them, its current contents are DELETED and no copy is
                          kept. Back it up first (npm run backup), or try the restore into
                          another name (--volume NAME=NAME-check). Ctrl-C or a failure before
                          the swap leaves the current contents as they are.
  --stop-running          Stop running containers that mount a target volume during the restore
                          and start them again afterwards (default: refuse while they run)
  --image REF             Local image that runs tar (default: the one that made the backup). Never pulled.
  -h, --help              Show this help.`;

async function main(): Promise<void> {
  const args = parseRestoreArgs(process.argv.slice(2));
  if (args === "help") {
    console.log(USAGE);
    return;
  }
  const steps = await restoreVolumes(docker, args, (m) => console.error(`restore: ${m}`), {
    signal: interrupt.signal,
    killHelper: () => docker.killRunning(),
  });
  for (const s of steps) {
    console.log(`${s.entry.archive} -> ${s.target}`);
  }
}

const docker = new DockerCli();
const interrupt = new AbortController();

// Without handlers Node would exit at once and leave the services stopped. An interrupt stops the
// restore at the next safe point: a staging extraction is killed (the volume keeps its contents),
// a swap (renames only) finishes; stopped services start again unless a volume may be inconsistent.
runCli("restore", main, {
  onSignal: (signal) => {
    console.error(`restore: ${signal}: stopping at the next safe point`);
    interrupt.abort();
  },
});
