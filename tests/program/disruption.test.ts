import * as fs from "fs";
import * as path from "path";
import { ProgramRun, runProgram, scratchRepo } from "../harness/program";

/**
 * Disruption classes: run the program twice with one change and compare every resource's inputs.
 * What a change may touch is what `pulumi preview` would show as updated or replaced.
 */
function changed(before: ProgramRun, after: ProgramRun): string[] {
  const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;
  const a = new Map(before.resources.map((r) => [key(r), JSON.stringify(r.inputs)]));
  const b = new Map(after.resources.map((r) => [key(r), JSON.stringify(r.inputs)]));
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys]
    .filter((k) => a.get(k) !== b.get(k))
    .map((k) => k.split("::")[1] ?? k)
    .sort();
}

const volumesOf = (run: ProgramRun) =>
  run.resources.filter((r) => r.type === "docker:index/volume:Volume").map((r) => [r.name, r.inputs, r.opts]);

describe("disruption classes", () => {
  let scratch: { root: string; cleanup: () => void };
  let baseline: ProgramRun;

  beforeAll(async () => {
    scratch = scratchRepo();
    baseline = await runProgram({}, "dev", scratch.root);
  });
  afterAll(() => scratch.cleanup());

  const rerun = (config: Record<string, string> = {}) => runProgram(config, "dev", scratch.root);
  const edit = async (rel: string, change: (text: string) => string): Promise<ProgramRun> => {
    const file = path.join(scratch.root, rel);
    const original = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, change(original));
    try {
      return await rerun();
    } finally {
      fs.writeFileSync(file, original);
    }
  };
  const firstFile = (dir: string, ext: string): string => {
    const name = fs.readdirSync(path.join(scratch.root, dir)).find((f) => f.endsWith(ext));
    if (!name) throw new Error(`no *${ext} in ${dir}`);
    return path.join(dir, name);
  };

  test("the same inputs twice change nothing (the comparison is meaningful)", async () => {
    expect(changed(baseline, await rerun())).toEqual([]);
  });

  test("a dashboard edit changes no resource (Grafana re-reads the files itself)", async () => {
    const file = firstFile("provisioning/grafana/dashboards/stats", ".json");
    const after = await edit(file, (t) => t.replace(/"title": "([^"]*)"/, '"title": "$1 (edited)"'));
    expect(fs.readFileSync(path.join(scratch.root, file), "utf8")).not.toContain("(edited)");
    expect(changed(baseline, after)).toEqual([]);
  });

  test("a Prometheus config edit changes only the reload trigger, never the server", async () => {
    const after = await edit("provisioning/prometheus/prometheus.yml", (t) =>
      t.replace("scrape_interval: 15s", "scrape_interval: 10s"),
    );
    expect(changed(baseline, after)).toEqual(["k6obs-prometheus-reload"]);
  });

  test("a new recording rule file changes only the reload trigger", async () => {
    const rules = path.join(scratch.root, "provisioning/prometheus/rules");
    fs.mkdirSync(rules, { recursive: true });
    const file = path.join(rules, "zz-test.yml");
    fs.writeFileSync(file, "groups: []\n");
    try {
      expect(changed(baseline, await rerun())).toEqual(["k6obs-prometheus-reload"]);
    } finally {
      fs.rmSync(file);
    }
  });

  test("a k6 script edit re-runs the test and touches nothing else", async () => {
    const after = await edit("provisioning/k6/scripts/smoke.js", (t) => `${t}\n// edited\n`);
    expect(changed(baseline, after)).toEqual(["k6obs-k6-container"]);
  });

  test("adding a scrape target rewrites only the targets file: Prometheus is neither restarted nor reloaded", async () => {
    const targets = [{ job: "shop", targets: ["host.docker.internal:8080"] }];
    const file = path.join(scratch.root, ".k6obs", "dev", "prometheus-targets", "k6obs-targets.json");
    expect(changed(baseline, await rerun({ scrapeTargets: JSON.stringify(targets) }))).toEqual([]);
    expect(fs.readFileSync(file, "utf8")).toContain('"job": "shop"');
    await rerun();
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual([]);
  });

  test("a Grafana image bump changes only Grafana", async () => {
    expect(changed(baseline, await rerun({ grafanaImage: "grafana/grafana:13.0.2" }))).toEqual([
      "k6obs-grafana-container",
      "k6obs-grafana-image",
    ]);
  });

  test("a Prometheus image bump changes Prometheus, its reload trigger and nothing holding data", async () => {
    expect(changed(baseline, await rerun({ prometheusImage: "prom/prometheus:v3.15.2" }))).toEqual([
      "k6obs-prometheus-container",
      "k6obs-prometheus-image",
      "k6obs-prometheus-reload",
    ]);
  });

  test("rotating the admin password replaces only Grafana (which then applies it to the existing database)", async () => {
    const before = await rerun({ grafanaAdminPassword: "the-first-password-1" });
    const after = await rerun({ grafanaAdminPassword: "a-rotated-password-42" });
    expect(changed(before, after)).toEqual(["k6obs-grafana-container"]);
  });

  test.each<[string, Record<string, string>]>([
    ["trend mode", { trendMode: "nativeHistogram" }],
    ["retention", { prometheusRetentionTime: "90d", prometheusRetentionSize: "50GB" }],
    ["ports and bind address", { grafanaPort: "3100", prometheusPort: "9190", bindAddress: "127.0.0.2" }],
    [
      "admin user and password",
      { grafanaAdminUser: "root-ops", grafanaAdminPassword: "another-password-99" },
    ],
    [
      "every image",
      {
        grafanaImage: "grafana/grafana:13.0.2",
        prometheusImage: "prom/prometheus:v3.16.0",
        k6Image: "grafana/k6:1.9.0",
      },
    ],
    ["k6 switched off", { k6Enabled: "false" }],
    ["k6 target and env", { k6TargetUrl: "http://host.docker.internal:8080", k6Env: '{"VUS":"50"}' }],
    ["protection switched on", { protectVolumes: "true" }],
  ])("no change of %s touches a volume", async (_what, config) => {
    const after = await rerun(config);
    expect(changed(baseline, after).filter((n) => n.startsWith("k6obs-data-"))).toEqual([]);
    const expected = volumesOf(baseline).map(([n, i, o]) =>
      config.protectVolumes === "true" ? [n, i, { ...(o as object), protect: true }] : [n, i, o],
    );
    expect(volumesOf(after)).toEqual(expected);
  });
});
