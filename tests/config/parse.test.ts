import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { CONFIG_DEFAULTS, ConfigError, ConfigKey, parseConfig } from "../../config";
import { parseImageRef } from "../../model/images";
import { ProgramError, REPO_ROOT, runProgram } from "../harness/program";

const ctx = { stack: "dev", repoRoot: REPO_ROOT };
const parse = (values: Partial<Record<ConfigKey, string>>, stack = "dev") =>
  parseConfig((k) => values[k], { ...ctx, stack });

function problemsOf(values: Partial<Record<ConfigKey, string>>, stack = "dev"): string[] {
  try {
    parse(values, stack);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error(`config ${JSON.stringify(values)} was accepted`);
}

describe("stack config", () => {
  test("defaults in code equal the defaults declared in Pulumi.yaml", () => {
    const project = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, { type: string; default: unknown; description?: string }>;
    };
    expect(Object.keys(project.config).sort()).toEqual(Object.keys(CONFIG_DEFAULTS).sort());
    for (const [key, decl] of Object.entries(project.config)) {
      expect([key, decl.default]).toEqual([key, CONFIG_DEFAULTS[key as ConfigKey]]);
      expect(decl.description?.length ?? 0).toBeGreaterThan(20);
    }
  });

  test("Pulumi.yaml only declares what the Pulumi CLI accepts on every stack", () => {
    const project = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, Record<string, unknown>>;
    };
    for (const [key, decl] of Object.entries(project.config)) {
      // A secret key with a (plaintext) default fails `pulumi up` on stacks that leave it unset.
      expect([key, decl.secret === true && "default" in decl]).toEqual([key, false]);
      expect([key, ["string", "integer", "boolean", "array", "object"].includes(String(decl.type))]).toEqual([
        key,
        true,
      ]);
      expect([key, typeof decl.description]).toEqual([key, "string"]);
    }
  });

  test.each(["dev", "ci", "prod"])("the committed Pulumi.%s.yaml stack file is valid", (stack) => {
    const file = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
      config: Record<string, unknown>;
    };
    const values = Object.fromEntries(
      Object.entries(file.config).map(([k, v]) => [
        k.replace(/^k6-observatory:/, ""),
        typeof v === "string" ? v : JSON.stringify(v),
      ]),
    );
    expect(() => parse(values, stack)).not.toThrow();
  });

  test("no config at all gives the documented defaults", () => {
    const cfg = parse({});
    expect(cfg.bindAddress).toBe("127.0.0.1");
    expect([cfg.grafanaPort, cfg.prometheusPort]).toEqual([3000, 9090]);
    expect(cfg.trendMode).toBe("stats");
    expect(cfg.volumes.prometheus).toEqual({ name: "k6obs-dev-prometheus-data", adopted: false });
    expect(cfg.volumes.grafana).toEqual({ name: "k6obs-dev-grafana-data", adopted: false });
    expect(cfg.images.prometheus.ref).toBe("prom/prometheus:v3.15.1");
    expect(cfg.grafanaAdminPassword).toBeUndefined();
    expect(cfg.k6?.scriptInK6Dir).toBe("scripts/smoke.js");
  });

  test("an existing volume named in config is adopted under that exact name", () => {
    const cfg = parse({
      grafanaVolumeName: "monitoring_grafana_data",
      prometheusVolumeName: "monitoring_prometheus_data",
    });
    expect(cfg.volumes.grafana).toEqual({ name: "monitoring_grafana_data", adopted: true });
    expect(cfg.volumes.prometheus).toEqual({ name: "monitoring_prometheus_data", adopted: true });
  });

  test("image overrides accept tags, registries with ports and digests", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    expect(parseImageRef(`grafana/grafana:13.0.2@${digest}`)).toEqual({
      ref: `grafana/grafana:13.0.2@${digest}`,
      repo: "grafana/grafana",
      tag: "13.0.2",
      digest,
    });
    expect(parseImageRef("registry.local:5000/prom/prometheus:v3.15.1")?.repo).toBe(
      "registry.local:5000/prom/prometheus",
    );
    expect(parseImageRef("registry.local:5000/prom/prometheus")).toBeUndefined();
  });

  // Each case: the bad values, then fragments the message must contain (key, value, what is allowed).
  const badCases: [string, Partial<Record<ConfigKey, string>>, string[]][] = [
    [
      "port above range",
      { grafanaPort: "70000" },
      ["k6-observatory:grafanaPort", '"70000"', "1024 to 65535"],
    ],
    ["privileged port", { prometheusPort: "80" }, ["k6-observatory:prometheusPort", '"80"', "1024 to 65535"]],
    ["port not a number", { grafanaPort: "3k" }, ["k6-observatory:grafanaPort", '"3k"', "whole number"]],
    [
      "fractional port",
      { grafanaPort: "3000.5" },
      ["k6-observatory:grafanaPort", '"3000.5"', "whole number"],
    ],
    [
      "clashing ports",
      { grafanaPort: "9090" },
      ["k6-observatory:prometheusPort", '"9090"', "different from k6-observatory:grafanaPort"],
    ],
    [
      "bind address not an IP",
      { bindAddress: "localhost" },
      ["k6-observatory:bindAddress", '"localhost"', "IPv4 or IPv6 address"],
    ],
    [
      "public bind without allow",
      { bindAddress: "0.0.0.0" },
      ["k6-observatory:bindAddress", '"0.0.0.0"', "allowNonLoopbackBind is true"],
    ],
    [
      "allow flag not boolean",
      { allowNonLoopbackBind: "yes" },
      ["k6-observatory:allowNonLoopbackBind", '"yes"', "true or false"],
    ],
    [
      "retention time without unit",
      { prometheusRetentionTime: "30" },
      ["k6-observatory:prometheusRetentionTime", '"30"', "Prometheus duration"],
    ],
    [
      "retention time zero",
      { prometheusRetentionTime: "0d" },
      ["k6-observatory:prometheusRetentionTime", '"0d"', "at least 2h"],
    ],
    [
      "retention time units out of order",
      { prometheusRetentionTime: "1d1w" },
      ["k6-observatory:prometheusRetentionTime", '"1d1w"', "in that order"],
    ],
    [
      "retention size without unit",
      { prometheusRetentionSize: "10" },
      ["k6-observatory:prometheusRetentionSize", '"10"', "B, KB, MB, GB"],
    ],
    [
      "retention size lowercase unit",
      { prometheusRetentionSize: "10gb" },
      ["k6-observatory:prometheusRetentionSize", '"10gb"', "e.g. 512MB"],
    ],
    [
      "retention time Prometheus refuses (overflows int64 nanoseconds)",
      { prometheusRetentionTime: "300y" },
      [
        "k6-observatory:prometheusRetentionTime",
        '"300y"',
        "refuses it (duration out of range)",
        "at most 292y",
      ],
    ],
    [
      "retention time that deletes every block",
      { prometheusRetentionTime: "1m" },
      ["k6-observatory:prometheusRetentionTime", '"1m"', "at least 2h"],
    ],
    [
      "retention size Prometheus refuses (overflows int64)",
      { prometheusRetentionSize: "9EB" },
      ["k6-observatory:prometheusRetentionSize", '"9EB"', "refuses it (units: overflow parsing unit)"],
    ],
    [
      "retention size Prometheus wraps to negative (no size limit)",
      { prometheusRetentionSize: "8EB" },
      ["k6-observatory:prometheusRetentionSize", '"8EB"', "negative size, which disables the size limit"],
    ],
    [
      "retention size that deletes every block",
      { prometheusRetentionSize: "1B" },
      ["k6-observatory:prometheusRetentionSize", '"1B"', "at least 512MB", "1 bytes"],
    ],
    [
      "unknown trend mode",
      { trendMode: "histogram" },
      ["k6-observatory:trendMode", '"histogram"', "stats, nativeHistogram"],
    ],
    [
      "protect not boolean",
      { protectVolumes: "1" },
      ["k6-observatory:protectVolumes", '"1"', "true or false"],
    ],
    [
      "volume name with slash",
      { grafanaVolumeName: "grafana/data" },
      ["k6-observatory:grafanaVolumeName", '"grafana/data"', "Docker volume name"],
    ],
    [
      "volume name starting with dash",
      { prometheusVolumeName: "-prom" },
      ["k6-observatory:prometheusVolumeName", '"-prom"', "starting with a letter or digit"],
    ],
    [
      "both volumes the same",
      { prometheusVolumeName: "shared", grafanaVolumeName: "shared" },
      ["k6-observatory:grafanaVolumeName", '"shared"', "different volume"],
    ],
    [
      "admin user with space",
      { grafanaAdminUser: "ad min" },
      ["k6-observatory:grafanaAdminUser", '"ad min"', "1 to 64 characters"],
    ],
    [
      "short admin password, never echoed",
      { grafanaAdminPassword: "hunter2" },
      ["k6-observatory:grafanaAdminPassword", "(secret, 7 characters)", "at least 12 characters"],
    ],
    [
      "image tagged latest",
      { grafanaImage: "grafana/grafana:latest" },
      ["k6-observatory:grafanaImage", '"grafana/grafana:latest"', "uses the moving tag `latest`"],
    ],
    [
      "image without tag",
      { prometheusImage: "prom/prometheus" },
      ["k6-observatory:prometheusImage", '"prom/prometheus"', "repo:x.y.z"],
    ],
    [
      "root URL without scheme",
      { grafanaRootUrl: "grafana.example.com" },
      ["k6-observatory:grafanaRootUrl", '"grafana.example.com"', "absolute http:// or https:// URL"],
    ],
    [
      "image on a moving major tag",
      { grafanaImage: "grafana/grafana:13" },
      ["k6-observatory:grafanaImage", '"grafana/grafana:13"', "moving tag `13` (not a full x.y.z release)"],
    ],
    [
      "image with bad digest",
      { k6Image: "grafana/k6:1.8.1@sha256:abc" },
      ["k6-observatory:k6Image", '"grafana/k6:1.8.1@sha256:abc"', "sha256:<64 hex>"],
    ],
    [
      "missing script",
      { k6Script: "provisioning/k6/scripts/nope.js" },
      ["k6-observatory:k6Script", '"provisioning/k6/scripts/nope.js"', "an existing file"],
    ],
    [
      "script outside provisioning/k6",
      { k6Script: "index.ts" },
      ["k6-observatory:k6Script", '"index.ts"', "under provisioning/k6/"],
    ],
    [
      "script escaping with ..",
      { k6Script: "provisioning/k6/../../index.ts" },
      ["k6-observatory:k6Script", "under provisioning/k6/"],
    ],
    [
      "empty target URL",
      { k6TargetUrl: "" },
      ["k6-observatory:k6TargetUrl", '""', "absolute http:// or https:// URL"],
    ],
    [
      "target URL not http",
      { k6TargetUrl: "ftp://files" },
      ["k6-observatory:k6TargetUrl", '"ftp://files"', "http:// or https://"],
    ],
    [
      "target URL on localhost",
      { k6TargetUrl: "http://localhost:8080" },
      ["k6-observatory:k6TargetUrl", '"http://localhost:8080"', "host.docker.internal"],
    ],
    [
      "target URL on 127.0.0.1",
      { k6TargetUrl: "http://127.0.0.1:8080" },
      ["k6-observatory:k6TargetUrl", "host.docker.internal"],
    ],
    [
      "k6Env not an object",
      { k6Env: '["VUS"]' },
      ["k6-observatory:k6Env", '"[\\"VUS\\"]"', "an object of string values"],
    ],
    ["k6Env not JSON", { k6Env: "VUS=10" }, ["k6-observatory:k6Env", '"VUS=10"', "an object"]],
    [
      "k6Env overriding a managed K6_ variable",
      { k6Env: '{"K6_PROMETHEUS_RW_TREND_STATS":"p(90)"}' },
      ["k6-observatory:k6Env", "not starting with K6_", "K6_PROMETHEUS_RW_TREND_STATS"],
    ],
    [
      "k6Env overriding TARGET_URL",
      { k6Env: '{"TARGET_URL":"http://x"}' },
      ["k6-observatory:k6Env", "TARGET_URL", "managed by the stack"],
    ],
    ["k6Env nested value", { k6Env: '{"VUS":{"n":1}}' }, ["k6-observatory:k6Env", "string values", "VUS"]],
    [
      "push interval too short",
      { k6PushInterval: "100ms" },
      ["k6-observatory:k6PushInterval", '"100ms"', "from 1s to 1m"],
    ],
    [
      "push interval malformed",
      { k6PushInterval: "five" },
      ["k6-observatory:k6PushInterval", '"five"', "from 1s to 1m"],
    ],
    ["k6Enabled not boolean", { k6Enabled: "on" }, ["k6-observatory:k6Enabled", '"on"', "true or false"]],
    [
      "scrapeTargets not JSON",
      { scrapeTargets: "shop:8080" },
      ["k6-observatory:scrapeTargets", '"shop:8080"', "an array of"],
    ],
    [
      "scrapeTargets job with a space",
      { scrapeTargets: '[{"job":"my shop","targets":["shop:8080"]}]' },
      ["k6-observatory:scrapeTargets", "entry 0", '"my shop"', "letters, digits"],
    ],
    [
      "scrapeTargets reserved job",
      { scrapeTargets: '[{"job":"prometheus","targets":["shop:8080"]}]' },
      ["k6-observatory:scrapeTargets", '"prometheus"', "reserved", "grafana"],
    ],
    [
      "scrapeTargets duplicate job",
      { scrapeTargets: '[{"job":"shop","targets":["a:1"]},{"job":"shop","targets":["b:2"]}]' },
      ["k6-observatory:scrapeTargets", "entry 1", '"shop"', "appears twice"],
    ],
    [
      "scrapeTargets target without a port",
      { scrapeTargets: '[{"job":"shop","targets":["shop"]}]' },
      ["k6-observatory:scrapeTargets", 'target "shop" is not host:port'],
    ],
    [
      "scrapeTargets port out of range",
      { scrapeTargets: '[{"job":"shop","targets":["shop:70000"]}]' },
      ["k6-observatory:scrapeTargets", "port 70000", "1 to 65535"],
    ],
    [
      "scrapeTargets loopback target",
      { scrapeTargets: '[{"job":"shop","targets":["localhost:8080"]}]' },
      ["k6-observatory:scrapeTargets", "loopback", "host.docker.internal:8080", "container name"],
    ],
    [
      "scrapeTargets 127.0.0.1 target",
      { scrapeTargets: '[{"job":"shop","targets":["127.0.0.1:8080"]}]' },
      ["k6-observatory:scrapeTargets", "loopback", "host.docker.internal:8080"],
    ],
    [
      "scrapeTargets bad scheme",
      { scrapeTargets: '[{"job":"shop","targets":["shop:8080"],"scheme":"ftp"}]' },
      ["k6-observatory:scrapeTargets", 'scheme "ftp" is not "http" or "https"'],
    ],
    [
      "scrapeTargets relative metrics path",
      { scrapeTargets: '[{"job":"shop","targets":["shop:8080"],"metricsPath":"metrics"}]' },
      ["k6-observatory:scrapeTargets", "metricsPath", "absolute URL path"],
    ],
    [
      "scrapeTargets unknown field",
      { scrapeTargets: '[{"job":"shop","targets":["shop:8080"],"interval":"5s"}]' },
      ["k6-observatory:scrapeTargets", "unknown fields interval"],
    ],
  ];

  test.each(badCases)(
    "rejects %s with a message naming key, value and what is allowed",
    (_name, values, fragments) => {
      const problems = problemsOf(values);
      expect(problems).toHaveLength(1);
      for (const fragment of fragments) {
        expect(problems[0]).toContain(fragment);
      }
    },
  );

  test("scrapeTargets: valid jobs on the stack network and the Docker host are taken as given", () => {
    const value = [
      { job: "shop", targets: ["shop-api:8080", "host.docker.internal:9100"] },
      { job: "db_exporter", targets: ["10.0.0.5:9187"], metricsPath: "/probe/metrics", scheme: "https" },
    ];
    expect(parse({ scrapeTargets: JSON.stringify(value) }).scrapeTargets).toEqual(value);
    expect(parse({}).scrapeTargets).toEqual([]);
  });

  test("an admin password stored in plaintext is rejected without echoing it", () => {
    const isSecret = () => false;
    expect(() =>
      parseConfig((k) => (k === "grafanaAdminPassword" ? "long-enough-password" : undefined), {
        ...ctx,
        isSecret,
      }),
    ).toThrow(
      /grafanaAdminPassword = \(plaintext, 20 characters\) is not allowed: store it encrypted with `pulumi config set --secret/,
    );
  });

  test("a stack name that cannot scope Docker names is rejected", () => {
    expect(problemsOf({}, "-bad")).toEqual([
      expect.stringContaining('stack name "-bad" cannot scope Docker names'),
    ]);
  });

  test("every problem is reported at once", () => {
    const problems = problemsOf({ grafanaPort: "1", trendMode: "x", k6PushInterval: "0s" });
    expect(problems.map((p) => p.split(" ")[0])).toEqual([
      "k6-observatory:grafanaPort",
      "k6-observatory:trendMode",
      "k6-observatory:k6PushInterval",
    ]);
  });

  test("bad config fails the program before any resource is declared", async () => {
    const failure = await runProgram({ trendMode: "histogram", grafanaPort: "99999" }).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(ProgramError);
    expect((failure as ProgramError).message).toMatch(
      /k6-observatory:grafanaPort = "99999"[\s\S]*k6-observatory:trendMode = "histogram"/,
    );
    expect((failure as ProgramError).declared).toBe(0);
    // The program's first import compiles it: seconds on 2 busy cores.
  }, 30_000);

  test("the program sees whether the stack stores the password encrypted", async () => {
    await expect(runProgram({ grafanaAdminPassword: "long-enough-password" })).resolves.toBeDefined();
    const failure = await runProgram(
      { grafanaAdminPassword: "long-enough-password" },
      "dev",
      REPO_ROOT,
      [],
    ).catch((e: unknown) => e);
    expect((failure as ProgramError).message).toContain("(plaintext, 20 characters)");
    expect((failure as ProgramError).declared).toBe(0);
  }, 30_000);
});
