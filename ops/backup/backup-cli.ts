/**
 * npm run backup -- [--stack NAME] [--out DIR] [--image REF] [--volume NAME[:role]]... [--stop-container NAME]...
 *
 * Archives the stack's data volumes (tar.gz per volume + manifest.json) into
 * backups/<stack>/<timestamp>/ or --out. See docs/OPERATIONS.md ("Back up and restore the data volumes").
 */
import * as path from "node:path";
import { PROMETHEUS_IMAGE, imageRef } from "../../model/images";
import { runCli } from "../lib/cli";
import { readStackOutputs, stackName } from "../lib/stack-outputs";
import { parseBackupArgs } from "./args";
import { backupVolumes } from "./backup";
import { DockerCli } from "./docker";
import { timestampDirName } from "./manifest";
import { BackupPlan, parseStackOutputs, planFromFlags, planFromStack } from "./plan";

const USAGE = `Usage: npm run backup -- [options]

Writes one tar.gz per data volume (Prometheus, Grafana, and k6 results and Alertmanager when the stack has them) and a manifest.json (volume, role, bytes, sha256, image versions)
into backups/<stack>/<timestamp>/. Each service is stopped while its own volume is copied and
started again afterwards, also when the copy fails.

  --stack NAME            Pulumi stack to read outputs from (default: $K6OBS_STACK, else dev)
  --out DIR               Backup directory (default: backups/<stack>/<timestamp>)
  --image REF             Local image that runs tar (default: the stack's Prometheus image). Never pulled.
  --volume NAME[:ROLE]    Back up this volume instead of the stack's (repeatable). ROLE: prometheus,
                          grafana or data (default). Running containers that mount it are stopped
                          while it is copied.
  --stop-container NAME   Also stop this container for the whole backup (repeatable).
  -h, --help              Show this help.`;

const repoRoot = path.resolve(__dirname, "..", "..");

async function main(): Promise<void> {
  const args = parseBackupArgs(process.argv.slice(2));
  if (args === "help") {
    console.log(USAGE);
    return;
  }
  let plan: BackupPlan;
  if (args.volumes.length > 0) {
    plan = planFromFlags(args, imageRef(PROMETHEUS_IMAGE));
  } else {
    const stack = stackName(args.stack);
    const outputs = parseStackOutputs(
      readStackOutputs({
        repoRoot,
        stack,
        advice: "name the volumes with --volume NAME[:role] to back up without Pulumi",
      }),
    );
    plan = { ...planFromStack(stack, outputs, args.image), stopContainers: args.stopContainers };
  }
  const now = new Date();
  const out = path.resolve(args.out ?? path.join(repoRoot, "backups", plan.stack, timestampDirName(now)));
  const manifest = await backupVolumes(docker, plan, out, (m) => console.error(`backup: ${m}`), now);
  console.error(`backup: ${manifest.volumes.length} volume(s) backed up; verify later with:`);
  console.error(`backup:   (cd ${out} && sha256sum ${manifest.volumes.map((v) => v.archive).join(" ")})`);
  console.log(out);
}

const docker = new DockerCli();

// Without handlers Node would exit at once and leave the services stopped. Killing the helper
// container fails the pending step instead, and its `finally` starts the stopped services again.
runCli("backup", main, {
  onSignal: (signal) => {
    console.error(`backup: ${signal}: stopping the copy; stopped containers are started again`);
    docker.killRunning();
  },
});
