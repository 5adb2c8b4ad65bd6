/**
 * Longer than 400 lines on purpose: one ordered story per file (jest runs a file's tests in
 * order), so splitting it would mean a cold `up` per file on 2 cores.
 *
 * End to end, on a real Pulumi engine and a real Docker Engine: the project's own commands on the
 * dev and ci stacks, asserting what a user would check. One ordered story (each test builds on the
 * state the previous ones left), so one `up` serves many assertions. Setup, images and what the
 * stand-ins cannot prove: tests/e2e/README.md.
 */
import * as path from "path";
import { K6_RESULTS_DIR } from "../../model/k6";
import {
  PreviewStep,
  cloneCheckout,
  eventually,
  getJson,
  git,
  postJson,
  say,
  tempDir,
} from "../harness/e2e/harness";
import { readIn, tail, writeIn } from "../harness/e2e/sandbox";
import { e2eStory } from "../harness/e2e/story";

jest.setTimeout(15 * 60_000);

/** Every step every preview of a change class planned: none may touch a volume. */
const allPlanned: { cls: string; step: PreviewStep }[] = [];

const VOLUME_TYPE = "docker:index/volume:Volume";
const CONTAINER_TYPE = "docker:index/container:Container";

/** What changes, as `op name` pairs, sorted: easy to read in a failure message. */
function summary(steps: PreviewStep[]): string[] {
  return steps.map((s) => `${s.op} ${s.name}`).sort();
}

/** Names of the resources a plan replaces or creates/deletes (any op but same/update-free). */
function touched(steps: PreviewStep[]): string[] {
  return [...new Set(steps.map((s) => s.name))].sort();
}

function record(cls: string, steps: PreviewStep[]): void {
  for (const step of steps) allPlanned.push({ cls, step });
}

interface Ctx {
  grafanaUrl: string;
  prometheusUrl: string;
  user: string;
  password: string;
  testIds: string[];
  ids: Record<string, string | undefined>;
}
const ctx: Ctx = { grafanaUrl: "", prometheusUrl: "", user: "admin", password: "", testIds: [], ids: {} };

const { need } = e2eStory("stack");

async function refreshOutputs(stack = "dev"): Promise<void> {
  ctx.grafanaUrl = await need().output("grafanaUrl", { stack });
  ctx.prometheusUrl = await need().output("prometheusUrl", { stack });
  ctx.user = await need().output("grafanaAdminUser", { stack });
  ctx.password = await need().output("grafanaAdminPassword", { stack, showSecrets: true });
}

function containerIds(stack = "dev"): Record<string, string | undefined> {
  return {
    prometheus: need().containerId(`k6obs-${stack}-prometheus`),
    reload: need().containerId(`k6obs-${stack}-prometheus-reload`),
    grafana: need().containerId(`k6obs-${stack}-grafana`),
    k6: need().containerId(`k6obs-${stack}-k6`),
  };
}

/** Number of series of k6_http_reqs_total for a testid (0 when none). */
async function k6Series(testId: string, prometheusUrl = ctx.prometheusUrl): Promise<number> {
  const q = encodeURIComponent(`count_over_time(k6_http_reqs_total{testid="${testId}"}[1d])`);
  const r = await getJson<{ data: { result: unknown[] } }>(`${prometheusUrl}/api/v1/query?query=${q}`);
  return r.data.result.length;
}

function auth() {
  return { user: ctx.user, password: ctx.password };
}

const health = (name: string): string => need().health(name);

describe("dev stack on a real engine", () => {
  test("up on an empty backend succeeds (cold up)", async () => {
    const s = need();
    await s.npmOk("up", ["--yes"], { label: "dev: npm run up -- --yes (cold, empty backend)" });
    await refreshOutputs();
    ctx.ids = containerIds();
    ctx.testIds.push(await s.output("k6TestId"));
    expect(ctx.ids.prometheus).toBeDefined();
    expect(ctx.ids.grafana).toBeDefined();
  });

  test("Prometheus and Grafana are healthy and Grafana's login is the stack's admin password", async () => {
    need();
    expect(health("k6obs-dev-prometheus")).toBe("healthy");
    expect(health("k6obs-dev-grafana")).toBe("healthy");
    await getJson(`${ctx.prometheusUrl}/api/v1/status/buildinfo`);
    const h = await getJson<{ database: string }>(`${ctx.grafanaUrl}/api/health`);
    expect(h.database).toBe("ok");
    const me = await getJson<{ login: string }>(`${ctx.grafanaUrl}/api/user`, auth());
    expect(me.login).toBe(ctx.user);
    const wrong = await fetch(`${ctx.grafanaUrl}/api/user`, {
      headers: { Authorization: `Basic ${Buffer.from(`${ctx.user}:not-the-password`).toString("base64")}` },
    });
    expect(wrong.status).toBe(401);
  });

  test("k6 ran with the program's argv and env, and its samples reached Prometheus by network alias", async () => {
    const s = need();
    const testId = ctx.testIds[0] ?? "";
    expect(testId).toMatch(/^dev-[a-z0-9]{6}$/);
    expect(await s.output("k6ExitCode")).toBe("0");
    const args = JSON.parse(s.docker_(["inspect", "--format", "{{json .Args}}", "k6obs-dev-k6"])) as string[];
    expect(args).toEqual([
      "run",
      "--out",
      "experimental-prometheus-rw",
      "--tag",
      `testid=${testId}`,
      "--summary-export",
      `${K6_RESULTS_DIR}/${testId}.summary.json`,
      "/k6/scripts/smoke.js",
    ]);
    const env = JSON.parse(
      s.docker_(["inspect", "--format", "{{json .Config.Env}}", "k6obs-dev-k6"]),
    ) as string[];
    expect(env).toContain("K6_PROMETHEUS_RW_SERVER_URL=http://prometheus:9090/api/v1/write");
    expect(env).toContain("TARGET_URL=http://prometheus:9090");
    // The summary file landed in the results volume, owned by the k6 user.
    const summary = s.docker_(["cp", `k6obs-dev-k6:${K6_RESULTS_DIR}/${testId}.summary.json`, "-"]);
    expect(summary.length).toBeGreaterThan(0);
    if (s.images.k6.startsWith("k6obs-e2e/") && !s.images.k6Placeholder) {
      // The stand-in says what it is and which argv it got.
      const logs = s.logs("k6obs-dev-k6");
      expect(logs).toContain("k6-compatible test stand-in (not k6)");
      expect(logs).toContain(`"testid=${testId}"`);
    }
    if (s.images.k6Placeholder) {
      say("k6 stand-in is the PLACEHOLDER (no emitter yet): it sends no samples, the next assertion fails");
    }
    const n = await eventually(
      "k6 samples in Prometheus",
      async () => ((await k6Series(testId)) > 0 ? 1 : undefined),
      30_000,
    );
    expect(n).toBe(1);
  });

  test("the defects mocks cannot see are gone: no anonymous volume, stop grace, readable env diffs", async () => {
    const s = need();
    // The reload trigger runs from the Prometheus image, which declares VOLUME /prometheus.
    const reloadMounts = JSON.parse(
      s.docker_(["inspect", "--format", "{{json .Mounts}}", "k6obs-dev-prometheus-reload"]),
    ) as {
      Type: string;
      Name?: string;
    }[];
    expect(reloadMounts.filter((m) => m.Type === "volume")).toEqual([]);
    const anonymous = s
      .docker_(["volume", "ls", "--format", "{{.Name}}"])
      .split("\n")
      .filter((v) => /^[0-9a-f]{64}$/.test(v));
    expect(anonymous).toEqual([]);
    const state = JSON.parse(
      (await s.npmOk("pulumi", ["stack", "export"], { label: "dev: stack export" })).stdout,
    ) as { deployment: { resources: { type: string; urn: string; inputs?: Record<string, unknown> }[] } };
    const byName = (n: string) =>
      state.deployment.resources.find((r) => r.type === CONTAINER_TYPE && r.urn.endsWith(`::${n}`));
    for (const n of ["k6obs-prometheus-container", "k6obs-grafana-container"]) {
      expect({ n, destroyGraceSeconds: byName(n)?.inputs?.destroyGraceSeconds ?? 0 }).toEqual({
        n,
        destroyGraceSeconds: expect.any(Number),
      });
      expect(Number(byName(n)?.inputs?.destroyGraceSeconds)).toBeGreaterThan(0);
    }
    // A reviewer sees a non-secret env change: the Grafana envs are not one opaque secret, and
    // the password itself appears nowhere in the exported state.
    const exported = JSON.stringify(state);
    expect(exported).not.toContain(ctx.password);
    const envs = byName("k6obs-grafana-container")?.inputs?.envs;
    expect(JSON.stringify(envs)).toContain("GF_SERVER_ROOT_URL=");
  });

  test("a no-op preview plans nothing right after up", async () => {
    const s = need();
    const r = await s.npm("preview", ["--expect-no-changes"], {
      label: "dev: npm run preview -- --expect-no-changes (after up)",
    });
    expect({ code: r.code, output: r.code === 0 ? "" : tail(r.output, 30) }).toEqual({ code: 0, output: "" });
  });

  test("a second machine (another K6OBS_HOME, a clone of the committed files) can preview the stack", async () => {
    const s = need();
    const other = tempDir("k6obs-e2e-machine2-");
    try {
      // What the first machine's up left in tracked files is what gets committed and pushed.
      const changed = git(s.checkout, ["status", "--porcelain"]).trim();
      say(`tracked files the first up changed: ${changed === "" ? "none" : changed.replace(/\n/g, ", ")}`);
      const salt = /encryptionsalt/.test(readIn(s.checkout, "Pulumi.dev.yaml"));
      say(`Pulumi.dev.yaml after the first up ${salt ? "HAS" : "has no"} encryptionsalt`);
      git(s.checkout, ["add", "-A"]);
      git(s.checkout, ["commit", "-q", "--allow-empty", "-m", "e2e: after the first up"]);
      const checkout = path.join(other.dir, "k6-observatory");
      cloneCheckout(s.checkout, checkout);
      const r = await s.npm("preview", [], {
        cwd: checkout,
        home: path.join(other.dir, "home"),
        label: "dev: npm run preview (second machine)",
      });
      expect({ code: r.code, output: r.code === 0 ? "" : tail(r.output, 20) }).toEqual({
        code: 0,
        output: "",
      });
    } finally {
      other.remove();
    }
  });

  test("a second up changes nothing and a no-op preview still plans nothing", async () => {
    const s = need();
    await s.npmOk("up", ["--yes"], { label: "dev: npm run up -- --yes (second, no-op)" });
    expect(containerIds()).toEqual(ctx.ids);
    const r = await s.npm("preview", ["--expect-no-changes"], {
      label: "dev: npm run preview -- --expect-no-changes (after second up)",
    });
    expect({ code: r.code, output: r.code === 0 ? "" : tail(r.output, 30) }).toEqual({ code: 0, output: "" });
  });

  test("a comment edit in components/ still compiles and plans nothing", async () => {
    const s = need();
    const file = "components/observatory.ts";
    const before = readIn(s.checkout, file);
    writeIn(s.checkout, file, `${before}\n// e2e: a comment edit must change nothing\n`);
    try {
      const r = await s.npm("preview", ["--expect-no-changes"], {
        label: "dev: preview --expect-no-changes (comment edit in components/)",
      });
      expect({ code: r.code, output: r.code === 0 ? "" : tail(r.output, 30) }).toEqual({
        code: 0,
        output: "",
      });
    } finally {
      writeIn(s.checkout, file, before);
    }
  });

  test("change class: a dashboard edit changes no resource and Grafana serves the new file", async () => {
    const s = need();
    const file = "provisioning/grafana/dashboards/stats/k6obs-k6-overview-stats.json";
    const doc = JSON.parse(readIn(s.checkout, file)) as { uid: string; title: string };
    doc.title = `${doc.title} (e2e edit)`;
    writeIn(s.checkout, file, JSON.stringify(doc, null, 2));
    const steps = await s.plan("dashboard edit");
    record("dashboard edit", steps);
    expect(summary(steps)).toEqual([]);
    const served = await eventually(
      "edited dashboard served",
      async () => {
        const d = await getJson<{ dashboard: { title: string } }>(
          `${ctx.grafanaUrl}/api/dashboards/uid/${doc.uid}`,
          auth(),
        );
        return d.dashboard.title === doc.title ? d.dashboard.title : undefined;
      },
      90_000,
    );
    expect(served).toBe(doc.title);
  });

  test("a dashboard saved through Grafana's API is stored", async () => {
    need();
    const r = await postJson(
      `${ctx.grafanaUrl}/api/dashboards/db`,
      { dashboard: { uid: "e2e-survives", title: "Survives destroy (e2e)", panels: [] }, overwrite: false },
      auth(),
    );
    expect(r.status).toBe(200);
    const d = await getJson<{ dashboard: { title: string } }>(
      `${ctx.grafanaUrl}/api/dashboards/uid/e2e-survives`,
      auth(),
    );
    expect(d.dashboard.title).toBe("Survives destroy (e2e)");
  });

  test("change class: a Prometheus config edit replaces only the reload trigger; same container, new config live", async () => {
    const s = need();
    const file = "provisioning/prometheus/prometheus.yml";
    const before = readIn(s.checkout, file);
    const edited = before.replace(/^global:\n/m, "global:\n  external_labels:\n    e2e_edit: reloaded\n");
    expect(edited).not.toBe(before);
    writeIn(s.checkout, file, edited);
    const steps = await s.plan("Prometheus config edit");
    record("Prometheus config edit", steps);
    expect(touched(steps)).toEqual(["k6obs-prometheus-reload"]);
    await s.npmOk("up", ["--yes"], { label: "dev: npm run up -- --yes (Prometheus config edit)" });
    const now = containerIds();
    expect(now.prometheus).toBe(ctx.ids.prometheus);
    expect(now.grafana).toBe(ctx.ids.grafana);
    expect(now.reload).not.toBe(ctx.ids.reload);
    const cfg = await getJson<{ data: { yaml: string } }>(`${ctx.prometheusUrl}/api/v1/status/config`);
    expect(cfg.data.yaml).toContain("e2e_edit: reloaded");
    expect(s.docker_(["inspect", "--format", "{{.State.ExitCode}}", "k6obs-dev-prometheus-reload"])).toBe(
      "0",
    );
    ctx.ids = now;
  });

  test("change class: a grafanaPort change replaces only Grafana, and its data stays", async () => {
    const s = need();
    const port = s.ports.dev.grafana + 1;
    await s.configSet("grafanaPort", String(port));
    const steps = await s.plan("grafanaPort change");
    record("grafanaPort change", steps);
    expect(touched(steps.filter((st) => st.type === CONTAINER_TYPE))).toEqual(["k6obs-grafana-container"]);
    await s.npmOk("up", ["--yes"], { label: "dev: npm run up -- --yes (grafanaPort change)" });
    const now = containerIds();
    expect({ ...now, grafana: "" }).toEqual({ ...ctx.ids, grafana: "" });
    expect(now.grafana).not.toBe(ctx.ids.grafana);
    ctx.ids = now;
    await refreshOutputs();
    expect(ctx.grafanaUrl).toContain(`:${port}`);
    const d = await getJson<{ dashboard: { title: string } }>(
      `${ctx.grafanaUrl}/api/dashboards/uid/e2e-survives`,
      auth(),
    );
    expect(d.dashboard.title).toBe("Survives destroy (e2e)");
  });

  test("change class: a Grafana image bump replaces only Grafana", async () => {
    const s = need();
    await s.configSet("grafanaImage", s.images.grafanaBump);
    const steps = await s.plan("Grafana image bump");
    record("Grafana image bump", steps);
    expect(touched(steps.filter((st) => st.type === CONTAINER_TYPE))).toEqual(["k6obs-grafana-container"]);
    await s.npmOk("up", ["--yes"], { label: "dev: npm run up -- --yes (Grafana image bump)" });
    const now = containerIds();
    expect({ ...now, grafana: "" }).toEqual({ ...ctx.ids, grafana: "" });
    expect(now.grafana).not.toBe(ctx.ids.grafana);
    ctx.ids = now;
    expect(health("k6obs-dev-grafana")).toBe("healthy");
    expect(need().docker_(["inspect", "--format", "{{.Config.Image}}", "k6obs-dev-grafana"])).toBe(
      s.docker_(["image", "inspect", "--format", "{{.Id}}", s.images.grafanaBump]),
    );
    const me = await getJson<{ login: string }>(`${ctx.grafanaUrl}/api/user`, auth());
    expect(me.login).toBe(ctx.user);
  });

  test("no change class replaces or deletes a volume", () => {
    need();
    const onVolumes = allPlanned
      .filter((p) => p.step.type === VOLUME_TYPE)
      .map((p) => `${p.cls}: ${p.step.op} ${p.step.name}`);
    expect(onVolumes).toEqual([]);
    expect(new Set(allPlanned.map((p) => p.cls)).size).toBeGreaterThanOrEqual(3);
  });

  test("k6:rerun runs the test again with a new testid and restarts nothing else", async () => {
    const s = need();
    const r = await s.npmOk("k6:rerun", ["--yes"], { label: "dev: npm run k6:rerun -- --yes" });
    const testId = await s.output("k6TestId");
    expect(r.stdout).toContain(testId);
    expect(ctx.testIds).not.toContain(testId);
    ctx.testIds.push(testId);
    const now = containerIds();
    expect({ ...now, k6: "" }).toEqual({ ...ctx.ids, k6: "" });
    ctx.ids = now;
    expect(
      await eventually("rerun samples", async () => ((await k6Series(testId)) > 0 ? 1 : undefined), 30_000),
    ).toBe(1);
  });
});

describe("a second stack beside dev", () => {
  test("ci runs beside dev with no shared name or port", async () => {
    const s = need();
    await s.npmOk("up", ["--yes"], { stack: "ci", label: "ci: npm run up -- --yes (beside dev)" });
    const dev = s.objects("k6obs-dev-");
    const ci = s.objects("k6obs-ci-");
    expect(ci.containers).toEqual([
      "k6obs-ci-alertmanager",
      "k6obs-ci-grafana",
      "k6obs-ci-k6",
      "k6obs-ci-prometheus",
      "k6obs-ci-prometheus-reload",
    ]);
    expect(ci.volumes).toHaveLength(4);
    expect(ci.networks).toEqual(["k6obs-ci-net"]);
    expect(dev.volumes).toHaveLength(4);
    const ports = (name: string) =>
      s
        .docker_([
          "inspect",
          "--format",
          "{{range $p, $b := .HostConfig.PortBindings}}{{range $b}}{{.HostIp}}:{{.HostPort}} {{end}}{{end}}",
          name,
        ])
        .split(" ")
        .filter(Boolean);
    const devPorts = [
      ...ports("k6obs-dev-grafana"),
      ...ports("k6obs-dev-prometheus"),
      ...ports("k6obs-dev-alertmanager"),
    ];
    const ciPorts = [
      ...ports("k6obs-ci-grafana"),
      ...ports("k6obs-ci-prometheus"),
      ...ports("k6obs-ci-alertmanager"),
    ];
    expect(ciPorts.filter((p) => devPorts.includes(p))).toEqual([]);
    for (const p of [...devPorts, ...ciPorts]) expect(p).toMatch(/^127\.0\.0\.1:/);
    expect(health("k6obs-ci-prometheus")).toBe("healthy");
    expect(health("k6obs-ci-grafana")).toBe("healthy");
    expect(containerIds()).toEqual(ctx.ids);
    const ciTestId = await s.output("k6TestId", { stack: "ci" });
    const ciProm = await s.output("prometheusUrl", { stack: "ci" });
    expect(
      await eventually(
        "ci samples",
        async () => ((await k6Series(ciTestId, ciProm)) > 0 ? 1 : undefined),
        30_000,
      ),
    ).toBe(1);
    // dev's Prometheus never saw ci's run.
    expect(await k6Series(ciTestId)).toBe(0);
  });

  test("ci's destroy leaves dev running", async () => {
    const s = need();
    await s.npmOk("destroy", ["--yes"], { stack: "ci", label: "ci: npm run destroy -- --yes" });
    expect(s.objects("k6obs-ci-").containers).toEqual([]);
    expect(s.objects("k6obs-ci-").volumes).toHaveLength(4);
    expect(containerIds()).toEqual(ctx.ids);
  });
});

describe("policy pack on the real engine", () => {
  test("a non-loopback bind is blocked without the policy consent and passes with it", async () => {
    const s = need();
    await s.configSet("bindAddress", "0.0.0.0");
    await s.configSet("allowNonLoopbackBind", "true");
    try {
      const blocked = await s.npm("preview", [], {
        label: "dev: npm run preview (0.0.0.0, no policy consent)",
      });
      expect(blocked.code).not.toBe(0);
      expect(blocked.output).toMatch(/k6obs-port-loopback/);
      const allowed = await s.npm(
        "preview",
        ["--policy-pack-config", "policy/allow-non-loopback-bind.json"],
        {
          label: "dev: npm run preview (0.0.0.0, with policy consent)",
        },
      );
      expect({ code: allowed.code, output: allowed.code === 0 ? "" : tail(allowed.output, 20) }).toEqual({
        code: 0,
        output: "",
      });
    } finally {
      await s.npmOk("pulumi", ["config", "rm", "bindAddress"], { label: "dev: config rm bindAddress" });
      await s.npmOk("pulumi", ["config", "rm", "allowNonLoopbackBind"], {
        label: "dev: config rm allowNonLoopbackBind",
      });
    }
  });
});

describe("data survives destroy", () => {
  test("destroy removes the containers and the network and keeps every volume", async () => {
    const s = need();
    const volumesBefore = s.objects("k6obs-dev-").volumes;
    expect(volumesBefore).toHaveLength(4);
    await s.npmOk("destroy", ["--yes"], { label: "dev: npm run destroy -- --yes" });
    const after = s.objects("k6obs-dev-");
    expect(after.containers).toEqual([]);
    expect(after.networks).toEqual([]);
    expect(after.volumes).toEqual(volumesBefore);
  });

  test("the next up re-attaches the volumes: earlier samples, grafana.db and the API-saved dashboard are back", async () => {
    const s = need();
    await s.npmOk("up", ["--yes"], { label: "dev: npm run up -- --yes (after destroy)" });
    await refreshOutputs();
    ctx.ids = containerIds();
    for (const id of ctx.testIds)
      expect({ id, series: (await k6Series(id)) > 0 }).toEqual({ id, series: true });
    // destroy dropped the generated password from state, so this is a new one: logging in with it
    // proves the start script applied it to the existing database.
    const d = await getJson<{ dashboard: { title: string } }>(
      `${ctx.grafanaUrl}/api/dashboards/uid/e2e-survives`,
      auth(),
    );
    expect(d.dashboard.title).toBe("Survives destroy (e2e)");
    expect(s.docker_(["exec", "k6obs-dev-grafana", "ls", "/var/lib/grafana"]).split(/\s+/)).toContain(
      "grafana.db",
    );
    expect(s.logs("k6obs-dev-grafana")).toMatch(/admin password applied to the existing database/);
  });
});

describe("protectVolumes and purge-data", () => {
  test("protectVolumes makes a plain destroy refuse; --exclude-protected removes the rest", async () => {
    const s = need();
    await s.configSet("protectVolumes", "true");
    await s.npmOk("up", ["--yes"], { label: "dev: npm run up -- --yes (protectVolumes)" });
    const refused = await s.npm("destroy", ["--yes"], {
      label: "dev: npm run destroy -- --yes (protected: must refuse)",
    });
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(/protect/i);
    expect(s.objects("k6obs-dev-").containers.length).toBeGreaterThan(0);
    await s.npmOk("destroy", ["--yes", "--exclude-protected"], {
      label: "dev: npm run destroy -- --yes --exclude-protected",
    });
    expect(s.objects("k6obs-dev-").containers).toEqual([]);
    expect(s.objects("k6obs-dev-").volumes).toHaveLength(4);
    await s.npmOk("pulumi", ["state", "unprotect", "--all", "--yes"], {
      label: "dev: state unprotect --all",
    });
    await s.npmOk("destroy", ["--yes"], {
      label: "dev: npm run destroy -- --yes (unprotected volumes leave state)",
    });
    expect(s.objects("k6obs-dev-").volumes).toHaveLength(4);
    await s.npmOk("pulumi", ["config", "rm", "protectVolumes"], { label: "dev: config rm protectVolumes" });
  });

  test("purge-data deletes only after confirmation, and only the named stack's volumes", async () => {
    const s = need();
    const noTty = await s.npm("purge-data", [], {
      label: "dev: npm run purge-data (no terminal, no --confirm)",
    });
    expect(noTty.code).not.toBe(0);
    expect(noTty.output).toMatch(/--confirm dev/);
    const wrong = await s.npm("purge-data", ["--confirm", "ci"], {
      label: "dev: npm run purge-data -- --confirm ci (wrong stack)",
    });
    expect(wrong.code).not.toBe(0);
    expect(s.objects("k6obs-dev-").volumes).toHaveLength(4);
    await s.npmOk("purge-data", ["--confirm", "dev"], { label: "dev: npm run purge-data -- --confirm dev" });
    expect(s.objects("k6obs-dev-").volumes).toEqual([]);
    expect(s.objects("k6obs-ci-").volumes).toHaveLength(4);
    await s.npmOk("purge-data", ["--confirm", "ci"], {
      stack: "ci",
      label: "ci: npm run purge-data -- --confirm ci",
    });
    expect(s.objects("k6obs-ci-").volumes).toEqual([]);
  });
});

describe("adopting docker-compose volumes", () => {
  test("an existing compose-made volume is adopted as-is and keeps its data", async () => {
    const s = need();
    const vols = { prometheus: "e2ecompose_prometheus_data", grafana: "e2ecompose_grafana_data" };
    for (const [role, name] of Object.entries(vols)) {
      s.docker_([
        "volume",
        "create",
        "--label",
        "com.docker.compose.project=e2ecompose",
        "--label",
        `com.docker.compose.volume=${role}_data`,
        name,
      ]);
      const owner = role === "grafana" ? "472:0" : "65534:65534";
      s.docker_([
        "run",
        "--rm",
        "--user",
        "0",
        "--network",
        "none",
        "--entrypoint",
        "/bin/sh",
        "-v",
        `${name}:/data`,
        s.images.prometheus,
        "-c",
        `echo compose-era > /data/e2e-marker && chown -R ${owner} /data`,
      ]);
    }
    await s.configSet("prometheusVolumeName", vols.prometheus);
    await s.configSet("grafanaVolumeName", vols.grafana);
    await s.configSet("k6Enabled", "false");
    await s.npmOk("up", ["--yes"], { label: "dev: npm run up -- --yes (adopted compose volumes)" });
    expect(await s.output("grafanaVolume")).toBe(vols.grafana);
    expect(s.docker_(["exec", "k6obs-dev-grafana", "cat", "/var/lib/grafana/e2e-marker"])).toBe(
      "compose-era",
    );
    expect(s.docker_(["exec", "k6obs-dev-prometheus", "cat", "/prometheus/e2e-marker"])).toBe("compose-era");
    const r = await s.npm("preview", ["--expect-no-changes"], {
      label: "dev: preview --expect-no-changes (adopted volumes)",
    });
    expect({ code: r.code, output: r.code === 0 ? "" : tail(r.output, 30) }).toEqual({ code: 0, output: "" });
    await s.npmOk("destroy", ["--yes"], { label: "dev: npm run destroy -- --yes (adopted volumes)" });
    expect(s.objects("e2ecompose_").volumes).toEqual([vols.grafana, vols.prometheus]);
    await s.npmOk(
      "purge-data",
      [
        "--confirm",
        "dev",
        ...[vols.prometheus, vols.grafana].flatMap((v) => ["--volume", v, "--confirm-volume", v]),
      ],
      {
        label: "dev: npm run purge-data -- --volume ... --confirm-volume ... (adopted)",
      },
    );
    expect(s.objects("e2ecompose_").volumes).toEqual([]);
  });
});
