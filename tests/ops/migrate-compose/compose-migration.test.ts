import { parseConfig } from "../../../config";
import {
  ComposeMigration,
  composeToConfig,
  renderCommands,
} from "../../../ops/migrate-compose/compose-migration";
import { REPO_ROOT } from "../../harness/program";

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

/** The seed stack with another admin password (a typical compose one is short). */
const withPassword = (password: string) =>
  SEED.replace("GF_SECURITY_ADMIN_PASSWORD=s3cret-from-compose", `GF_SECURITY_ADMIN_PASSWORD=${password}`);

/** parseConfig of a migration's settings as `npm run up` would see them (the password encrypted). */
const parseMigration = (m: ComposeMigration) =>
  parseConfig((k) => m.settings.find((s) => s.key === k)?.value, {
    stack: "dev",
    repoRoot: REPO_ROOT,
    isSecret: (k) => m.settings.some((s) => s.key === k && s.secret),
  });

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

  test.each([
    ["the seed stack", SEED],
    ["a short admin password", withPassword("admin")],
    ["a password with whitespace", withPassword("correct horse battery")],
    [
      "a privileged port and a non-loopback address",
      SEED.replace('"127.0.0.1:3001:3000"', '"192.168.1.10:80:3000"'),
    ],
  ])("the generated settings are valid stack config: %s", (_, yaml) => {
    const m = composeToConfig(yaml, "monitoring");
    expect(m.settings.length).toBeGreaterThan(0);
    expect(() => parseMigration(m)).not.toThrow();
  });

  test('a short compose password ("admin") is not set; a note says why and what happens instead', () => {
    const m = composeToConfig(withPassword("admin"), "monitoring");
    expect(m.settings.map((s) => s.key)).not.toContain("grafanaAdminPassword");
    // The other settings are still carried over.
    expect(settingsOf(withPassword("admin"))).toMatchObject({
      grafanaAdminUser: "research",
      grafanaPort: "3001",
    });
    const note = m.notes.find((n) => n.includes("grafanaAdminPassword"));
    expect(note).toContain("grafanaAdminPassword from services.grafana.environment is not set");
    expect(note).toContain(
      "(secret, 5 characters) is not allowed: at least 12 characters without whitespace",
    );
    expect(note).toContain("generates a password and applies it to the adopted grafana.db on start");
    expect(note).toContain("config set --secret grafanaAdminPassword");
    expect(m.notes.join("\n")).not.toContain("The admin password from the compose file is set");
    expect(renderCommands(m, true).join("\n")).not.toContain("grafanaAdminPassword");
    expect(parseMigration(m).grafanaAdminPassword).toBeUndefined();
  });

  test("a rejected password is never echoed, not even in the note", () => {
    const m = composeToConfig(withPassword("correct horse battery"), "monitoring");
    expect(m.settings.map((s) => s.key)).not.toContain("grafanaAdminPassword");
    expect(m.notes.join("\n")).toContain("(secret, 21 characters) is not allowed");
    expect(JSON.stringify(m)).not.toContain("horse");
  });

  test("any other setting the stack would reject is dropped with a note naming it, why and the value used instead", () => {
    const m = composeToConfig(SEED.replace('"127.0.0.1:3001:3000"', '"192.168.1.10:80:3000"'), "monitoring");
    const s = Object.fromEntries(m.settings.map((x) => [x.key, x.value]));
    expect(s.grafanaPort).toBeUndefined();
    expect(s.bindAddress).toBeUndefined();
    const notes = m.notes.join("\n");
    expect(notes).toContain(
      'grafanaPort from services.grafana.ports 192.168.1.10:80:3000 is not set: the stack would reject it (k6-observatory:grafanaPort = "80" is not allowed: a whole number from 1024 to 65535',
    );
    expect(notes).toContain('Instead grafanaPort stays "3000"');
    expect(notes).toContain("bindAddress from services.grafana ports host address is not set");
    expect(notes).toContain("unless k6-observatory:allowNonLoopbackBind is true");
    expect(notes).toContain('Instead bindAddress stays "127.0.0.1"');

    // Checked together with the settings before it: Grafana on Prometheus' default port.
    const clash = composeToConfig(
      `services:\n  grafana: { image: grafana/grafana:10.0.0, ports: ["127.0.0.1:9090:3000"] }\n`,
      "x",
    );
    expect(clash.settings).toEqual([]);
    expect(clash.notes.join("\n")).toContain(
      "grafanaPort from services.grafana.ports 127.0.0.1:9090:3000 is not set",
    );
  });

  test("an adopted volume the stack would reject is not set, and the note says its data is not adopted", () => {
    const m = composeToConfig(
      `services:\n  prom: { image: prom/prometheus:v3.1.0, volumes: ["tsdb:/prometheus"] }\nvolumes:\n  tsdb: { name: k6obs-dev-k6-results }\n`,
      "x",
    );
    expect(m.settings).toEqual([]);
    expect(m.notes.join("\n")).toContain(
      "prometheusVolumeName from services.prom.volumes (tsdb -> Docker volume k6obs-dev-k6-results) is not set",
    );
    expect(m.notes.join("\n")).toContain(
      "the stack uses its own new, empty volume k6obs-dev-prometheus-data and the compose data is NOT adopted",
    );
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

  test("explains what changes: each service's address on its own, anonymous access turned off", () => {
    const m = composeToConfig(SEED, "monitoring");
    const notes = m.notes.join("\n");
    // Grafana on 127.0.0.1 is kept; Prometheus on every interface is not exposed without its own consent.
    expect(m.settings.find((x) => x.key === "prometheusBindAddress")).toBeUndefined();
    expect(notes).toContain(
      "services.prometheus publishes ports on every interface. This stack binds 127.0.0.1 by default; to keep exposing it set k6-observatory:prometheusBindAddress 0.0.0.0 and allowNonLoopbackPrometheusBind true (Prometheus then requires basic auth",
    );
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
