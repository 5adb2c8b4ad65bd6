// An authenticated Prometheus (prometheusAuth, or an exposed prometheusBindAddress), on the real
// Prometheus binary at the pinned version with the repo's own flags (prometheusFlags with
// webConfigFile), config (the self-scrape's basic_auth) and web config (prometheusWebConfig of a
// bcrypt hash): every endpoint a stranger could abuse answers 401 without the stack's
// credentials, and the clients the stack runs get in with them. The container wiring (uploads,
// healthcheck, reload trigger) is to be proven on a real engine by tests/e2e/exposure.test.ts (branch exposure; not passed yet).
import { execFile } from "node:child_process";
import * as path from "node:path";
import { PROMETHEUS_AUTH_USER, PROMETHEUS_SELF_JOB } from "../../model/prometheus";
import { SCRIPTS_DIR, runK6, uniqueTestId } from "../harness/k6";
import { PrometheusServer, basicAuthHeader, sleep, startPrometheus } from "../harness/prometheus";
import { Target, startTarget } from "../harness/target";
import { REPO_DIR, TOOLS_TIMEOUT_MS, Tools, installTools } from "../harness/tools";

let tools: Tools;
let prom: PrometheusServer;
/** The same flags and config without a web config: the negative control. */
let open: PrometheusServer;
let target: Target;

beforeAll(async () => {
  tools = await installTools();
  [prom, open, target] = await Promise.all([
    startPrometheus({ tools, trendMode: "stats", auth: true, scrapeInterval: "1s" }),
    startPrometheus({ tools, trendMode: "stats", scrapeInterval: "1s" }),
    startTarget({ failEvery: 0 }),
  ]);
}, TOOLS_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all([prom?.stop(), open?.stop(), target?.close()]);
  prom?.removeWorkDir();
  open?.removeWorkDir();
});

const status = async (
  server: PrometheusServer,
  method: "GET" | "POST",
  urlPath: string,
  auth?: { user: string; password: string },
): Promise<number> =>
  (
    await fetch(`${server.url}${urlPath}`, {
      method,
      headers: auth ? { Authorization: basicAuthHeader(auth) } : {},
    })
  ).status;

/** What an attacker on the network would try first: stop it, reload it, write into it, delete data. */
const GUARDED: ["GET" | "POST", string][] = [
  ["POST", "/-/quit"],
  ["POST", "/-/reload"],
  ["POST", "/api/v1/write"],
  ["POST", "/api/v1/admin/tsdb/snapshot"],
  ["POST", "/api/v1/admin/tsdb/delete_series?match[]=up"],
  ["POST", "/api/v1/admin/tsdb/clean_tombstones"],
  ["GET", "/api/v1/query?query=up"],
  ["GET", "/api/v1/status/config"],
  ["GET", "/metrics"],
  ["GET", "/-/ready"],
  ["GET", "/-/healthy"],
];

test("the flags carry --web.config.file and no admin API", () => {
  expect(prom.flags.some((f) => f.startsWith("--web.config.file="))).toBe(true);
  expect(prom.flags).not.toContain("--web.enable-admin-api");
  expect(open.flags.some((f) => f.startsWith("--web.config.file="))).toBe(false);
});

test.each(GUARDED)("%s %s answers 401 without credentials and with a wrong password", async (method, p) => {
  expect(await status(prom, method, p)).toBe(401);
  expect(await status(prom, method, p, { user: PROMETHEUS_AUTH_USER, password: "wrong-password" })).toBe(401);
  expect(await status(prom, method, p, { user: "admin", password: prom.auth?.password ?? "" })).toBe(401);
});

test("negative control: the same Prometheus without the web config answers them unauthenticated", async () => {
  expect(await status(open, "GET", "/-/ready")).toBe(200);
  expect(await status(open, "GET", "/api/v1/query?query=up")).toBe(200);
});

test("after the unauthenticated /-/quit attempts it is still running, and it answers the stack's credentials", async () => {
  expect(await status(prom, "GET", "/-/ready", prom.auth)).toBe(200);
  // The reload trigger's request.
  expect(await status(prom, "POST", "/-/reload", prom.auth)).toBe(200);
});

test("the admin API is not enabled at all: even with credentials it refuses", async () => {
  const res = await fetch(`${prom.url}/api/v1/admin/tsdb/snapshot`, {
    method: "POST",
    headers: prom.headers,
  });
  const body = (await res.json()) as { error?: string };
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(body.error).toBe("admin APIs disabled");
});

test("the self-scrape authenticates with the password file (up == 1), on both servers", async () => {
  for (const server of [prom, open]) {
    let up = -1;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const series = await server.query(`up{job="${PROMETHEUS_SELF_JOB}"}`);
      up = Number(series[0]?.value?.[1] ?? -1);
      if (up === 1) break;
      await sleep(500);
    }
    expect([server.url, up]).toEqual([server.url, 1]);
  }
}, 70_000);

describe("k6 remote write (the repo's emitter)", () => {
  const run = (testId: string, credentials: Record<string, string>) =>
    runK6({
      trendMode: "stats",
      script: path.join(SCRIPTS_DIR, "smoke.js"),
      testId,
      remoteWriteUrl: prom.remoteWriteUrl,
      targetUrl: target.url,
      extraEnv: { DURATION: "3s", VUS: "1" },
      editEnv: (env) => ({ ...env, ...credentials }),
    });
  const samples = (testId: string) => prom.scalar(`count_over_time(k6_vus{testid="${testId}"}[10m])`);

  test("with K6_PROMETHEUS_RW_USERNAME/PASSWORD its samples arrive", async () => {
    const testId = uniqueTestId("auth-ok");
    const result = await run(testId, {
      K6_PROMETHEUS_RW_USERNAME: PROMETHEUS_AUTH_USER,
      K6_PROMETHEUS_RW_PASSWORD: prom.auth?.password ?? "",
    });
    expect({ code: result.code, stderr: result.stderr.slice(-800) }).toEqual({
      code: 0,
      stderr: expect.any(String),
    });
    expect(await samples(testId)).toBeGreaterThan(0);
  }, 60_000);

  test.each([
    ["without credentials", {}],
    [
      "with a wrong password",
      { K6_PROMETHEUS_RW_USERNAME: PROMETHEUS_AUTH_USER, K6_PROMETHEUS_RW_PASSWORD: "nope" },
    ],
  ])(
    "%s its pushes are refused (401) and nothing is stored",
    async (_label, credentials) => {
      const testId = uniqueTestId("auth-refused");
      const result = await run(testId, credentials);
      expect(`${result.stdout}${result.stderr}`).toContain("401");
      expect(await samples(testId)).toBe(0);
    },
    60_000,
  );
});

describe("npm run k6:compare against it (the one ops tool that queries Prometheus)", () => {
  const gate = (env: Record<string, string>) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const inherited: NodeJS.ProcessEnv = { ...process.env };
      for (const k of ["PROMETHEUS_URL", "PROMETHEUS_USER", "PROMETHEUS_PASSWORD"]) delete inherited[k];
      execFile(
        path.join(REPO_DIR, "node_modules/.bin/tsx"),
        ["ops/k6-compare/cli.ts", "--baseline", "no-such-run", "--candidate", "no-such-run-either"],
        { cwd: REPO_DIR, env: { ...inherited, PROMETHEUS_URL: prom.url, ...env } },
        (err, stdout, stderr) =>
          resolve({
            code: err ? ((err as { code?: number }).code ?? null) : 0,
            output: `${stdout}${stderr}`,
          }),
      );
    });

  test("without credentials it cannot judge (exit 3) and says which variables to set", async () => {
    const r = await gate({});
    expect(r.code).toBe(3);
    expect(r.output).toContain(
      "answered 401 Unauthorized: it requires basic auth; set PROMETHEUS_USER and PROMETHEUS_PASSWORD",
    );
  }, 60_000);

  test("with PROMETHEUS_USER/PROMETHEUS_PASSWORD it gets through and queries (unknown testid: exit 2)", async () => {
    const r = await gate({
      PROMETHEUS_USER: PROMETHEUS_AUTH_USER,
      PROMETHEUS_PASSWORD: prom.auth?.password ?? "",
    });
    expect({ code: r.code, output: r.output }).toEqual({
      code: 2,
      output: expect.stringContaining("unknown testid"),
    });
  }, 60_000);
});
