/**
 * Backup and restore against a real Docker Engine. beforeAll runs scripts/start-docker.sh, which
 * installs Debian's docker.io and starts dockerd if needed and builds the helper image
 * k6obs-test/busybox:local from busybox-static (no registry). If the engine cannot be started,
 * every test here fails with the script's reason: these tests never skip.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import {
  BackupPlan,
  DockerCli,
  DockerRunner,
  InventoryEntry,
  MANIFEST_FILE,
  Manifest,
  containerRunning,
  hashFile,
  inspectVolume,
  backupVolumes,
  parseBackupArgs,
  parseRestoreArgs,
  parseStackOutputs,
  parseVolumeSpec,
  planFromStack,
  readManifest,
  restoreScript,
  restoreVolumes,
  restoredVolumeLabels,
  tarCreateArgs,
  timestampDirName,
  validateManifest,
  volumeInventory,
} from "../../scripts/lib/volume-backup";

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, "../..");
const IMAGE = "k6obs-test/busybox:local";
const docker = new DockerCli();
const prefix = `k6obs-it-${process.pid}`;
const name = (s: string): string => `${prefix}-${s}`;

describe("backup/restore arguments and manifest (no engine)", () => {
  test("--volume takes NAME[:role], the role defaults to data and must be known", () => {
    expect(parseVolumeSpec("k6obs-dev-grafana-data:grafana")).toEqual({
      name: "k6obs-dev-grafana-data",
      role: "grafana",
      containers: [],
    });
    expect(parseVolumeSpec("monitoring_prometheus_data").role).toBe("data");
    expect(() => parseVolumeSpec("v:loki")).toThrow('role "loki" is not one of prometheus, grafana, data');
    expect(() => parseVolumeSpec("bad/name")).toThrow('"bad/name" is not a valid Docker name');
  });

  test("backup and restore flags are strict", () => {
    expect(
      parseBackupArgs(["--volume", "a:prometheus", "--volume=b", "--image", "img:1", "--out", "/x"]),
    ).toEqual({
      volumes: [
        { name: "a", role: "prometheus", containers: [] },
        { name: "b", role: "data", containers: [] },
      ],
      stopContainers: [],
      image: "img:1",
      out: "/x",
      stack: undefined,
    });
    expect(parseBackupArgs(["--help"])).toBe("help");
    expect(() => parseBackupArgs(["--volme", "a"])).toThrow('unknown argument "--volme"');
    expect(() => parseBackupArgs(["--image"])).toThrow("--image needs a value");
    expect(() => parseBackupArgs(["--volume", "a", "--volume", "a:grafana"])).toThrow(
      "--volume a given twice",
    );
    expect(parseRestoreArgs(["--from", "d", "--volume", "a=b", "--force"])).toEqual({
      from: "d",
      select: [{ source: "a", target: "b" }],
      force: true,
      stopRunning: false,
      image: undefined,
    });
    expect(() => parseRestoreArgs(["--force"])).toThrow("--from <backup directory> is required");
    expect(() => parseRestoreArgs(["--from", "d", "--volume", "a=c", "--volume", "b=c"])).toThrow(
      "two volumes would be restored into c",
    );
  });

  test("the stack's outputs name both volumes, containers and images; missing ones are listed", () => {
    const outputs = parseStackOutputs({
      prometheusVolume: "pv",
      grafanaVolume: "gv",
      prometheusContainer: "pc",
      grafanaContainer: "gc",
      prometheusImage: "prom/prometheus:v3.15.1",
      grafanaImage: "grafana/grafana:13.0.1",
      grafanaUrl: "http://127.0.0.1:3000",
    });
    const plan = planFromStack("dev", outputs);
    expect(plan.helperImage).toBe("prom/prometheus:v3.15.1");
    expect(plan.images).toEqual({ prometheus: "prom/prometheus:v3.15.1", grafana: "grafana/grafana:13.0.1" });
    expect(plan.volumes).toEqual([
      { name: "pv", role: "prometheus", containers: ["pc"] },
      { name: "gv", role: "grafana", containers: ["gc"] },
    ]);
    const withK6 = planFromStack(
      "dev",
      parseStackOutputs({ ...outputs, k6ResultsVolume: "kv" }),
      "local/img:1",
    );
    expect(withK6.helperImage).toBe("local/img:1");
    expect(withK6.volumes[2]).toEqual({ name: "kv", role: "data", containers: [] });
    expect(() => parseStackOutputs({ prometheusVolume: "pv", grafanaVolume: "" })).toThrow(
      "stack outputs lack grafanaVolume, prometheusContainer, grafanaContainer, prometheusImage, grafanaImage",
    );
  });

  test("helper containers never pull, have no network, run as root and read volumes read-only", () => {
    const args = tarCreateArgs("prom/prometheus:v3.15.1", "vol");
    expect(args.join(" ")).toContain(
      "--pull never --network none --user 0:0 --entrypoint tar -v vol:/data:ro",
    );
    expect(restoreScript(false, { uid: 65534, gid: 65534 })).toBe(
      "set -e\ntar -xzf - -C /data --numeric-owner\nfind /data ! -user 65534 -exec chown -h 65534:65534 {} \\;",
    );
    expect(timestampDirName(new Date("2026-11-24T14:35:37.123Z"))).toBe("20261124T143537Z");
  });

  test("a volume restored under its own name keeps every label; under another name not the ownership ones", () => {
    const entry = validateManifest({
      format: "k6-observatory/volume-backup@1",
      createdAt: "2026-11-24T14:35:37.123Z",
      stack: "dev",
      helperImage: "prom/prometheus:v3.15.1",
      images: { prometheus: null, grafana: null },
      volumes: [
        {
          volume: "k6obs-dev-prometheus-data",
          role: "prometheus",
          archive: "a.tar.gz",
          bytes: 1,
          sha256: "a".repeat(64),
          driver: "local",
          labels: {
            "k6obs.stack": "dev",
            "k6obs.role": "prometheus-data",
            "k6obs.retain": "true",
            "com.docker.compose.project": "monitoring",
            team: "perf",
          },
          options: {},
          stoppedContainers: [],
          copyMs: 1,
        },
      ],
    }).volumes[0]!;
    expect(restoredVolumeLabels(entry, "k6obs-dev-prometheus-data")).toEqual({
      labels: entry.labels,
      dropped: {},
    });
    expect(restoredVolumeLabels(entry, "k6obs-prod-prometheus-data")).toEqual({
      labels: { team: "perf" },
      dropped: {
        "k6obs.stack": "dev",
        "k6obs.role": "prometheus-data",
        "k6obs.retain": "true",
        "com.docker.compose.project": "monitoring",
      },
    });
  });

  test("a manifest with a wrong field is rejected naming the field", () => {
    const good = {
      format: "k6-observatory/volume-backup@1",
      createdAt: "2026-11-24T14:35:37.123Z",
      stack: "dev",
      helperImage: "prom/prometheus:v3.15.1",
      images: { prometheus: "prom/prometheus:v3.15.1", grafana: null },
      volumes: [
        {
          volume: "v",
          role: "prometheus",
          archive: "v_20261124T143537Z.tar.gz",
          bytes: 10,
          sha256: "a".repeat(64),
          driver: "local",
          labels: {},
          options: {},
          stoppedContainers: [],
          copyMs: 1,
        },
      ],
    };
    expect(validateManifest(good).volumes).toHaveLength(1);
    const broken = (patch: Record<string, unknown>): unknown => ({
      ...good,
      volumes: [{ ...good.volumes[0], ...patch }],
    });
    expect(() => validateManifest(broken({ archive: "../../etc/passwd" }))).toThrow(
      "volumes[0].archive must be a file name inside the backup directory",
    );
    expect(() => validateManifest(broken({ sha256: "xyz" }))).toThrow("volumes[0].sha256 is not a sha256");
    expect(() => validateManifest({ ...good, format: "other@2" })).toThrow('format is "other@2"');
  });
});

/** Inventory with symlink ownership left out: busybox tar does not restore a symlink's owner. */
function comparable(inv: InventoryEntry[]): InventoryEntry[] {
  return inv.map((e) => (e.type === "l" ? { ...e, uid: -1, gid: -1 } : e));
}

async function sh(volume: string, script: string, user = "0:0"): Promise<string> {
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
const FILL = `set -e
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

async function createFilledVolume(volume: string, labels: Record<string, string> = {}): Promise<void> {
  await docker.exec([
    "volume",
    "create",
    ...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
    volume,
  ]);
  await sh(volume, FILL);
}

/** A container that mounts the volume and stops promptly on SIGTERM, like Prometheus and Grafana. */
async function startUser(container: string, volume: string): Promise<void> {
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

async function startedAt(container: string): Promise<string> {
  return (await docker.exec(["inspect", "--format", "{{.State.StartedAt}}", container])).stdout.trim();
}

function plan(
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

describe("backup and restore against a real Docker Engine", () => {
  // Each test starts several containers and copies tens of MB; on 2 busy cores that can take far
  // longer than jest's 5 s default. Bounded all the same.
  jest.setTimeout(120_000);

  let tmp: string;
  const logs: string[] = [];
  const log = (m: string): void => {
    logs.push(m);
  };

  beforeAll(async () => {
    try {
      // First run on a bare machine: apt-get install docker.io + image build, ~15 s here.
      await run("bash", [path.join(repoRoot, "scripts/start-docker.sh")], { timeout: 280_000 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(
        `the Docker Engine could not be started by scripts/start-docker.sh: ${e.stderr || e.message}`,
        {
          cause: err,
        },
      );
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-backup-it-"));
  }, 300_000);

  afterAll(async () => {
    try {
      const ids = (await docker.exec(["ps", "-aq", "--filter", `name=${prefix}`])).stdout
        .split("\n")
        .filter(Boolean);
      if (ids.length > 0) await docker.exec(["rm", "-f", ...ids]);
      const vols = (await docker.exec(["volume", "ls", "-q", "--filter", `name=${prefix}`])).stdout
        .split("\n")
        .filter(Boolean);
      if (vols.length > 0) await docker.exec(["volume", "rm", "-f", ...vols]);
    } finally {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);

  test("a volume survives backup, deletion and restore: every file's checksum, owner and mode", async () => {
    const vol = name("roundtrip");
    await createFilledVolume(vol, { "k6obs.test": "roundtrip" });
    const before = await volumeInventory(docker, IMAGE, vol);
    expect(before.length).toBeGreaterThan(15);
    expect(before).toContainEqual(expect.objectContaining({ path: "wal/00000001", uid: 65534, gid: 65534 }));
    expect(before).toContainEqual(
      expect.objectContaining({ path: "grafana.db", uid: 472, gid: 0, mode: "600" }),
    );

    const out = path.join(tmp, "roundtrip");
    const manifest = await backupVolumes(docker, plan([{ name: vol }]), out, log);
    const entry = manifest.volumes[0];
    expect(entry).toBeDefined();
    const onDisk = await hashFile(path.join(out, entry!.archive));
    expect(entry).toMatchObject({ volume: vol, role: "data", labels: { "k6obs.test": "roundtrip" } });
    expect(onDisk).toEqual({ sha256: entry!.sha256, bytes: entry!.bytes });
    expect(readManifest(out)).toEqual(manifest);

    await docker.exec(["volume", "rm", vol]);
    await restoreVolumes(docker, { from: out, select: [], force: false, stopRunning: false }, log);

    expect(comparable(await volumeInventory(docker, IMAGE, vol))).toEqual(comparable(before));
    // Recreated with its labels, so Pulumi sees the volume it declared.
    expect((await inspectVolume(docker, vol))?.labels).toEqual({ "k6obs.test": "roundtrip" });
  });

  test("prometheus and grafana volumes end up writable by the image's user (65534, 472)", async () => {
    const prom = name("prom");
    const graf = name("graf");
    await createFilledVolume(prom);
    await createFilledVolume(graf);
    const before = await volumeInventory(docker, IMAGE, graf);
    const out = path.join(tmp, "roles");
    await backupVolumes(
      docker,
      plan([
        { name: prom, role: "prometheus" },
        { name: graf, role: "grafana" },
      ]),
      out,
      log,
    );
    const select = [
      { source: prom, target: name("prom-restored") },
      { source: graf, target: name("graf-restored") },
    ];
    await restoreVolumes(docker, { from: out, select, force: false, stopRunning: false }, log);

    const promInv = await volumeInventory(docker, IMAGE, name("prom-restored"));
    expect(promInv.filter((e) => e.uid !== 65534 || e.gid !== 65534)).toEqual([]);
    const grafInv = await volumeInventory(docker, IMAGE, name("graf-restored"));
    expect(grafInv.filter((e) => e.uid !== 472)).toEqual([]);
    // Files Grafana already owned keep their group; the rest get the image's group 0.
    const gidOf = (inv: InventoryEntry[], p: string): number | undefined =>
      inv.find((e) => e.path === p)?.gid;
    expect(gidOf(grafInv, "plugins/panel/nested/deeper/blob.bin")).toBe(472);
    expect(gidOf(grafInv, "emptyfile")).toBe(0);
    // Content and modes are untouched by the ownership fix.
    const strip = (inv: InventoryEntry[]): unknown =>
      inv.map(({ path: p, type, mode, content }) => [p, type, mode, content]);
    expect(strip(grafInv)).toEqual(strip(before));

    await sh(name("prom-restored"), "touch /data/wal/00000002 /data/new-block", "65534:65534");
    await sh(
      name("graf-restored"),
      "echo x >> /data/grafana.db && mkdir /data/plugins/panel/nested/new",
      "472:0",
    );
  });

  test("a retargeted restore creates the volume without the source's stack labels, so purge-data of that stack never selects it", async () => {
    // A stack name of its own, so that only this test's volumes carry it.
    const stack = `it${process.pid}`;
    const source = name("labelled-src");
    const ownership = {
      "k6obs.stack": stack,
      "k6obs.role": "prometheus-data",
      "k6obs.retain": "true",
      "k6obs.adopted": "false",
      "com.docker.compose.project": "monitoring",
    };
    await createFilledVolume(source, { ...ownership, team: "perf" });
    const out = path.join(tmp, "labelled");
    await backupVolumes(docker, plan([{ name: source, role: "prometheus" }]), out, log);

    const target = name("labelled-target");
    logs.length = 0;
    await restoreVolumes(
      docker,
      { from: out, select: [{ source, target }], force: false, stopRunning: false },
      log,
    );
    expect((await inspectVolume(docker, target))?.labels).toEqual({ team: "perf" });
    expect(logs.join("\n")).toContain(`creating volume ${target} without the ownership labels of ${source}`);
    expect((await volumeInventory(docker, IMAGE, target)).length).toBeGreaterThan(15);

    // purge-data selects by these labels. Without a terminal and --confirm it lists the volumes it
    // would delete and exits 1, deleting nothing.
    const purge = run("bash", [path.join(repoRoot, "scripts/purge-data.sh")], {
      cwd: repoRoot,
      env: { ...process.env, K6OBS_STACK: stack },
      encoding: "utf8",
    });
    const listed = await purge.then(
      (r) => r.stdout,
      (err: { stdout?: string }) => err.stdout ?? "",
    );
    expect(listed).toContain(`  ${source}\n`);
    expect(listed).not.toContain(target);
    expect(await inspectVolume(docker, source)).toBeDefined();

    // Under its own name the volume is the same one again and gets every label back.
    await docker.exec(["volume", "rm", source]);
    await restoreVolumes(docker, { from: out, select: [], force: false, stopRunning: false }, log);
    expect((await inspectVolume(docker, source))?.labels).toEqual({ ...ownership, team: "perf" });
  });

  test("restore refuses a non-empty volume without --force, changes nothing, and replaces it with --force", async () => {
    const vol = name("nonempty");
    await createFilledVolume(vol);
    const out = path.join(tmp, "nonempty");
    await backupVolumes(docker, plan([{ name: vol }]), out, log);
    const backedUp = await volumeInventory(docker, IMAGE, vol);
    await sh(vol, "echo local > /data/local-only && rm /data/emptyfile");
    const edited = await volumeInventory(docker, IMAGE, vol);

    await expect(
      restoreVolumes(docker, { from: out, select: [], force: false, stopRunning: false }, log),
    ).rejects.toThrow(`volume ${vol} is not empty; pass --force to replace its contents`);
    expect(await volumeInventory(docker, IMAGE, vol)).toEqual(edited);

    await restoreVolumes(docker, { from: out, select: [], force: true, stopRunning: false }, log);
    expect(comparable(await volumeInventory(docker, IMAGE, vol))).toEqual(comparable(backedUp));
  });

  test("a corrupted archive is refused before any volume is created or touched", async () => {
    const vol = name("corrupt");
    await createFilledVolume(vol);
    const out = path.join(tmp, "corrupt");
    const manifest: Manifest = await backupVolumes(docker, plan([{ name: vol }]), out, log);
    const archive = path.join(out, manifest.volumes[0]!.archive);
    const bytes = fs.readFileSync(archive);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    fs.writeFileSync(archive, bytes);

    const target = name("corrupt-target");
    await expect(
      restoreVolumes(
        docker,
        { from: out, select: [{ source: vol, target }], force: true, stopRunning: false },
        log,
      ),
    ).rejects.toThrow(
      /refusing to restore; nothing was changed:\n.*does not match the manifest \(sha256 [0-9a-f]{64}/,
    );
    expect(await inspectVolume(docker, target)).toBeUndefined();
  });

  test("a helper image that is not on the host fails clearly, before any container is stopped", async () => {
    const vol = name("noimage");
    const user = name("noimage-user");
    await createFilledVolume(vol);
    await startUser(user, vol);
    const started = await startedAt(user);

    await expect(
      backupVolumes(docker, plan([{ name: vol }], "k6obs-test/absent:none"), path.join(tmp, "noimage"), log),
    ).rejects.toThrow(
      /image k6obs-test\/absent:none is not on this Docker host\. Backup and restore never pull/,
    );
    expect(await startedAt(user)).toBe(started);
    expect(fs.existsSync(path.join(tmp, "noimage"))).toBe(false);

    const out = path.join(tmp, "noimage-ok");
    await backupVolumes(docker, plan([{ name: vol }]), out, log);
    await expect(
      restoreVolumes(
        docker,
        {
          from: out,
          select: [{ source: vol, target: name("noimage-target") }],
          force: false,
          stopRunning: false,
          image: "k6obs-test/absent:none",
        },
        log,
      ),
    ).rejects.toThrow("image k6obs-test/absent:none is not on this Docker host");
    expect(await inspectVolume(docker, name("noimage-target"))).toBeUndefined();
  });

  test("containers that mount the volume are stopped during the copy and started again, also on failure", async () => {
    const vol = name("busy");
    const user = name("busy-user");
    await createFilledVolume(vol);
    await startUser(user, vol);

    // Spy on the real engine: at the moment tar runs, the user container must be stopped.
    const runningDuringCopy: (boolean | undefined)[] = [];
    const spy = (failCopy: boolean): DockerRunner => ({
      async exec(args, io) {
        if (args.includes("tar") && args.includes("-czf")) {
          runningDuringCopy.push(await containerRunning(docker, user));
          if (failCopy) throw new Error("injected copy failure");
        }
        return docker.exec(args, io);
      },
    });

    const first = await startedAt(user);
    const manifest = await backupVolumes(spy(false), plan([{ name: vol }]), path.join(tmp, "busy"), log);
    expect(manifest.volumes[0]?.stoppedContainers).toEqual([user]);
    expect(await containerRunning(docker, user)).toBe(true);
    const second = await startedAt(user);
    expect(second).not.toBe(first);

    const failed = path.join(tmp, "busy-failed");
    await expect(backupVolumes(spy(true), plan([{ name: vol }]), failed, log)).rejects.toThrow(
      "injected copy failure",
    );
    expect(await containerRunning(docker, user)).toBe(true);
    expect(await startedAt(user)).not.toBe(second);
    expect(fs.readdirSync(failed)).toEqual([]); // no partial archive, no manifest
    expect(runningDuringCopy).toEqual([false, false]);

    // Restore refuses while the container runs, and with --stop-running restarts it afterwards.
    await expect(
      restoreVolumes(
        docker,
        { from: path.join(tmp, "busy"), select: [], force: true, stopRunning: false },
        log,
      ),
    ).rejects.toThrow(
      `volume ${vol} is mounted by running container(s) ${user}; stop them (docker stop ${user})`,
    );
    await restoreVolumes(
      docker,
      { from: path.join(tmp, "busy"), select: [], force: true, stopRunning: true },
      log,
    );
    expect(await containerRunning(docker, user)).toBe(true);
  });

  test("an interrupted backup (Ctrl-C kills the helper) starts the stopped service again and leaves no archive", async () => {
    const vol = name("interrupt");
    const user = name("interrupt-user");
    await docker.exec(["volume", "create", vol]);
    // Incompressible data so that gzip runs for a second or two.
    await sh(vol, "head -c 60000000 /dev/urandom > /data/chunk");
    await startUser(user, vol);
    const cli = new DockerCli();
    const interrupting: DockerRunner = {
      exec(args, io) {
        const pending = cli.exec(args, io);
        if (args.includes("-czf")) setTimeout(() => cli.killRunning(), 300);
        return pending;
      },
    };
    const out = path.join(tmp, "interrupt");
    await expect(backupVolumes(interrupting, plan([{ name: vol }]), out, log)).rejects.toThrow(
      "interrupted: the helper container was killed before it finished",
    );
    expect(await containerRunning(docker, user)).toBe(true);
    expect(fs.readdirSync(out)).toEqual([]);
  });

  test("the npm run backup / restore command lines work and exit non-zero with the reason", async () => {
    const vol = name("cli");
    await createFilledVolume(vol);
    // As the npm scripts run them: `node --import tsx` (one process, so Ctrl-C reaches our handler).
    const node = async (script: string, args: string[]): Promise<{ stdout: string; stderr: string }> =>
      run(process.execPath, ["--import", "tsx", script, ...args], { cwd: repoRoot, encoding: "utf8" });
    const out = path.join(tmp, "cli");
    const backup = await node("scripts/backup.ts", [
      "--volume",
      `${vol}:grafana`,
      "--image",
      IMAGE,
      "--out",
      out,
    ]);
    expect(backup.stdout.trim()).toBe(out);
    expect(fs.existsSync(path.join(out, MANIFEST_FILE))).toBe(true);

    await expect(node("scripts/restore.ts", ["--from", out])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`volume ${vol} is not empty; pass --force`),
    });
    const target = name("cli-target");
    const restored = await node("scripts/restore.ts", ["--from", out, "--volume", `${vol}=${target}`]);
    expect(restored.stdout).toContain(`-> ${target}`);
    expect((await volumeInventory(docker, IMAGE, target)).length).toBeGreaterThan(15);
  });
});
