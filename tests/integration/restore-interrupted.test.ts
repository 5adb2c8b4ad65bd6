/**
 * A restore interrupted at each phase, against a real Docker Engine: it stages the archive inside
 * the volume beside its contents and swaps with renames only, so whatever phase an interrupt (or a
 * failure) hits, the volume holds either its previous contents or the whole backup, never a part;
 * services start again only on a consistent volume; the error says which volume is in which state.
 * Each interrupt is triggered when the restore issues that phase's Docker command, so the test
 * hits the phase deterministically.
 */
import * as path from "node:path";
import { backupVolumes } from "../../ops/backup/backup";
import { DockerCli, DockerRunner } from "../../ops/backup/docker";
import { containerRunning } from "../../ops/backup/docker-queries";
import { volumeInventory } from "../../ops/backup/inventory";
import { RestoreInterrupted, restoreVolumes } from "../../ops/backup/restore";
import {
  IMAGE,
  comparable,
  createFilledVolume,
  docker,
  name,
  plan,
  sh,
  startUser,
  useDockerVolumeSuite,
} from "../harness/docker-volumes";

describe("restore interrupted in each phase", () => {
  let tmp: string;
  const { log } = useDockerVolumeSuite((dir) => {
    tmp = dir;
  });

  /** A backed-up volume whose current contents then differ from the backup, with a running user. */
  async function prepared(tag: string, big = false) {
    const vol = name(tag);
    const user = name(`${tag}-user`);
    await createFilledVolume(vol);
    // Incompressible data so that extracting takes long enough to be killed in the middle.
    if (big) await sh(vol, "head -c 60000000 /dev/urandom > /data/chunk");
    const out = path.join(tmp, tag);
    await backupVolumes(docker, plan([{ name: vol }]), out, log);
    const backedUp = await volumeInventory(docker, IMAGE, vol);
    await sh(vol, "echo after-backup > /data/local-only && rm -f /data/emptyfile");
    const current = await volumeInventory(docker, IMAGE, vol);
    await startUser(user, vol);
    return { vol, user, out, backedUp, current };
  }

  /** A Docker runner that aborts (or fails) when the restore issues the command `when` matches. */
  function trigger(when: (args: readonly string[]) => boolean, action: "abort" | "fail", delayMs = 0) {
    const controller = new AbortController();
    const cli = new DockerCli();
    const runner: DockerRunner = {
      exec(args, io) {
        if (when(args)) {
          if (action === "fail") return Promise.reject(new Error("simulated engine failure"));
          setTimeout(() => controller.abort(), delayMs);
        }
        return cli.exec(args, io);
      },
    };
    return { runner, control: { signal: controller.signal, killHelper: () => cli.killRunning() } };
  }
  const isStop = (a: readonly string[]) => a[0] === "stop";
  const isStage = (a: readonly string[]) => a.some((x) => x.includes("mkdir /data/.k6obs-restore-staging"));
  const isSwap = (a: readonly string[]) => a.some((x) => x.includes("test -e .k6obs-restore-staged"));
  const args = (from: string) => ({ from, select: [], force: true, stopRunning: true });

  test("while its users are stopped: nothing changes and they start again", async () => {
    const p = await prepared("int-stop");
    const t = trigger(isStop, "abort");
    const err = await restoreVolumes(t.runner, args(p.out), log, t.control).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestoreInterrupted);
    expect((err as Error).message).toContain(`interrupted while stopping the users of ${p.vol}`);
    expect((err as Error).message).toContain(`not restored, contents unchanged: ${p.vol}`);
    expect(await volumeInventory(docker, IMAGE, p.vol)).toEqual(p.current);
    expect(await containerRunning(docker, p.user)).toBe(true);
  });

  test("while extracting: the helper is killed, the volume keeps its contents, no staging is left", async () => {
    const p = await prepared("int-stage", true);
    const t = trigger(isStage, "abort", 400);
    const err = await restoreVolumes(t.runner, args(p.out), log, t.control).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestoreInterrupted);
    expect((err as Error).message).toContain(`interrupted while extracting into ${p.vol}`);
    expect((err as Error).message).toContain(`not restored, contents unchanged: ${p.vol}`);
    expect(await volumeInventory(docker, IMAGE, p.vol)).toEqual(p.current);
    expect(await containerRunning(docker, p.user)).toBe(true);
  });

  test("while swapping: the swap (renames) finishes, the volume holds the whole backup, users start again", async () => {
    const p = await prepared("int-swap");
    const t = trigger(isSwap, "abort");
    await restoreVolumes(t.runner, args(p.out), log, t.control);
    expect(comparable(await volumeInventory(docker, IMAGE, p.vol))).toEqual(comparable(p.backedUp));
    expect(await containerRunning(docker, p.user)).toBe(true);
  });

  test("a failed swap says the volume may be inconsistent and leaves its users stopped", async () => {
    const p = await prepared("int-swapfail");
    const t = trigger(isSwap, "fail");
    const err = await restoreVolumes(t.runner, args(p.out), log, t.control).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestoreInterrupted);
    expect((err as RestoreInterrupted).keepStopped).toBe(true);
    expect((err as Error).message).toContain(`${p.vol} MAY BE INCONSISTENT`);
    expect(await containerRunning(docker, p.user)).toBe(false);
    // What is left is exactly the previous contents plus the complete staging; a retry finishes it.
    await restoreVolumes(docker, args(p.out), log);
    expect(comparable(await volumeInventory(docker, IMAGE, p.vol))).toEqual(comparable(p.backedUp));
  });
});
