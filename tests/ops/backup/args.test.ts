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
});
