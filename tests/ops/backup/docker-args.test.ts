import { stageScript, swapScript, tarCreateArgs } from "../../../ops/backup/docker-args";
import { timestampDirName } from "../../../ops/backup/manifest";

describe("backup/restore arguments and manifest (no engine)", () => {
  test("helper containers never pull, have no network, run as root and read volumes read-only", () => {
    const args = tarCreateArgs("prom/prometheus:v3.15.1", "vol");
    expect(args.join(" ")).toContain(
      "--pull never --network none --user 0:0 --entrypoint tar -v vol:/data:ro",
    );
    // Staging extracts beside the current contents; only the swap, renames within the volume, replaces them.
    expect(stageScript({ uid: 65534, gid: 65534 })).toBe(
      [
        "set -e",
        "rm -rf /data/.k6obs-restore-staging /data/.k6obs-restore-staged",
        "mkdir /data/.k6obs-restore-staging",
        "tar -xzf - -C /data/.k6obs-restore-staging --numeric-owner",
        "find /data/.k6obs-restore-staging ! -user 65534 -exec chown -h 65534:65534 {} \\;",
        "touch /data/.k6obs-restore-staged",
      ].join("\n"),
    );
    expect(swapScript()).toContain("test -e .k6obs-restore-staged\n");
    expect(swapScript()).not.toMatch(/tar|rm -rf \/data\b/);
    expect(timestampDirName(new Date("2026-11-24T14:35:37.123Z"))).toBe("20261124T143537Z");
  });
});
