/**
 * Backup and restore against a real Docker Engine: the services that use a volume, a missing
 * image, Ctrl-C and the command lines. beforeAll runs tools/start-docker.sh, which
 * installs Debian's docker.io and starts dockerd if needed and builds the helper image
 * k6obs-test/busybox:local from busybox-static (no registry). If the engine cannot be started,
 * every test here fails with the script's reason: these tests never skip.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { backupVolumes } from "../../ops/backup/backup";
import { DockerCli, DockerRunner } from "../../ops/backup/docker";
import { containerRunning, inspectVolume } from "../../ops/backup/docker-queries";
import { volumeInventory } from "../../ops/backup/inventory";
import { MANIFEST_FILE } from "../../ops/backup/manifest";
import { restoreVolumes } from "../../ops/backup/restore";
import {
  IMAGE,
  createFilledVolume,
  docker,
  name,
  plan,
  repoRoot,
  run,
  sh,
  startUser,
  startedAt,
  useDockerVolumeSuite,
} from "../harness/docker-volumes";

describe("backup and restore against a real Docker Engine: services and command lines", () => {
  let tmp: string;
  const { log } = useDockerVolumeSuite((dir) => {
    tmp = dir;
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
    const backup = await node("ops/backup/backup-cli.ts", [
      "--volume",
      `${vol}:grafana`,
      "--image",
      IMAGE,
      "--out",
      out,
    ]);
    expect(backup.stdout.trim()).toBe(out);
    expect(fs.existsSync(path.join(out, MANIFEST_FILE))).toBe(true);

    await expect(node("ops/backup/restore-cli.ts", ["--from", out])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`volume ${vol} is not empty; pass --force`),
    });
    const target = name("cli-target");
    const restored = await node("ops/backup/restore-cli.ts", ["--from", out, "--volume", `${vol}=${target}`]);
    expect(restored.stdout).toContain(`-> ${target}`);
    expect((await volumeInventory(docker, IMAGE, target)).length).toBeGreaterThan(15);
  });
});

describe("backup files are private", () => {
  const { log } = useDockerVolumeSuite(() => undefined);
  test("the backup directory is 0700 and every archive and the manifest 0600", async () => {
    const vol = name("private");
    await createFilledVolume(vol);
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-private-")), "b");
    await backupVolumes(docker, plan([{ name: vol }]), out, log);
    expect((fs.statSync(out).mode & 0o777).toString(8)).toBe("700");
    for (const f of fs.readdirSync(out)) {
      expect({ f, mode: (fs.statSync(path.join(out, f)).mode & 0o777).toString(8) }).toEqual({
        f,
        mode: "600",
      });
    }
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  });
});
