/**
 * k6 on two Docker Engines, on a real Pulumi engine: the suite's dedicated engine is the stack's
 * own host, a second dedicated engine (tests/harness/e2e/second-engine.ts: its own socket, data
 * root, exec root, pid file, bridge and subnet) is an extra k6 runner host (`k6Runners`). One
 * `npm run up` runs both runners' segments with one testid into the one Prometheus, published on
 * the second engine's bridge address with basic auth; `k6:rerun` reruns both; `destroy` removes
 * both hosts' containers and keeps every volume on both. What the stand-ins cannot prove:
 * tests/e2e/README.md (the k6 containers run the k6-compatible emitter, which records its argv).
 */
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { AddressInfo } from "net";
import { K6_RESULTS_DIR } from "../../model/k6";
import { eventually, getJson, say, setStackFile, sh, tempDir } from "../harness/e2e/harness";
import { tail } from "../harness/e2e/sandbox";
import { e2eStory } from "../harness/e2e/story";
import { SECOND_ENGINE, copyImage, startSecondDocker } from "../harness/e2e/second-engine";
import { DockerEngine } from "../harness/e2e/harness";

jest.setTimeout(15 * 60_000);

let second: DockerEngine | undefined;
let target: http.Server | undefined;
const scratch = tempDir("k6obs-e2e-runners-");
const RUNNER = "second";
/** Prometheus is published beyond loopback: the policy pack needs its own consent for that. */
const POLICY_CONSENT = ["--policy-pack-config", "policy/allow-non-loopback-bind.json"];

/** A docker CLI call against the second engine. */
function docker2(args: string[]): string {
  return sh("docker", args, { ...process.env, DOCKER_HOST: second!.host }).trim();
}

/** Names on an engine starting with a prefix. */
function objectsOn(host: string, prefix: string): { containers: string[]; volumes: string[] } {
  const env = { ...process.env, DOCKER_HOST: host };
  const names = (args: string[]) =>
    sh("docker", args, env)
      .split("\n")
      .filter((n) => n !== "" && n.startsWith(prefix))
      .sort();
  return {
    containers: names(["ps", "-a", "--format", "{{.Names}}"]),
    volumes: names(["volume", "ls", "--format", "{{.Name}}"]),
  };
}

/** The emitter's recorded argv of a run (tests/harness/k6-emitter/argv-file.ts), from a container. */
function recordedArgv(host: string, container: string, testId: string): { argv: string[]; segment: string } {
  const out = path.join(scratch.dir, `${container}-${testId}.argv.json`);
  sh("docker", ["cp", `${container}:${K6_RESULTS_DIR}/${testId}.argv.json`, out], {
    ...process.env,
    DOCKER_HOST: host,
  });
  return JSON.parse(fs.readFileSync(out, "utf8")) as { argv: string[]; segment: string };
}

const ctx = { prometheusUrl: "", auth: { user: "", password: "" }, testId: "", targetUrl: "" };

const { need } = e2eStory("runners", {
  setup: async (sb) => {
    second = startSecondDocker();
    copyImage(sb.images.k6, sb.docker.host, second.host);
    // The system under test: a tiny server on the second bridge's address, which containers of both
    // engines reach (the first engine's containers through the host).
    target = http.createServer((_req, res) => res.writeHead(200).end("ok\n"));
    await new Promise<void>((r) => target!.listen(0, SECOND_ENGINE.gateway, r));
    ctx.targetUrl = `http://${SECOND_ENGINE.gateway}:${(target.address() as AddressInfo).port}`;
  },
  teardown: () => {
    target?.close();
    try {
      if (second) {
        const left = objectsOn(second.host, "");
        if (left.containers.length) docker2(["rm", "-f", ...left.containers]);
        if (left.volumes.length) docker2(["volume", "rm", "-f", ...left.volumes]);
      }
    } finally {
      second?.stop();
      scratch.remove();
    }
  },
});

test("an unreachable runner host fails the preview before any resource, naming the key, the host and the error", async () => {
  const s = need();
  await s.configSet("prometheusBindAddress", SECOND_ENGINE.gateway);
  await s.configSet("allowNonLoopbackPrometheusBind", "true");
  await s.configSet("k6TargetUrl", ctx.targetUrl);
  const missing = "unix:///run/k6obs-e2e-nowhere/docker.sock";
  // Object keys: written into the stack file (`config set` without --path stores a string).
  setStackFile(s.checkout, "dev", {
    k6Env: { DURATION: "6s", VUS: "4", SLEEP: "0.2", NOT_FOUND_EVERY: "0" },
    k6Runners: [{ name: RUNNER, host: missing }],
  });
  const r = await s.npm("preview", POLICY_CONSENT);
  say(`unreachable runner host, preview exit ${r.code}:\n${tail(r.output, 12)}`);
  expect(r.code).not.toBe(0);
  // The program's own check (config/runner-hosts.ts), before any resource: not the provider's
  // "failed to connect to any docker daemon", which names neither the runner nor the key.
  expect(r.output).toContain(
    `k6-observatory:k6Runners[0].host = "${missing}" (runner "${RUNNER}") is not reachable: cannot connect to socket /run/k6obs-e2e-nowhere/docker.sock (ENOENT)`,
  );
});

test("up: both runners run their segment with one testid and reach the one Prometheus with runner labels", async () => {
  const s = need();
  setStackFile(s.checkout, "dev", { k6Runners: [{ name: RUNNER, host: second!.host }] });
  await s.npmOk("up", ["--yes", "--skip-preview", ...POLICY_CONSENT]);
  ctx.testId = await s.output("k6TestId");
  ctx.prometheusUrl = `http://${SECOND_ENGINE.gateway}:${s.ports.dev.prometheus}`;
  ctx.auth = {
    user: await s.output("prometheusUser"),
    password: await s.output("prometheusPassword", { showSecrets: true }),
  };

  const local = recordedArgv(s.docker.host, "k6obs-dev-k6", ctx.testId);
  const remote = recordedArgv(second!.host, `k6obs-dev-k6-${RUNNER}`, ctx.testId);
  expect(local.segment).toBe("0:1/2");
  expect(remote.segment).toBe("1/2:1");
  for (const [a, runner] of [
    [local, "local"],
    [remote, RUNNER],
  ] as const) {
    expect(a.argv).toEqual(
      expect.arrayContaining([
        "--execution-segment-sequence",
        "0,1/2,1",
        `testid=${ctx.testId}`,
        `runner=${runner}`,
      ]),
    );
  }
  const exit = (host: string, c: string) =>
    sh("docker", ["inspect", "--format", "{{.State.ExitCode}}", c], {
      ...process.env,
      DOCKER_HOST: host,
    }).trim();
  expect([exit(s.docker.host, "k6obs-dev-k6"), exit(second!.host, `k6obs-dev-k6-${RUNNER}`)]).toEqual([
    "0",
    "0",
  ]);
  // The runner label is on each container too.
  expect(
    docker2(["inspect", "--format", '{{index .Config.Labels "k6obs.runner"}}', `k6obs-dev-k6-${RUNNER}`]),
  ).toBe(RUNNER);

  // Prometheus requires the credentials (runners must authenticate), and has both runners' samples.
  const status = await new Promise<number>((resolve) =>
    http
      .get(`${ctx.prometheusUrl}/api/v1/query?query=up`, (res) => resolve(res.statusCode ?? 0))
      .on("error", () => resolve(0)),
  );
  expect(status).toBe(401);
  const q = (expr: string) =>
    getJson<{ data: { result: { metric: Record<string, string>; value: [number, string] }[] } }>(
      `${ctx.prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`,
      ctx.auth,
    );
  const byRunner = await eventually("both runners' request totals in Prometheus", async () => {
    const r = await q(`sum by (runner) (last_over_time(k6_http_reqs_total{testid="${ctx.testId}"}[10m]))`);
    return r.data.result.length === 2 ? r : undefined;
  });
  const totals = Object.fromEntries(byRunner.data.result.map((x) => [x.metric.runner, Number(x.value[1])]));
  expect(Object.keys(totals).sort()).toEqual(["local", RUNNER]);
  for (const v of Object.values(totals)) expect(v).toBeGreaterThan(0);
  // 4 VUs split 2 + 2: each runner's peak is 2.
  const vus = await q(`max by (runner) (max_over_time(k6_vus{testid="${ctx.testId}"}[10m]))`);
  expect(Object.fromEntries(vus.data.result.map((x) => [x.metric.runner, Number(x.value[1])]))).toEqual({
    local: 2,
    [RUNNER]: 2,
  });
});

test("k6:rerun reruns both runners with one new testid", async () => {
  const s = need();
  const before = docker2(["inspect", "--format", "{{.Id}}", `k6obs-dev-k6-${RUNNER}`]);
  await s.npmOk("k6:rerun", ["--yes", "--skip-preview", ...POLICY_CONSENT]);
  const testId = await s.output("k6TestId");
  expect(testId).not.toBe(ctx.testId);
  expect(docker2(["inspect", "--format", "{{.Id}}", `k6obs-dev-k6-${RUNNER}`])).not.toBe(before);
  expect(recordedArgv(second!.host, `k6obs-dev-k6-${RUNNER}`, testId).segment).toBe("1/2:1");
  expect(recordedArgv(s.docker.host, "k6obs-dev-k6", testId).segment).toBe("0:1/2");
  ctx.testId = testId;
});

test("destroy removes both hosts' containers and keeps every volume on both", async () => {
  const s = need();
  await s.npmOk("destroy", ["--yes", "--skip-preview"]);
  expect(objectsOn(s.docker.host, "k6obs-dev-").containers).toEqual([]);
  expect(objectsOn(second!.host, "k6obs-dev-").containers).toEqual([]);
  expect(objectsOn(s.docker.host, "k6obs-dev-").volumes).toEqual([
    "k6obs-dev-alertmanager-data",
    "k6obs-dev-grafana-data",
    "k6obs-dev-k6-results",
    "k6obs-dev-prometheus-data",
  ]);
  expect(objectsOn(second!.host, "k6obs-dev-").volumes).toEqual(["k6obs-dev-k6-results"]);
});
