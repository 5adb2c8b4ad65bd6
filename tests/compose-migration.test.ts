import { ConfigKey, parseConfig } from "../components/config";
import { composeToConfig, renderCommands } from "../scripts/lib/compose-migration";
import { REPO_ROOT } from "./helpers/program";

// The seed user's stack, as most k6 + Prometheus + Grafana compose files look.
const SEED = `
services:
  prometheus:
    image: prom/prometheus:v2.53.0
    command:
      - --config.file=/etc/prometheus/prometheus.yml
      - --web.enable-remote-write-receiver
      - --storage.tsdb.retention.time=60d
    ports: ["9090:9090"]
    volumes:
      - ./prometheus.yml:/etc/prometheus/prometheus.yml
      - prometheus_data:/prometheus
  grafana:
    image: grafana/grafana:10.4.2
    ports: ["127.0.0.1:3001:3000"]
    environment:
      - GF_SECURITY_ADMIN_USER=research
      - GF_SECURITY_ADMIN_PASSWORD=s3cret-from-compose
      - GF_AUTH_ANONYMOUS_ENABLED=true
    volumes:
      - grafana_data:/var/lib/grafana
  k6:
    image: grafana/k6:0.50.0
volumes:
  prometheus_data:
  grafana_data:
`;

const settingsOf = (yaml: string, project = "monitoring") =>
  Object.fromEntries(composeToConfig(yaml, project).settings.map((s) => [s.key, s.value]));

describe("docker-compose migration", () => {
  test("maps the seed stack's volumes to their real, project-prefixed Docker names", () => {
    const s = settingsOf(SEED);
    expect(s.prometheusVolumeName).toBe("monitoring_prometheus_data");
    expect(s.grafanaVolumeName).toBe("monitoring_grafana_data");
  });

  test("maps ports, bind address, retention and admin credentials", () => {
    expect(settingsOf(SEED)).toEqual({
      prometheusVolumeName: "monitoring_prometheus_data",
      grafanaVolumeName: "monitoring_grafana_data",
      grafanaPort: "3001",
      prometheusRetentionTime: "60d",
      grafanaAdminUser: "research",
      grafanaAdminPassword: "s3cret-from-compose",
    });
  });

  test("the generated settings are valid stack config", () => {
    const s = settingsOf(SEED) as Partial<Record<ConfigKey, string>>;
    expect(() => parseConfig((k) => s[k], { stack: "dev", repoRoot: REPO_ROOT })).not.toThrow();
  });

  test("the password is set with --secret and masked unless asked", () => {
    const m = composeToConfig(SEED, "monitoring");
    const lines = renderCommands(m);
    expect(lines).toContainEqual(
      expect.stringContaining("config set --secret grafanaAdminPassword '<the password"),
    );
    expect(lines.join("\n")).not.toContain("s3cret-from-compose");
    expect(renderCommands(m, true).join("\n")).toContain(
      "config set --secret grafanaAdminPassword s3cret-from-compose",
    );
  });

  test("explains what changes: mixed bind addresses, anonymous access turned off", () => {
    const notes = composeToConfig(SEED, "monitoring").notes.join("\n");
    expect(notes).toContain("different addresses");
    expect(notes).toContain("Anonymous access was on");
  });

  test("honours the compose `name:`, explicit volume names and external volumes; normalises the project", () => {
    const yaml = `
name: Perf-Lab
services:
  prom: { image: "docker.io/prom/prometheus:v3.1.0", volumes: [{ type: volume, source: tsdb, target: /prometheus }] }
  graf: { image: "grafana/grafana-oss:11.0.0", volumes: ["gdata:/var/lib/grafana/"] }
volumes:
  tsdb: { name: lab-tsdb }
  gdata: { external: true }
`;
    expect(settingsOf(yaml)).toEqual({ prometheusVolumeName: "lab-tsdb", grafanaVolumeName: "gdata" });
    expect(settingsOf(yaml.replace("{ name: lab-tsdb }", "{}"))).toMatchObject({
      prometheusVolumeName: "perf-lab_tsdb",
    });
  });

  test("a bind-mounted data directory cannot be adopted as a volume and says how to copy it", () => {
    const yaml = `
services:
  grafana: { image: grafana/grafana:10.0.0, volumes: ["./grafana-data:/var/lib/grafana"] }
`;
    const m = composeToConfig(yaml, "x");
    expect(m.settings.find((s) => s.key === "grafanaVolumeName")).toBeUndefined();
    expect(m.notes.join("\n")).toContain(
      "bind-mounts ./grafana-data on /var/lib/grafana. Copy it into a volume first",
    );
  });

  test("ports published on every interface are not silently exposed by this stack", () => {
    const m = composeToConfig(
      `services:\n  grafana: { image: grafana/grafana:10.0.0, ports: ["3000:3000"] }\n`,
      "x",
    );
    expect(m.settings).toEqual([]);
    expect(m.notes.join("\n")).toContain("publishes ports on every interface");
  });
});
