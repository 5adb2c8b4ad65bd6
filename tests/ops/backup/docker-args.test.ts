import { restoreScript, tarCreateArgs } from "../../../ops/backup/docker-args";
import { timestampDirName } from "../../../ops/backup/manifest";

describe("backup/restore arguments and manifest (no engine)", () => {
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
});
