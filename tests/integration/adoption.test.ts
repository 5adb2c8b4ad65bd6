import { execFileSync } from "child_process";
import * as path from "path";
import { parseConfig } from "../../config";
import { REPO_ROOT } from "../harness/program";

/**
 * Adopting a docker-compose volume, against a real Docker Engine: the call the Docker provider
 * makes when it "creates" a volume named in config (VolumeCreate with our labels, the same API
 * `docker volume create --label` uses) must hand back the existing volume with every byte and its
 * compose labels intact. That the labels stay foreign is why DataVolumes ignores label changes.
 */
const docker = (...args: string[]): string => execFileSync("docker", args, { encoding: "utf8" }).trim();

describe("adopting the seed user's compose volume", () => {
  let image: string;
  const volume = `monitoring_grafana_data_k6obs_test_${process.pid}`;

  beforeAll(() => {
    const out = execFileSync("bash", [path.join(REPO_ROOT, "tools", "start-docker.sh")], {
      encoding: "utf8",
    });
    image = out.trim().split("\n").pop() ?? "";
    expect(image).not.toBe("");
    docker("volume", "rm", "-f", volume);
    // What `docker compose up` leaves behind for project "monitoring".
    docker(
      "volume",
      "create",
      "--label",
      "com.docker.compose.project=monitoring",
      "--label",
      "com.docker.compose.volume=grafana_data",
      volume,
    );
    docker(
      "run",
      "--rm",
      "--network",
      "none",
      "--user",
      "0",
      "--entrypoint",
      "sh",
      "-v",
      `${volume}:/var/lib/grafana`,
      image,
      "-c",
      "echo 'days of dashboards' > /var/lib/grafana/grafana.db && mkdir -p /var/lib/grafana/plugins && chown -R 472:472 /var/lib/grafana",
    );
  }, 600_000);

  afterAll(() => {
    if (image) docker("volume", "rm", "-f", volume);
  });

  test("the stack config names the existing volume under its real name", () => {
    const cfg = parseConfig((k) => (k === "grafanaVolumeName" ? volume : undefined), {
      stack: "dev",
      repoRoot: REPO_ROOT,
    });
    expect(cfg.volumes.grafana).toEqual({ name: volume, adopted: true });
  });

  test("creating it again, as pulumi up does, returns the same volume with its data and labels untouched", () => {
    const before = JSON.parse(docker("volume", "inspect", volume))[0];
    docker(
      "volume",
      "create",
      "--label",
      "k6obs.stack=dev",
      "--label",
      "k6obs.role=grafana-data",
      "--label",
      "k6obs.retain=true",
      volume,
    );
    const after = JSON.parse(docker("volume", "inspect", volume))[0];
    expect(after.CreatedAt).toBe(before.CreatedAt);
    expect(after.Mountpoint).toBe(before.Mountpoint);
    expect(after.Labels).toEqual({
      "com.docker.compose.project": "monitoring",
      "com.docker.compose.volume": "grafana_data",
    });

    const listing = docker(
      "run",
      "--rm",
      "--network",
      "none",
      "--user",
      "472",
      "--entrypoint",
      "sh",
      "-v",
      `${volume}:/var/lib/grafana`,
      image,
      "-c",
      "cat /var/lib/grafana/grafana.db && touch /var/lib/grafana/written-by-472 && stat -c '%u' /var/lib/grafana/grafana.db",
    );
    expect(listing.split("\n")).toEqual(["days of dashboards", "472"]);
  });
});
