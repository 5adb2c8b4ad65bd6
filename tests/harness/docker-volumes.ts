/**
 * Docker volumes and containers for the backup/restore integration tests: a filled volume with
 * both services' owners, modes, a symlink and odd names; a container that mounts it; the engine
 * start. Everything is named `k6obs-it-<pid>-*`, so that {@link removeTestObjects} finds it.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { DockerCli } from "../../ops/backup/docker";
import { InventoryEntry } from "../../ops/backup/inventory";
import { BackupPlan } from "../../ops/backup/plan";

export const run = promisify(execFile);
export const repoRoot = path.resolve(__dirname, "../..");
/** Helper image built by tools/start-docker.sh from busybox-static (no registry). */
export const IMAGE = "k6obs-test/busybox:local";
export const docker = new DockerCli();
const prefix = `k6obs-it-${process.pid}`;
/** A test object's name: `k6obs-it-<pid>-<s>`. */
export const name = (s: string): string => `${prefix}-${s}`;

export function comparable(inv: InventoryEntry[]): InventoryEntry[] {
  return inv.map((e) => (e.type === "l" ? { ...e, uid: -1, gid: -1 } : e));
}

export async function sh(volume: string, script: string, user = "0:0"): Promise<string> {
  const { stdout } = await docker.exec([
    "run",
    "--rm",
    "--network",
    "none",
    "--user",
    user,
    "--entrypoint",
    "/bin/sh",
    "-v",
    `${volume}:/data`,
    IMAGE,
    "-c",
    script,
  ]);
  return stdout;
}

/** Files of both users of the stack, a nested directory, modes, a symlink, an empty dir, a space. */
export const FILL = `set -e
cd /data
head -c 200000 /dev/urandom > grafana.db
mkdir -p dashboards plugins/panel/nested/deeper wal/checkpoint emptydir 'with space'
echo '{"title":"k6"}' > dashboards/k6.json
head -c 5000 /dev/urandom > plugins/panel/nested/deeper/blob.bin
head -c 70000 /dev/urandom > wal/00000001
echo meta > 'with space/file name.txt'
: > emptyfile
ln -s grafana.db db-link
chown 472:0 grafana.db dashboards dashboards/k6.json
chown -R 472:472 plugins
chown -R 65534:65534 wal
chmod 600 grafana.db
chmod 700 plugins/panel/nested
chmod 750 /data`;

export async function createFilledVolume(volume: string, labels: Record<string, string> = {}): Promise<void> {
  await docker.exec([
    "volume",
    "create",
    ...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
    volume,
  ]);
  await sh(volume, FILL);
}

/** A container that mounts the volume and stops promptly on SIGTERM, like Prometheus and Grafana. */
export async function startUser(container: string, volume: string): Promise<void> {
  await docker.exec([
    "run",
    "-d",
    "--name",
    container,
    "--network",
    "none",
    "--entrypoint",
    "/bin/sh",
    "-v",
    `${volume}:/data`,
    IMAGE,
    "-c",
    'trap "exit 0" TERM; while sleep 0.2; do :; done',
  ]);
}

export async function startedAt(container: string): Promise<string> {
  return (await docker.exec(["inspect", "--format", "{{.State.StartedAt}}", container])).stdout.trim();
}

export function plan(
  volumes: { name: string; role?: "prometheus" | "grafana" | "data" }[],
  image = IMAGE,
): BackupPlan {
  return {
    stack: "it",
    volumes: volumes.map((v) => ({ name: v.name, role: v.role ?? "data", containers: [] })),
    stopContainers: [],
    helperImage: image,
    images: { prometheus: null, grafana: null },
  };
}

/**
 * Starts the Docker Engine with tools/start-docker.sh (installs Debian's docker.io and starts
 * dockerd if needed, builds {@link IMAGE}); throws the script's reason if it cannot.
 */
export async function startDockerEngine(): Promise<void> {
  try {
    // First run on a bare machine: apt-get install docker.io + image build, ~15 s here.
    await run("bash", [path.join(repoRoot, "tools/start-docker.sh")], { timeout: 280_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(
      `the Docker Engine could not be started by tools/start-docker.sh: ${e.stderr || e.message}`,
      {
        cause: err,
      },
    );
  }
}

/** Removes every container and volume this process created ({@link name}). */
export async function removeTestObjects(): Promise<void> {
  const ids = (await docker.exec(["ps", "-aq", "--filter", `name=${prefix}`])).stdout
    .split("\n")
    .filter(Boolean);
  if (ids.length > 0) await docker.exec(["rm", "-f", ...ids]);
  const vols = (await docker.exec(["volume", "ls", "-q", "--filter", `name=${prefix}`])).stdout
    .split("\n")
    .filter(Boolean);
  if (vols.length > 0) await docker.exec(["volume", "rm", "-f", ...vols]);
}

/**
 * Registers the jest hooks of an engine suite: start the engine and make a temporary directory
 * (passed to `onStart`) before all tests, remove this process's containers, volumes and the
 * directory after them. Returns a log that the operations write to, and its lines.
 */
export function useDockerVolumeSuite(onStart: (tmp: string) => void): {
  log: (m: string) => void;
  logs: string[];
} {
  // Each test starts several containers and copies tens of MB; on 2 busy cores that can take far
  // longer than jest's 5 s default. Bounded all the same.
  jest.setTimeout(120_000);
  let tmp: string | undefined;
  const logs: string[] = [];
  beforeAll(async () => {
    await startDockerEngine();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-backup-it-"));
    onStart(tmp);
  }, 300_000);
  afterAll(async () => {
    try {
      await removeTestObjects();
    } finally {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
  return {
    log: (m) => {
      logs.push(m);
    },
    logs,
  };
}
