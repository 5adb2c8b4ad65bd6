/**
 * Backup and restore against a real Docker Engine: what a volume holds survives the round trip
 * (files, owners, modes, labels) or is refused untouched. beforeAll runs tools/start-docker.sh,
 * which installs Debian's docker.io and starts dockerd if needed and builds the helper image
 * k6obs-test/busybox:local from busybox-static (no registry). If the engine cannot be started,
 * every test here fails with the script's reason: these tests never skip.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { backupVolumes } from "../../ops/backup/backup";
import { inspectVolume } from "../../ops/backup/docker-queries";
import { InventoryEntry, volumeInventory } from "../../ops/backup/inventory";
import { Manifest, hashFile, readManifest } from "../../ops/backup/manifest";
import { restoreVolumes } from "../../ops/backup/restore";
import {
  IMAGE,
  comparable,
  createFilledVolume,
  docker,
  name,
  plan,
  repoRoot,
  run,
  sh,
  useDockerVolumeSuite,
} from "../harness/docker-volumes";

describe("backup and restore against a real Docker Engine", () => {
  let tmp: string;
  const { log, logs } = useDockerVolumeSuite((dir) => {
    tmp = dir;
  });

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
    const purge = run("bash", [path.join(repoRoot, "ops/purge-data/purge-data.sh")], {
      cwd: repoRoot,
      env: { ...process.env, K6OBS_STACK: stack },
      encoding: "utf8",
    });
    const listed = await purge.then(
      (r) => r.stdout,
      (err: { stdout?: string }) => err.stdout ?? "",
    );
    expect(listed).toContain(`  ${source}   (labelled k6obs.stack=${stack})\n`);
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
});
