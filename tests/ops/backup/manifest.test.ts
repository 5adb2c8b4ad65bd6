import { validateManifest } from "../../../ops/backup/manifest";

describe("backup/restore arguments and manifest (no engine)", () => {
  test("a manifest with a wrong field is rejected naming the field", () => {
    const good = {
      format: "k6-observatory/volume-backup@1",
      createdAt: "2026-11-24T14:35:37.123Z",
      stack: "dev",
      helperImage: "prom/prometheus:v3.15.1",
      images: { prometheus: "prom/prometheus:v3.15.1", grafana: null },
      volumes: [
        {
          volume: "vol",
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
