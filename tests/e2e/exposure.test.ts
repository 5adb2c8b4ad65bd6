/**
 * Exposure on a real Pulumi engine and a real Docker Engine (issue 10): a dev stack whose
 * Prometheus is published on a non-loopback address comes up healthy with basic auth, its
 * published port answers 401 without the stack's credentials, and neither the password nor its
 * bcrypt hash is visible in `docker inspect` of any container. Then the password is rotated and
 * what that replaces is measured. Setup and what the stand-ins cannot prove: tests/e2e/README.md.
 *
 * The non-loopback address is the suite's own bridge address (tests/harness/docker-engine.sh,
 * `<subnet>.0.1`): not loopback, but on this host only, so nothing is offered to the network. With
 * K6OBS_E2E_DOCKER=system (a disposable CI runner) it is 0.0.0.0.
 * k6 is off: its credentials reach it through K6Run's secretEnv (tests/program/exposure.test.ts).
 */
import * as fs from "fs";
import * as path from "path";
import {
  GRAFANA_PROMETHEUS_PASSWORD_FILE,
  PROMETHEUS_AUTH_USER,
  PROMETHEUS_SELF_JOB,
} from "../../model/prometheus";
import { eventually, say, tempDir } from "../harness/e2e/harness";
import { tail } from "../harness/e2e/sandbox";
import { e2eStory } from "../harness/e2e/story";
import { reportedChanges } from "../harness/pulumi-summary";

jest.setTimeout(15 * 60_000);

const CONTAINERS = ["k6obs-dev-prometheus", "k6obs-dev-prometheus-reload", "k6obs-dev-grafana"];
const PASSWORD_URN =
  "urn:pulumi:dev::k6-observatory::k6obs:stack:Observatory$random:index/randomPassword:RandomPassword::k6obs-prometheus-password";

const { need } = e2eStory("exposure");

function bindAddress(): string {
  // The engine's own bridge address: the suite's engines each have one (a worker's engine too).
  return need().docker.mode === "dedicated" ? need().bridgeGateway() : "0.0.0.0";
}

const ctx = { url: "", password: "", ids: {} as Record<string, string | undefined> };

async function status(urlPath: string, method = "GET", password?: string): Promise<number> {
  const headers: Record<string, string> = {};
  if (password !== undefined) {
    headers.Authorization = `Basic ${Buffer.from(`${PROMETHEUS_AUTH_USER}:${password}`).toString("base64")}`;
  }
  const res = await fetch(`${ctx.url}${urlPath}`, { method, headers, signal: AbortSignal.timeout(15_000) });
  await res.arrayBuffer();
  return res.status;
}

async function selfUp(password: string): Promise<number> {
  const q = encodeURIComponent(`up{job="${PROMETHEUS_SELF_JOB}"}`);
  const res = await fetch(`${ctx.url}/api/v1/query?query=${q}`, {
    headers: {
      Authorization: `Basic ${Buffer.from(`${PROMETHEUS_AUTH_USER}:${password}`).toString("base64")}`,
    },
  });
  const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
  return Number(body.data?.result?.[0]?.value[1] ?? -1);
}

async function refresh(): Promise<void> {
  ctx.url = await need().output("prometheusUrl");
  ctx.password = await need().output("prometheusPassword", { showSecrets: true });
  ctx.ids = Object.fromEntries(CONTAINERS.map((c) => [c, need().containerId(c)]));
}

/** A file of a container, read with `docker cp` (the stand-in images have no shell to cat with). */
function fileOf(container: string, file: string): string {
  const dir = tempDir("k6obs-e2e-cp-");
  try {
    need().docker_(["cp", `${container}:${file}`, dir.dir]);
    return fs.readFileSync(path.join(dir.dir, path.basename(file)), "utf8");
  } finally {
    dir.remove();
  }
}

describe("a dev stack with Prometheus exposed", () => {
  test("comes up healthy with auth on, published on the non-loopback address", async () => {
    const s = need();
    await s.configSet("prometheusBindAddress", bindAddress());
    await s.configSet("allowNonLoopbackPrometheusBind", "true");
    await s.configSet("k6Enabled", "false");
    await s.npmOk("up", ["--yes", "--policy-pack-config", "policy/allow-non-loopback-bind.json"], {
      label: "dev: npm run up -- --yes (Prometheus exposed)",
    });
    await refresh();
    expect(await s.output("prometheusAuth")).toBe("true");
    expect(ctx.url).toBe(`http://${bindAddress()}:${s.ports.dev.prometheus}`);
    expect(ctx.password).toMatch(/^[A-Za-z0-9]{32}$/);
    const inspect = (name: string, format: string) => s.docker_(["inspect", "--format", format, name]);
    expect(inspect("k6obs-dev-prometheus", "{{.State.Health.Status}}")).toBe("healthy");
    expect(inspect("k6obs-dev-grafana", "{{.State.Health.Status}}")).toBe("healthy");
    // The reload trigger POSTed /-/reload with the credentials from its uploaded file.
    expect(inspect("k6obs-dev-prometheus-reload", "{{.State.ExitCode}}")).toBe("0");
    expect(inspect("k6obs-dev-prometheus", "{{json .HostConfig.PortBindings}}")).toContain(
      `"HostIp":"${bindAddress()}"`,
    );
    // Grafana stays on loopback.
    expect(inspect("k6obs-dev-grafana", "{{json .HostConfig.PortBindings}}")).toContain(
      '"HostIp":"127.0.0.1"',
    );
  });

  test("its published port answers 401 without credentials, on every endpoint tried", async () => {
    need();
    for (const [method, p] of [
      ["GET", "/-/ready"],
      ["GET", "/api/v1/query?query=up"],
      ["POST", "/-/quit"],
      ["POST", "/-/reload"],
      ["POST", "/api/v1/write"],
      ["POST", "/api/v1/admin/tsdb/delete_series?match[]=up"],
    ] as const) {
      expect([method, p, await status(p, method)]).toEqual([method, p, 401]);
      expect([method, p, await status(p, method, "wrong")]).toEqual([method, p, 401]);
    }
    expect(await status("/-/ready", "GET", ctx.password)).toBe(200);
  });

  test("the self-scrape inside the container authenticates (up == 1)", async () => {
    need();
    await eventually("up{job=prometheus} == 1", async () =>
      (await selfUp(ctx.password)) === 1 ? true : undefined,
    );
  });

  test("docker inspect of no container shows the password or its hash; Grafana's datasource reads it from a file", () => {
    const s = need();
    const hashPrefix = /\$2[aby]\$\d\d\$/;
    for (const name of CONTAINERS) {
      const inspected = s.docker_(["inspect", name]);
      expect([name, inspected.includes(ctx.password)]).toEqual([name, false]);
      expect([name, hashPrefix.test(inspected)]).toEqual([name, false]);
    }
    const grafanaEnv = s.docker_(["inspect", "--format", "{{json .Config.Env}}", "k6obs-dev-grafana"]);
    expect(grafanaEnv).not.toContain(ctx.password);
    // The file the provisioned datasource's $__file{...} names holds the stack's password.
    expect(fileOf("k6obs-dev-grafana", GRAFANA_PROMETHEUS_PASSWORD_FILE)).toBe(ctx.password);
  });

  test("a second up changes nothing (uploads and the CMD-SHELL healthcheck read back without a diff)", async () => {
    const s = need();
    const ids = () =>
      Object.fromEntries(s.objects("k6obs-dev-").containers.map((c) => [c, s.containerId(c)]));
    const before = ids();
    expect(Object.keys(before)).toEqual(expect.arrayContaining(CONTAINERS));
    // A real up, not only a preview: --expect-no-changes makes it exit non-zero after applying any change.
    const up = await s.npm(
      "up",
      ["--yes", "--expect-no-changes", "--policy-pack-config", "policy/allow-non-loopback-bind.json"],
      { label: "dev: npm run up -- --yes --expect-no-changes (second, after the exposed up)" },
    );
    expect({ code: up.code, out: up.code === 0 ? "" : tail(up.output) }).toEqual({ code: 0, out: "" });
    // Its preview and update summaries say only "<n> unchanged", and every container is the same one.
    expect(reportedChanges(up.output)).toEqual([]);
    expect(ids()).toEqual(before);
    const r = await s.npm(
      "preview",
      ["--expect-no-changes", "--policy-pack-config", "policy/allow-non-loopback-bind.json"],
      { label: "dev: npm run preview -- --expect-no-changes (after the exposed up)" },
    );
    expect({ code: r.code, out: r.code === 0 ? "" : tail(r.output) }).toEqual({ code: 0, out: "" });
  });

  test("rotating the password replaces Prometheus, its reload trigger and Grafana; the old password is refused", async () => {
    const s = need();
    const before = { ...ctx.ids };
    const old = ctx.password;
    const r = await s.npm(
      "up",
      ["--yes", "--policy-pack-config", "policy/allow-non-loopback-bind.json", "--replace", PASSWORD_URN],
      { label: "dev: npm run up -- --replace <prometheus password> (rotation)" },
    );
    expect({ code: r.code, out: r.code === 0 ? "" : tail(r.output) }).toEqual({ code: 0, out: "" });
    await refresh();
    expect(ctx.password).not.toBe(old);
    const replaced = CONTAINERS.filter((c) => before[c] !== ctx.ids[c]);
    say(`password rotation replaced: ${replaced.join(", ")}`);
    expect(replaced).toEqual(CONTAINERS);
    expect(await status("/-/ready", "GET", old)).toBe(401);
    expect(await status("/-/ready", "GET", ctx.password)).toBe(200);
    expect(fileOf("k6obs-dev-grafana", GRAFANA_PROMETHEUS_PASSWORD_FILE)).toBe(ctx.password);
    await eventually("up == 1 after rotation", async () =>
      (await selfUp(ctx.password)) === 1 ? true : undefined,
    );
  });
});
