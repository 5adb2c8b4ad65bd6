import { parseBackupArgs, parseRestoreArgs, parseVolumeSpec } from "../../../ops/backup/args";

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
    // Docker's own rule (model/naming.ts): names have at least two characters.
    expect(() => parseVolumeSpec("a")).toThrow('"a" is not a valid Docker name');
  });

  test("backup and restore flags are strict", () => {
    expect(
      parseBackupArgs(["--volume", "va:prometheus", "--volume=vb", "--image", "img:1", "--out", "/x"]),
    ).toEqual({
      volumes: [
        { name: "va", role: "prometheus", containers: [] },
        { name: "vb", role: "data", containers: [] },
      ],
      stopContainers: [],
      image: "img:1",
      out: "/x",
      stack: undefined,
    });
    expect(parseBackupArgs(["--help"])).toBe("help");
    expect(() => parseBackupArgs(["--volme", "va"])).toThrow('unknown argument "--volme"');
    expect(() => parseBackupArgs(["--image"])).toThrow("--image needs a value");
    expect(() => parseBackupArgs(["--volume", "va", "--volume", "va:grafana"])).toThrow(
      "--volume va given twice",
    );
    expect(parseRestoreArgs(["--from", "d", "--volume", "va=vb", "--force"])).toEqual({
      from: "d",
      select: [{ source: "va", target: "vb" }],
      force: true,
      stopRunning: false,
      image: undefined,
    });
    expect(() => parseRestoreArgs(["--force"])).toThrow("--from <backup directory> is required");
    expect(() => parseRestoreArgs(["--from", "d", "--volume", "va=vc", "--volume", "vb=vc"])).toThrow(
      "two volumes would be restored into vc",
    );
  });
});
