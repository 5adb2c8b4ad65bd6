// provisioning/k6/scripts/authenticated.js run by the k6-compatible emitter on the host with the
// env the stack gives it (k6Env + the secret env): the token from k6SecretEnv and the credentials of
// a secret target URL both reach the system under test. The emitter sends requests as k6 does
// (basic auth from the URL's user info unless the script sets Authorization itself); that real k6
// does the same is what this cannot prove.
import * as path from "node:path";
import { SCRIPTS_DIR, runK6, uniqueTestId } from "../harness/k6";
import { Target, startTarget } from "../harness/target";

let target: Target;
let sink: Target;

beforeAll(async () => {
  target = await startTarget({ recordHeaders: ["authorization", "x-api-key"] });
  // Takes the remote write (404s are logged and dropped, as k6 does).
  sink = await startTarget();
});
afterAll(async () => {
  await target?.close();
  await sink?.close();
});

const run = (env: Record<string, string>, targetUrl: string) =>
  runK6({
    trendMode: "stats",
    script: path.join(SCRIPTS_DIR, "authenticated.js"),
    testId: uniqueTestId("authenticated"),
    remoteWriteUrl: `${sink.url}/api/v1/write`,
    targetUrl,
    extraEnv: { DURATION: "2s", VUS: "1", SLEEP: "0.2", ...env },
  });

test("the token goes in the header the script is told, the URL's credentials as basic auth", async () => {
  const url = new URL(target.url);
  url.username = "bob";
  url.password = "pw-int-1";
  const r = await run({ API_TOKEN: "tok-int-1", AUTH_HEADER: "X-Api-Key" }, url.href.replace(/\/$/, ""));
  expect({ code: r.code, stderr: r.stderr.slice(-800) }).toEqual({ code: 0, stderr: expect.any(String) });
  expect([...(target.headers.get("x-api-key") ?? [])]).toEqual(["tok-int-1"]);
  expect([...(target.headers.get("authorization") ?? [])]).toEqual([
    `Basic ${Buffer.from("bob:pw-int-1").toString("base64")}`,
  ]);
}, 120_000);

test("by default the token is a bearer token", async () => {
  const r = await run({ API_TOKEN: "tok-int-2" }, target.url);
  expect(r.code).toBe(0);
  expect(target.headers.get("authorization")?.has("Bearer tok-int-2")).toBe(true);
}, 120_000);

test("without API_TOKEN the script refuses to start, saying how to set it", async () => {
  const r = await run({}, target.url);
  expect(r.code).not.toBe(0);
  expect(`${r.stdout}${r.stderr}`).toContain("pulumi config set --secret --path 'k6SecretEnv.API_TOKEN'");
}, 120_000);
