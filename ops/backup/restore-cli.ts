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
  --force                 Restore into a volume that is not empty: its current contents are
                          DELETED first and no copy is kept. Back it up first (npm run backup),
                          or try the restore into another name (--volume NAME=NAME-check).
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
  const steps = await restoreVolumes(docker, args, (m) => console.error(`restore: ${m}`));
  for (const s of steps) {
    console.log(`${s.entry.archive} -> ${s.target}`);
  }
}

const docker = new DockerCli();

// Without handlers Node would exit at once and leave the services stopped. Killing the helper
// container fails the pending step instead, and its `finally` starts the stopped services again.
runCli("restore", main, {
  onSignal: (signal) => {
    console.error(`restore: ${signal}: stopping the copy; stopped containers are started again`);
    docker.killRunning();
  },
});
