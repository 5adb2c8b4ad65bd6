// Long-term history with real parts (issue 12): the stack's Prometheus, with the config the
// program generates (the real builders: renderPrometheusConfig + withRemoteWrite +
// remoteWriteSection, credentials as files), forwards an emitter run to a second real Prometheus
// that requires basic auth, standing in for Thanos/Mimir/VictoriaMetrics. Only host values differ
// from the container: 127.0.0.1 URLs, ports and the credential files' directory.
// What it cannot show: a hosted store's own limits (rate limits, 429s, tenant headers).
import * as path from "node:path";
import { RemoteWriteTarget, checkRemoteWrite } from "../../model/remote-write";
import { TrendMode } from "../../model/trend-mode";
import { HistoryStore, STORE_PASSWORD, STORE_USER, startRemoteWriteSender } from "../harness/history-store";
import { SCRIPTS_DIR, runK6, uniqueTestId } from "../harness/k6";
import { PrometheusServer, sleep } from "../harness/prometheus";
import { Target, startTarget } from "../harness/target";
import { TOOLS_TIMEOUT_MS, Tools, installTools } from "../harness/tools";

let tools: Tools;
let target: Target;
let store: HistoryStore;
const senders: PrometheusServer[] = [];

/** Validates entries as the stack setting does (with a store host name), then points them at the local store. */
function targetsFor(entries: Record<string, unknown>[]): RemoteWriteTarget[] {
  const checked = checkRemoteWrite(entries);
  expect(checked.problems).toEqual([]);
  return checked.targets.map((t) => ({ ...t, url: store.remoteWriteUrl }));
}

/** A stack Prometheus whose config is the committed one plus remote_write to the targets. */
async function startSender(trendMode: TrendMode, targets: RemoteWriteTarget[]): Promise<PrometheusServer> {
  const sender = await startRemoteWriteSender({ tools, trendMode, targets, scrapeInterval: "1s" });
  senders.push(sender);
  return sender;
}

/** smoke.js (2 VUs, 6 s) remote-writing to the sender; its testid. */
async function runSmokeInto(
  sender: PrometheusServer,
  trendMode: TrendMode,
  idPrefix: string,
): Promise<string> {
  const testId = uniqueTestId(idPrefix);
  const run = await runK6({
    trendMode,
    script: path.join(SCRIPTS_DIR, "smoke.js"),
    testId,
    remoteWriteUrl: sender.remoteWriteUrl,
    targetUrl: target.url,
    extraEnv: { VUS: "2", DURATION: "6s", SLEEP: "0.2" },
  });
  expect(run.code).toBe(0);
  return testId;
}

async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last)} after ${ms} ms`);
    await sleep(1000);
    last = await read();
  }
  return last;
}

const FAST = { batchSendDeadline: "1s", minBackoff: "30ms", maxBackoff: "1s" };

beforeAll(async () => {
  tools = await installTools();
  target = await startTarget();
  store = await HistoryStore.start(tools);
}, TOOLS_TIMEOUT_MS);

afterAll(async () => {
  for (const s of senders) {
    await s.stop();
    s.removeWorkDir();
  }
  await store?.stop();
  await target?.close();
});

test("the store refuses requests without its password (the receiver really authenticates)", async () => {
  expect((await store.fetch("/-/ready", `${STORE_USER}:wrong`)).status).toBe(401);
  expect((await store.fetch("/-/ready")).status).toBe(200);
});

describe("a stats-mode stack with k6Only and a second target with a wrong password", () => {
  let sender: PrometheusServer;
  let testId: string;
  beforeAll(async () => {
    sender = await startSender(
      "stats",
      targetsFor([
        {
          name: "history",
          url: "http://history-store:9090/api/v1/write",
          username: STORE_USER,
          password: STORE_PASSWORD,
          queue: FAST,
        },
        {
          name: "wrongpw",
          url: "http://history-store-2:9090/api/v1/write",
          username: STORE_USER,
          password: "not-the-password",
          queue: FAST,
        },
      ]),
    );
    testId = await runSmokeInto(sender, "stats", "rw");
  }, 180_000);

  test("every k6 series of the run arrives in the store with the same values", async () => {
    const names = async (q: { query: (e: string) => Promise<{ metric: Record<string, string> }[]> }) =>
      (await q.query(`count by (__name__) (last_over_time({testid="${testId}"}[1h]))`))
        .map((s) => s.metric.__name__)
        .sort();
    const inSender = await names(sender);
    expect(inSender.length).toBeGreaterThan(20);
    expect(inSender.every((n) => n!.startsWith("k6_"))).toBe(true);
    await eventually(
      "k6 metric names in the store",
      () => names(store),
      (n) => JSON.stringify(n) === JSON.stringify(inSender),
    );
    // The last batches may still be on their way (batch deadline 1s): wait for equal values.
    const series = `count(last_over_time({testid="${testId}"}[1h]))`;
    const expectedSeries = await sender.scalar(series);
    await eventually(
      "series count in the store",
      () => store.scalar(series),
      (n) => n === expectedSeries,
    );
    const reqs = `sum(max_over_time(k6_http_reqs_total{testid="${testId}"}[1h]))`;
    const expectedReqs = await sender.scalar(reqs);
    await eventually(
      "the run's request count in the store",
      () => store.scalar(reqs),
      (n) => n === expectedReqs,
    );
    expect(await sender.scalar(reqs)).toBeGreaterThan(10);
  }, 90_000);

  test("with k6Only none of the stack Prometheus' own series reach the store", async () => {
    const own = `count({instance="127.0.0.1:${sender.port}"})`;
    expect(await sender.scalar(own)).toBeGreaterThan(100);
    await sleep(3000);
    expect(await store.query(own)).toEqual([]);
  }, 30_000);

  test("the target with the wrong password is refused: its samples fail, the right one's do not", async () => {
    const failed = (name: string) =>
      sender.scalar(`prometheus_remote_storage_samples_failed_total{remote_name="${name}"}`);
    await eventually(
      "failed samples of wrongpw",
      () => failed("wrongpw"),
      (n) => n > 0,
    );
    expect(await failed("history")).toBe(0);
    expect(
      await sender.scalar(`prometheus_remote_storage_samples_total{remote_name="history"}`),
    ).toBeGreaterThan(0);
    expect(sender.logs).toMatch(/401/);
  }, 90_000);
});

describe("a nativeHistogram-mode stack with k6Only off (the control for k6Only)", () => {
  let sender: PrometheusServer;
  let testId: string;
  beforeAll(async () => {
    sender = await startSender(
      "nativeHistogram",
      targetsFor([
        {
          url: "http://history-store:9090/api/v1/write",
          username: STORE_USER,
          password: STORE_PASSWORD,
          k6Only: false,
          queue: FAST,
        },
      ]),
    );
    testId = await runSmokeInto(sender, "nativeHistogram", "rw-native");
  }, 180_000);

  test("k6's native histograms arrive (send_native_histograms) and so do Prometheus' own series", async () => {
    const count = `histogram_count(sum(last_over_time(k6_http_req_duration_seconds{testid="${testId}"}[1h])))`;
    const expected = await sender.scalar(count);
    expect(expected).toBeGreaterThan(10);
    await eventually(
      "native histogram count in the store",
      () => store.scalar(count),
      (n) => n === expected,
    );
    await eventually(
      "the sender's own series in the store",
      () => store.scalar(`count({instance="127.0.0.1:${sender.port}"})`),
      (n) => n > 100,
    );
  }, 90_000);
});
