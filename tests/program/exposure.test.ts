// Exposure is per service (issue 10): exposing Grafana never exposes Prometheus, and a Prometheus
// on a non-loopback address always requires basic auth from every client, with the password kept
// out of env, argv, healthchecks and previews. The real-binary proof of the 401s is
// tests/integration/prometheus-auth.test.ts; the real-engine one, tests/e2e/exposure.test.ts, is on branch exposure (not passed yet).
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ConfigError, parseConfig } from "../../config";
import {
  GRAFANA_PROMETHEUS_PASSWORD_FILE,
  PROMETHEUS_AUTH_USER,
  PROMETHEUS_PASSWORD_FILE,
  PROMETHEUS_WEB_CONFIG_FILE,
  prometheusConfig,
  prometheusWebConfig,
} from "../../model/prometheus";
import {
  BCRYPT_HASH_MOCK,
  DeclaredResource,
  PROMETHEUS_PASSWORD_MOCK,
  ProgramError,
  REPO_ROOT,
  runProgram,
} from "../harness/program";

interface Upload {
  file: string;
  content: string;
}
interface Port {
  ip: string;
  external: number;
  internal: number;
}
const portsOf = (c: DeclaredResource) => c.inputs.ports as Port[];
const uploadsOf = (c: DeclaredResource) => (c.inputs.uploads as Upload[] | undefined) ?? [];
const argvOf = (c: DeclaredResource) => (c.inputs.command as string[] | undefined) ?? [];
const healthOf = (c: DeclaredResource) => (c.inputs.healthcheck as { tests: string[] }).tests;
/** Everything of a container's inputs but its (secret) uploads, as `docker inspect` and previews show it. */
const visible = (c: DeclaredResource) =>
  JSON.stringify(Object.entries(c.inputs).filter(([k]) => k !== "uploads"));

const EXPOSED = { prometheusBindAddress: "0.0.0.0", allowNonLoopbackPrometheusBind: "true" };

describe("exposing Grafana", () => {
  test("publishes Grafana on the address and keeps Prometheus on loopback, without auth", async () => {
    const run = await runProgram({ bindAddress: "0.0.0.0", allowNonLoopbackBind: "true" });
    expect(portsOf(run.one("Container", "grafana-container"))[0]?.ip).toBe("0.0.0.0");
    const prometheus = run.one("Container", "prometheus-container");
    expect(portsOf(prometheus)).toEqual([expect.objectContaining({ ip: "127.0.0.1", internal: 9090 })]);
    expect(argvOf(prometheus).some((f) => f.startsWith("--web.config.file"))).toBe(false);
    expect(run.outputs.prometheusAuth).toBe(false);
    expect(run.outputs.prometheusUrl).toBe("http://127.0.0.1:9090");
  });
});

describe("exposing Prometheus", () => {
  test("needs its own consent: allowNonLoopbackBind (Grafana's) is not enough", async () => {
    const err = (await runProgram({
      prometheusBindAddress: "0.0.0.0",
      allowNonLoopbackBind: "true",
    }).catch((e: unknown) => e)) as ProgramError;
    expect(err).toBeInstanceOf(ProgramError);
    expect(err.declared).toBe(0);
    expect(err.message).toContain(
      'k6-observatory:prometheusBindAddress = "0.0.0.0" is not allowed: a loopback address (127.0.0.0/8 or ::1) unless k6-observatory:allowNonLoopbackPrometheusBind is true',
    );
  });

  test.each([
    [{ prometheusBindAddress: "localhost" }, '"localhost"', "IPv4 or IPv6 address"],
    [{ prometheusBindAddress: " 127.0.0.1" }, '" 127.0.0.1"', "IPv4 or IPv6 address"],
    [{ prometheusBindAddress: "::ffff:127.0.0.1" }, '"::ffff:127.0.0.1"', "unless"],
    [{ prometheusBindAddress: "10.0.0.5" }, '"10.0.0.5"', "allowNonLoopbackPrometheusBind is true"],
    [{ allowNonLoopbackPrometheusBind: "yes" }, '"yes"', "true or false"],
    [{ prometheusAuth: "1" }, '"1"', "true or false"],
  ])("refuses %j naming key, value and what is allowed", (raw, value, allowed) => {
    const key = Object.keys(raw)[0] ?? "";
    let err: unknown;
    try {
      parseConfig((k) => (raw as Record<string, string>)[k], { stack: "dev", repoRoot: REPO_ROOT });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toEqual([expect.stringContaining(`k6-observatory:${key} = ${value} is not allowed`)]);
    expect(problems[0]).toContain(allowed);
  });

  test("the Observatory component refuses it too, naming its arg", async () => {
    const { Observatory } = await import("../../components");
    expect(() => new Observatory("lib", { stack: "lib", prometheusBindAddress: "0.0.0.0" })).toThrow(
      `prometheusBindAddress = "0.0.0.0" is not allowed: a loopback address (127.0.0.0/8 or ::1) unless allowNonLoopbackPrometheusBind is true`,
    );
  });

  describe("with consent", () => {
    let run: Awaited<ReturnType<typeof runProgram>>;
    beforeAll(async () => {
      run = await runProgram(EXPOSED);
    });

    test("publishes Prometheus there, and Grafana stays on loopback", () => {
      expect(portsOf(run.one("Container", "prometheus-container"))[0]?.ip).toBe("0.0.0.0");
      expect(portsOf(run.one("Container", "grafana-container"))[0]?.ip).toBe("127.0.0.1");
      expect(run.outputs.prometheusUrl).toBe("http://0.0.0.0:9090");
    });

    test("turns basic auth on: --web.config.file with the generated password's bcrypt hash, a secret upload", () => {
      const prometheus = run.one("Container", "prometheus-container");
      expect(argvOf(prometheus)).toContain(`--web.config.file=${PROMETHEUS_WEB_CONFIG_FILE}`);
      expect(argvOf(prometheus)).not.toContain("--web.enable-admin-api");
      const web = uploadsOf(prometheus).find((u) => u.file === PROMETHEUS_WEB_CONFIG_FILE);
      expect(YAML.parse(web?.content ?? "")).toEqual({
        basic_auth_users: { [PROMETHEUS_AUTH_USER]: BCRYPT_HASH_MOCK },
      });
      expect(prometheus.secretInputs).toEqual(["uploads"]);
      expect(prometheus.opts.additionalSecretOutputs).toEqual(["uploads"]);
      const generator = run.one("RandomPassword", "prometheus-password");
      expect(generator.opts.additionalSecretOutputs).toEqual(
        expect.arrayContaining(["result", "bcryptHash"]),
      );
      // Letters and digits only: it goes into wget URLs unescaped.
      expect(generator.inputs).toMatchObject({ special: false, length: 32 });
      expect(run.outputs).toMatchObject({
        prometheusAuth: true,
        prometheusUser: PROMETHEUS_AUTH_USER,
        prometheusPassword: PROMETHEUS_PASSWORD_MOCK,
      });
      expect(run.secretOutputs).toContain("prometheusPassword");
    });

    test("the healthcheck and the reload trigger authenticate with the uploaded file, never the password itself", () => {
      const prometheus = run.one("Container", "prometheus-container");
      const health = healthOf(prometheus);
      expect(health[0]).toBe("CMD-SHELL");
      expect(health[1]).toContain(
        `${PROMETHEUS_AUTH_USER}:$(cat ${PROMETHEUS_PASSWORD_FILE})@localhost:9090/-/ready`,
      );
      const reload = run.one("Container", "prometheus-reload");
      expect(reload.inputs.entrypoints).toEqual(["/bin/sh", "-c"]);
      expect(argvOf(reload).join(" ")).toContain(
        `--post-data= "http://${PROMETHEUS_AUTH_USER}:$(cat ${PROMETHEUS_PASSWORD_FILE})@prometheus:9090/-/reload"`,
      );
      expect(uploadsOf(reload)).toEqual([
        { file: PROMETHEUS_PASSWORD_FILE, content: PROMETHEUS_PASSWORD_MOCK },
      ]);
      expect(reload.secretInputs).toEqual(["uploads"]);
      expect(reload.opts.additionalSecretOutputs).toEqual(["uploads"]);
    });

    test("no container's env, argv, healthcheck or labels hold the Prometheus password or its hash", () => {
      const containers = run.resources.filter((r) => r.type === "docker:index/container:Container");
      expect(containers.length).toBeGreaterThanOrEqual(4);
      for (const c of containers) {
        expect([c.name, visible(c)]).toEqual([c.name, expect.not.stringContaining(PROMETHEUS_PASSWORD_MOCK)]);
        expect([c.name, visible(c)]).toEqual([c.name, expect.not.stringContaining(BCRYPT_HASH_MOCK)]);
      }
    });

    test("Grafana gets the password as a secret file at the path its datasource reads", () => {
      const grafana = run.one("Container", "grafana-container");
      expect(uploadsOf(grafana)).toContainEqual({
        file: GRAFANA_PROMETHEUS_PASSWORD_FILE,
        content: PROMETHEUS_PASSWORD_MOCK,
      });
      expect(grafana.secretInputs).toEqual(["uploads"]);
    });
  });

  test("prometheusAuth turns auth on for a loopback Prometheus too", async () => {
    const run = await runProgram({ prometheusAuth: "true" });
    const prometheus = run.one("Container", "prometheus-container");
    expect(portsOf(prometheus)[0]?.ip).toBe("127.0.0.1");
    expect(argvOf(prometheus)).toContain(`--web.config.file=${PROMETHEUS_WEB_CONFIG_FILE}`);
    expect(run.outputs.prometheusAuth).toBe(true);
  });
});

test("a default stack keeps Prometheus unauthenticated: same flags, healthcheck and reload command as before", async () => {
  const run = await runProgram();
  const prometheus = run.one("Container", "prometheus-container");
  expect(argvOf(prometheus).some((f) => f.startsWith("--web.config.file"))).toBe(false);
  expect(uploadsOf(prometheus).map((u) => u.file)).toEqual([PROMETHEUS_PASSWORD_FILE]);
  expect(healthOf(prometheus)).toEqual([
    "CMD",
    "wget",
    "-q",
    "-O",
    "/dev/null",
    "http://localhost:9090/-/ready",
  ]);
  const reload = run.one("Container", "prometheus-reload");
  expect(reload.inputs.entrypoints).toEqual(["wget"]);
  expect(reload.inputs.uploads).toBeUndefined();
  expect(run.outputs.prometheusAuth).toBe(false);
});

test("the committed configs send the stack's credentials: the self-scrape and Grafana's datasource", () => {
  const self = (prometheusConfig().scrape_configs as { job_name: string; basic_auth?: unknown }[]).find(
    (j) => j.job_name === "prometheus",
  );
  expect(self?.basic_auth).toEqual({
    username: PROMETHEUS_AUTH_USER,
    password_file: PROMETHEUS_PASSWORD_FILE,
  });
  const datasource = YAML.parse(
    fs.readFileSync(
      path.join(REPO_ROOT, "provisioning/grafana/provisioning/datasources/prometheus.yaml"),
      "utf8",
    ),
  ) as { datasources: Record<string, unknown>[] };
  expect(datasource.datasources[0]).toMatchObject({
    basicAuth: true,
    basicAuthUser: PROMETHEUS_AUTH_USER,
    secureJsonData: { basicAuthPassword: `$__file{${GRAFANA_PROMETHEUS_PASSWORD_FILE}}` },
  });
});

test("the web config refuses anything but a bcrypt hash (never a password in clear)", () => {
  expect(() => prometheusWebConfig({ k6obs: "plain-password" })).toThrow("is not a bcrypt hash");
  expect(prometheusWebConfig({ k6obs: BCRYPT_HASH_MOCK })).toContain(`k6obs: ${BCRYPT_HASH_MOCK}`);
});
