// About 400 lines: the program's resource graph under mocks, one describe per promise (graph,
// volumes, services, secrets, per-stack options), sharing one program run per config.
import * as fs from "fs";
import * as path from "path";
import { GRAFANA_PROMETHEUS_PASSWORD_FILE } from "../../model/prometheus";
import {
  DeclaredResource,
  PROMETHEUS_PASSWORD_MOCK,
  ProgramRun,
  programRoot,
  runProgram,
} from "../harness/program";

/** Where runProgram runs the program (a scratch checkout of this repo). */
const REPO_ROOT = programRoot();

type Mount = { type: string; source: string; target: string; readOnly?: boolean };
type Port = { internal: number; external: number; ip: string };

const VOLUME = "docker:index/volume:Volume";
const CONTAINER = "docker:index/container:Container";
const envOf = (c: DeclaredResource): Record<string, string> =>
  Object.fromEntries(
    (c.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
  );
/** Gauges k6 derives from its built-in trends in stats mode, e.g. k6_http_req_duration_p95. */
const TREND_STAT_SERIES =
  /\bk6_(?:http_req_[a-z_]+?|iteration_duration|group_duration)_(p\d+|min|max|avg|med)\b/g;

/** Every PromQL expression of every dashboard JSON in dir. */
function exprsIn(dir: string): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      for (const [k, v] of Object.entries(node)) {
        if ((k === "expr" || k === "query") && typeof v === "string") out.push(v);
        else walk(v);
      }
    }
  };
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".json"))) {
    walk(JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")));
  }
  return out;
}
const mountsOf = (c: DeclaredResource) => (c.inputs.mounts as Mount[] | undefined) ?? [];

describe("the dev stack with default config", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram();
  });

  test("declares the data volumes, network, Prometheus, Grafana and the k6 run", () => {
    expect(run.resources.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        "docker:index/container:Container k6obs-alertmanager-container",
        "docker:index/container:Container k6obs-grafana-container",
        "docker:index/container:Container k6obs-k6-container",
        "docker:index/container:Container k6obs-prometheus-container",
        "docker:index/container:Container k6obs-prometheus-reload",
        "docker:index/network:Network k6obs-network",
        "docker:index/remoteImage:RemoteImage k6obs-alertmanager-image",
        "docker:index/remoteImage:RemoteImage k6obs-grafana-image",
        "docker:index/remoteImage:RemoteImage k6obs-k6-image",
        "docker:index/remoteImage:RemoteImage k6obs-prometheus-image",
        "docker:index/volume:Volume k6obs-data-alertmanager",
        "docker:index/volume:Volume k6obs-data-grafana",
        "docker:index/volume:Volume k6obs-data-k6-results",
        "docker:index/volume:Volume k6obs-data-prometheus",
        "k6obs:stack:Alertmanager k6obs-alertmanager",
        "k6obs:stack:DataVolumes k6obs-data",
        "k6obs:stack:Grafana k6obs-grafana",
        "k6obs:stack:K6Run k6obs-k6",
        "k6obs:stack:Observatory k6obs",
        "k6obs:stack:Prometheus k6obs-prometheus",
        "pulumi:pulumi:StackReference last-deployment",
        "random:index/randomPassword:RandomPassword k6obs-grafana-admin-password",
        "random:index/randomPassword:RandomPassword k6obs-prometheus-password",
        "random:index/randomString:RandomString k6obs-k6-run-id",
      ].sort(),
    );
  });

  test("volumes live in their own component, apart from every service", () => {
    for (const v of run.resources.filter((r) => r.type === VOLUME)) {
      expect(v.opts.parent).toMatch(/k6obs:stack:DataVolumes::k6obs-data$/);
    }
    for (const c of run.resources.filter((r) => r.type === CONTAINER)) {
      expect(c.opts.parent).not.toMatch(/DataVolumes/);
    }
    expect(run.one("k6obs:stack:DataVolumes", "k6obs-data").opts.parent).toMatch(
      /k6obs:stack:Observatory::k6obs$/,
    );
  });

  test("every data volume has a fixed stack-scoped name, is retained on delete and never replaced for labels", () => {
    const volumes = run.resources.filter((r) => r.type === VOLUME);
    expect(volumes.map((v) => v.inputs.name).sort()).toEqual([
      "k6obs-dev-alertmanager-data",
      "k6obs-dev-grafana-data",
      "k6obs-dev-k6-results",
      "k6obs-dev-prometheus-data",
    ]);
    for (const v of volumes) {
      expect(v.opts.retainOnDelete).toBe(true);
      expect(v.opts.protect).toBe(false);
      expect(v.opts.ignoreChanges).toEqual(expect.arrayContaining(["labels", "driver", "driverOpts"]));
      expect(v.inputs.labels).toEqual(expect.arrayContaining([{ label: "k6obs.retain", value: "true" }]));
    }
  });

  test("Prometheus' TSDB volume is mounted where --storage.tsdb.path points", () => {
    const prom = run.one("Container", "prometheus-container");
    const tsdbPath = (prom.inputs.command as string[])
      .find((f) => f.startsWith("--storage.tsdb.path="))
      ?.split("=")[1];
    expect(tsdbPath).toBe("/prometheus");
    expect(mountsOf(prom)).toContainEqual({
      type: "volume",
      source: "k6obs-dev-prometheus-data",
      target: tsdbPath,
    });
  });

  test("Grafana's volume is mounted on /var/lib/grafana", () => {
    expect(mountsOf(run.one("Container", "grafana-container"))).toContainEqual({
      type: "volume",
      source: "k6obs-dev-grafana-data",
      target: "/var/lib/grafana",
    });
  });

  test("provisioning is bind-mounted read-only, by absolute path, from directories in this repo", () => {
    const binds = run.resources
      .filter((r) => r.type === CONTAINER)
      .flatMap((c) => mountsOf(c).filter((m) => m.type === "bind"))
      // The per-stack scrape targets directory is not provisioning (tests/program/scrape-targets).
      .filter((m) => !m.source.startsWith(path.join(REPO_ROOT, ".k6obs") + path.sep));
    expect(binds.length).toBeGreaterThanOrEqual(6);
    for (const m of binds) {
      expect(path.isAbsolute(m.source)).toBe(true);
      expect(m.source.startsWith(path.join(REPO_ROOT, "provisioning") + path.sep)).toBe(true);
      expect(m.readOnly).toBe(true);
    }
    expect(
      mountsOf(run.one("Container", "grafana-container")).map((m) => [
        m.target,
        m.type === "bind" ? path.relative(REPO_ROOT, m.source) : m.source,
      ]),
    ).toEqual([
      ["/var/lib/grafana", "k6obs-dev-grafana-data"],
      ["/etc/grafana/provisioning", "provisioning/grafana/provisioning"],
      ["/etc/grafana/dashboards/k6", "provisioning/grafana/dashboards/stats"],
      ["/etc/grafana/dashboards/observatory", "provisioning/grafana/dashboards/common"],
      ["/etc/grafana/dashboards/team", "provisioning/grafana/dashboards/team"],
    ]);
  });

  test("host ports are published on loopback only", () => {
    const ports = run.resources
      .filter((r) => r.type === CONTAINER)
      .flatMap((c) => (c.inputs.ports as Port[] | undefined) ?? []);
    expect(ports).toEqual([
      expect.objectContaining({ internal: 9090, external: 9090, ip: "127.0.0.1" }),
      expect.objectContaining({ internal: 9093, external: 9093, ip: "127.0.0.1" }),
      expect.objectContaining({ internal: 3000, external: 3000, ip: "127.0.0.1" }),
    ]);
    expect(run.outputs.grafanaUrl).toBe("http://127.0.0.1:3000");
    expect(run.outputs.prometheusUrl).toBe("http://127.0.0.1:9090");
  });

  test("images are pinned exact versions, kept on the host at destroy, and containers run them by id", () => {
    const images = run.resources.filter((r) => r.type === "docker:index/remoteImage:RemoteImage");
    expect(images.map((i) => i.inputs.name).sort()).toEqual([
      "grafana/grafana:13.0.1",
      "grafana/k6:1.8.1",
      "prom/alertmanager:v0.35.0",
      "prom/prometheus:v3.15.1",
    ]);
    for (const i of images) expect(i.inputs.keepLocally).toBe(true);
    for (const c of run.resources.filter((r) => r.type === CONTAINER)) {
      expect(c.inputs.image).toMatch(/^sha256:/);
    }
  });

  test("long-running containers: fixed names, delete-before-replace, healthchecks applied on change, restart policy", () => {
    for (const role of ["prometheus-container", "grafana-container", "alertmanager-container"]) {
      const c = run.one("Container", role);
      expect(c.opts.deleteBeforeReplace).toBe(true);
      expect(c.opts.replaceOnChanges).toContain("healthcheck");
      expect(c.inputs.restart).toBe("unless-stopped");
      expect(c.inputs.wait).toBe(true);
    }
    expect(run.one("Network", "k6obs-network").opts.deleteBeforeReplace).toBe(true);
    expect(
      (run.one("Container", "prometheus-container").inputs.healthcheck as { tests: string[] }).tests.join(
        " ",
      ),
    ).toContain("/-/ready");
    expect(
      (run.one("Container", "grafana-container").inputs.healthcheck as { tests: string[] }).tests.join(" "),
    ).toContain("/api/health");
  });

  test("no container is root or privileged, and none can gain privileges", () => {
    const containers = run.resources.filter((r) => r.type === CONTAINER);
    for (const c of containers) {
      expect(c.inputs.securityOpts).toContain("no-new-privileges:true");
      expect(c.inputs.privileged).toBeFalsy();
      expect(c.inputs.user).not.toMatch(/^(0|root)(:|$)/);
    }
    expect(run.one("Container", "prometheus-container").inputs.user).toBe("65534:65534");
    expect(run.one("Container", "grafana-container").inputs.user).toBe("472");
    expect(run.one("Container", "k6-container").inputs.user).toBe("12345");
  });

  test("Prometheus receives remote write, reloads on demand and retains by time and size", () => {
    const flags = run.one("Container", "prometheus-container").inputs.command as string[];
    expect(flags).toEqual(
      expect.arrayContaining([
        "--web.enable-remote-write-receiver",
        "--web.enable-lifecycle",
        "--storage.tsdb.retention.time=30d",
        "--storage.tsdb.retention.size=10GB",
        "--config.file=/etc/prometheus/prometheus.yml",
      ]),
    );
    const reload = run.one("Container", "prometheus-reload");
    expect(reload.inputs.mustRun).toBe(false);
    expect(reload.inputs.command).toContain("http://prometheus:9090/-/reload");
    expect(envOf(reload).K6OBS_CONFIG_SHA256).toMatch(/^[0-9a-f]{64}$/);
  });

  test("Grafana: login required, no anonymous access or sign-up, password applied on every start", () => {
    const env = envOf(run.one("Container", "grafana-container"));
    expect(env).toMatchObject({
      GF_SECURITY_ADMIN_USER: "admin",
      GF_SECURITY_ADMIN_PASSWORD__FILE: "/run/secrets/k6obs-grafana-admin-password",
      GF_AUTH_ANONYMOUS_ENABLED: "false",
      GF_USERS_ALLOW_SIGN_UP: "false",
    });
    const script = (run.one("Container", "grafana-container").inputs.entrypoints as string[]).join(" ");
    expect(script).toContain("reset-admin-password --password-from-stdin");
    expect(script).toContain("exec /run.sh");
  });

  test("the admin password is a secret file upload: secret in inputs, outputs and state, absent from the env", () => {
    const grafana = run.one("Container", "grafana-container");
    expect(grafana.inputs.uploads).toEqual([
      { file: envOf(grafana).GF_SECURITY_ADMIN_PASSWORD__FILE, content: "generated-password-0123456789" },
      { file: GRAFANA_PROMETHEUS_PASSWORD_FILE, content: PROMETHEUS_PASSWORD_MOCK },
    ]);
    expect(grafana.secretInputs).toEqual(["uploads"]);
    expect(grafana.opts.additionalSecretOutputs).toEqual(["uploads"]);
    expect([...run.secretOutputs].sort()).toEqual(["grafanaAdminPassword", "prometheusPassword"]);
  });

  test("no container's env or argv holds the admin password, and no env is hidden from previews", () => {
    for (const c of run.resources.filter((r) => r.type === CONTAINER)) {
      const visible = Object.entries(c.inputs).filter(([k]) => k !== "uploads");
      expect([c.name, JSON.stringify(visible)]).toEqual([
        c.name,
        expect.not.stringContaining("generated-password"),
      ]);
      expect([c.name, c.secretInputs.filter((k) => k !== "uploads")]).toEqual([c.name, []]);
      expect([c.name, c.opts.additionalSecretOutputs ?? []]).toEqual([
        c.name,
        expect.not.arrayContaining(["envs"]),
      ]);
    }
  });

  test("the reload trigger mounts a tmpfs over the image's VOLUME /prometheus, so no run leaves an anonymous volume", () => {
    const reload = run.one("Container", "prometheus-reload");
    expect(Object.keys((reload.inputs.tmpfs as Record<string, string> | undefined) ?? {})).toEqual([
      "/prometheus",
    ]);
    expect(mountsOf(reload)).toEqual([]);
  });

  test("Prometheus and Grafana get a stop grace period before SIGKILL on replace and destroy", () => {
    const grace = (role: string) => run.one("Container", role).inputs.destroyGraceSeconds;
    expect(grace("prometheus-container")).toBeGreaterThanOrEqual(60);
    expect(grace("grafana-container")).toBeGreaterThanOrEqual(10);
  });

  test("k6 is a one-shot run that remote-writes to Prometheus by network alias and tags every sample", () => {
    const k6 = run.one("Container", "k6-container");
    expect(k6.inputs).toMatchObject({ mustRun: false, restart: "no", attach: true, logs: true });
    const env = envOf(k6);
    expect(env.K6_PROMETHEUS_RW_SERVER_URL).toBe("http://prometheus:9090/api/v1/write");
    expect(env.K6_PROMETHEUS_RW_SERVER_URL).not.toMatch(/localhost|127\.0\.0\.1/);
    const argv = k6.inputs.command as string[];
    expect(argv.slice(0, 3)).toEqual(["run", "--out", "experimental-prometheus-rw"]);
    expect(argv).toContain("testid=dev-r4nd0m");
    expect(argv[argv.length - 1]).toBe("/k6/scripts/smoke.js");
    expect(k6.opts.dependsOn).toEqual([expect.stringMatching(/prometheus-container$/)]);
    expect(run.outputs.k6TestId).toBe("dev-r4nd0m");
    expect(run.outputs.k6Summary).toBe("docker cp k6obs-dev-k6:/home/k6/dev-r4nd0m.summary.json .");
  });

  test("stack outputs name the URLs, user, volumes and the run", () => {
    expect(run.outputs).toMatchObject({
      grafanaAdminUser: "admin",
      prometheusVolume: "k6obs-dev-prometheus-data",
      grafanaVolume: "k6obs-dev-grafana-data",
      k6ResultsVolume: "k6obs-dev-k6-results",
      alertmanagerVolume: "k6obs-dev-alertmanager-data",
      network: "k6obs-dev-net",
      trendMode: "stats",
      volumesProtected: false,
    });
  });
});

describe("the trend mode drives k6, Prometheus and the provisioned dashboard together", () => {
  test.each([
    ["stats", "false", "provisioning/grafana/dashboards/stats"],
    ["nativeHistogram", "true", "provisioning/grafana/dashboards/nativeHistogram"],
  ])("%s", async (mode, nativeFlag, dashboards) => {
    const run = await runProgram({ trendMode: mode });
    const env = envOf(run.one("Container", "k6-container"));
    expect(env.K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM).toBe(nativeFlag);
    if (mode === "stats") {
      expect(env.K6_PROMETHEUS_RW_TREND_STATS?.split(",")).toEqual(
        expect.arrayContaining(["p(95)", "p(99)", "min", "max", "avg", "med"]),
      );
    } else {
      expect(env.K6_PROMETHEUS_RW_TREND_STATS).toBeUndefined();
    }
    const k6Dashboards = mountsOf(run.one("Container", "grafana-container")).find(
      (m) => m.target === "/etc/grafana/dashboards/k6",
    );
    expect(path.relative(REPO_ROOT, k6Dashboards?.source ?? "")).toBe(dashboards);

    // What the mounted dashboards query must be exactly what this k6 env makes k6 emit.
    const exprs = exprsIn(k6Dashboards?.source ?? "");
    expect(exprs.length).toBeGreaterThan(5);
    const statsQueried = new Set(
      exprs.flatMap((e) => [...e.matchAll(TREND_STAT_SERIES)].map((m) => m[1] ?? "")),
    );
    const nativeQueried = exprs.some((e) => /\bk6_[a-z_]+_seconds(_bucket|_count|_sum)?\b/.test(e));
    if (mode === "stats") {
      const emitted = (env.K6_PROMETHEUS_RW_TREND_STATS ?? "")
        .split(",")
        .map((s) => s.replace(/^p\((\d+)\)$/, "p$1"));
      expect([...statsQueried].filter((s) => !emitted.includes(s))).toEqual([]);
      expect(statsQueried.has("p95")).toBe(true);
      expect(nativeQueried).toBe(false);
    } else {
      expect(nativeQueried).toBe(true);
      expect([...statsQueried]).toEqual([]);
    }
  });
});

describe("per-stack options", () => {
  test("protectVolumes protects every data volume and nothing else", async () => {
    const run = await runProgram({ protectVolumes: "true" }, "prod");
    for (const r of run.resources) {
      expect([r.name, r.opts.protect === true]).toEqual([r.name, r.type === VOLUME]);
    }
    expect(run.outputs.volumesProtected).toBe(true);
  });

  test("an adopted compose volume is used under its own name and its foreign labels never plan a replace", async () => {
    const run = await runProgram({ grafanaVolumeName: "monitoring_grafana_data" });
    const v = run.one("Volume", "data-grafana");
    expect(v.inputs.name).toBe("monitoring_grafana_data");
    expect(v.opts.ignoreChanges).toContain("labels");
    expect(v.opts.retainOnDelete).toBe(true);
    expect(mountsOf(run.one("Container", "grafana-container"))[0]).toEqual({
      type: "volume",
      source: "monitoring_grafana_data",
      target: "/var/lib/grafana",
    });
  });

  test("a given admin password is used instead of a generated one, and stays secret", async () => {
    const run = await runProgram({ grafanaAdminPassword: "correct-horse-battery" });
    expect(run.resources.some((r) => r.name.endsWith("grafana-admin-password"))).toBe(false);
    expect(run.outputs.grafanaAdminPassword).toBe("correct-horse-battery");
    expect(run.secretOutputs).toContain("grafanaAdminPassword");
    const grafana = run.one("Container", "grafana-container");
    expect(grafana.secretInputs).toEqual(["uploads"]);
    expect(grafana.inputs.uploads).toEqual([
      expect.objectContaining({ content: "correct-horse-battery" }),
      expect.objectContaining({ content: PROMETHEUS_PASSWORD_MOCK }),
    ]);
    expect(JSON.stringify(grafana.inputs.envs)).not.toContain("correct-horse-battery");
  });

  test("k6 switched off declares no k6 resources and no run outputs", async () => {
    const run = await runProgram({ k6Enabled: "false" });
    expect(run.resources.filter((r) => /k6obs-k6/.test(r.name))).toEqual([]);
    expect(run.outputs.k6TestId).toBeUndefined();
    expect(run.resources.filter((r) => r.type === VOLUME)).toHaveLength(4);
  });

  test("a non-loopback bind address is used when explicitly allowed, never as Grafana's URL", async () => {
    const run = await runProgram({ bindAddress: "0.0.0.0", allowNonLoopbackBind: "true" });
    const grafana = run.one("Container", "grafana-container");
    expect((grafana.inputs.ports as Port[])[0]?.ip).toBe("0.0.0.0");
    expect(envOf(grafana).GF_SERVER_ROOT_URL).toBe("http://localhost:3000/");
  });

  test("a configured root URL is what Grafana links to and what the stack outputs", async () => {
    const run = await runProgram({ grafanaRootUrl: "https://grafana.example.com/" });
    expect(envOf(run.one("Container", "grafana-container")).GF_SERVER_ROOT_URL).toBe(
      "https://grafana.example.com/",
    );
    expect(run.outputs.grafanaUrl).toBe("https://grafana.example.com");
  });

  test("dev and ci stacks on one Docker host share no name and no host port", async () => {
    const names = (r: ProgramRun) =>
      r.resources
        .filter((x) => x.type.startsWith("docker:") && x.type !== "docker:index/remoteImage:RemoteImage")
        .map((x) => String(x.inputs.name));
    const ports = (r: ProgramRun) =>
      r.resources.flatMap((x) => ((x.inputs.ports as Port[] | undefined) ?? []).map((p) => p.external));
    const dev = await runProgram({}, "dev");
    const ci = await runProgram(
      { grafanaPort: "3300", prometheusPort: "9390", alertmanagerPort: "9393" },
      "ci",
    );
    expect(names(dev).filter((n) => names(ci).includes(n))).toEqual([]);
    expect(ports(dev).filter((p) => ports(ci).includes(p))).toEqual([]);
  });
});
