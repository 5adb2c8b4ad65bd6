import { restoredVolumeLabels } from "../../../ops/backup/labels";
import { validateManifest } from "../../../ops/backup/manifest";

describe("backup/restore arguments and manifest (no engine)", () => {
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
});
