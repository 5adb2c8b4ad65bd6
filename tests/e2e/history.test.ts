/**
 * Long-term history on a real Pulumi engine and a real Docker Engine (issue 12): a remote_write
 * target set with `config set --path` (its password with `--secret`) makes the stack's real
 * Prometheus container forward the k6 run to a second real Prometheus on the host (basic auth,
 * tests/harness/history-store.ts), and the password appears neither in the stack file, `preview
 * --diff`, the generated config, `docker inspect` nor the exported state in clear. One ordered
 * story (setup and what the stand-ins cannot prove: tests/e2e/README.md; here k6 is the emitter).
 */
import * as fs from "fs";
import * as path from "path";
import { HistoryStore, STORE_PASSWORD, STORE_USER } from "../harness/history-store";
import { eventually, runCommand, say, timings } from "../harness/e2e/harness";
import { E2eSandbox, tail } from "../harness/e2e/sandbox";
import { installTools } from "../harness/tools";

jest.setTimeout(15 * 60_000);

let sb: E2eSandbox;
let setupError: unknown;
let store: HistoryStore | undefined;
const suiteStarted = Date.now();

function need(): E2eSandbox {
  if (setupError !== undefined) throw new Error(`e2e setup failed: ${String(setupError)}`);
  return sb;
}

async function pulumi(args: string[], label: string): Promise<string> {
  const r = await runCommand("bash", ["ops/pulumi/pulumi.sh", ...args], {
    cwd: sb.checkout,
    env: { ...sb.env, K6OBS_STACK: "dev" },
    label: `dev: ${label}`,
  });
  if (r.code !== 0) throw new Error(`pulumi ${label} exited ${r.code}:\n${tail(r.output)}`);
  return r.output;
}

function expectNoPassword(where: string, text: string): void {
  expect([where, text.includes(STORE_PASSWORD)]).toEqual([where, false]);
}

beforeAll(async () => {
  try {
    const tools = await installTools();
    sb = await E2eSandbox.create();
    // The Prometheus container reaches the host as host.docker.internal (host-gateway): the
    // gateway of the engine's default bridge; the store listens there only.
    const gateway = sb.docker_([
      "network",
      "inspect",
      "bridge",
      "--format",
      "{{range .IPAM.Config}}{{.Gateway}}{{end}}",
    ]);
    store = await HistoryStore.start(tools, gateway);
    const port = new URL(store.url).port;
    say(`history store at ${store.url} (host.docker.internal:${port} from Prometheus)`);
    const set = (p: string, v: string, secret = false) =>
      sb.npmOk(
        "pulumi",
        ["config", "set", ...(secret ? ["--secret"] : []), "--path", `prometheusRemoteWrite[0].${p}`, v],
        {
          label: `dev: config set ${secret ? "--secret " : ""}--path prometheusRemoteWrite[0].${p} ${secret ? "<password>" : v}`,
        },
      );
    await set("name", "history");
    await set("url", `http://host.docker.internal:${port}/api/v1/write`);
    await set("username", STORE_USER);
    await set("password", STORE_PASSWORD, true);
    await set("queue.batchSendDeadline", "1s");
  } catch (e) {
    setupError = e;
    say(`SETUP FAILED: ${String(e)}`);
  }
}, 45 * 60_000);

afterAll(async () => {
  await store?.stop();
  if (sb) await sb.close();
  const rows = timings.map(
    (t) => `  ${t.seconds.toFixed(1).padStart(7)}s  exit ${String(t.code).padEnd(3)} ${t.what}`,
  );
  say(
    `durations:\n${rows.join("\n")}\n  ${((Date.now() - suiteStarted) / 1000).toFixed(1).padStart(7)}s  whole e2e suite`,
  );
}, 10 * 60_000);

describe("long-term history on a real engine", () => {
  test("the stack file holds the password only encrypted", () => {
    const s = need();
    const file = fs.readFileSync(path.join(s.checkout, "Pulumi.dev.yaml"), "utf8");
    expect(file).toMatch(/password:\n\s+secure: /);
    expectNoPassword("Pulumi.dev.yaml", file);
  });

  test("preview --diff of the first up shows the uploads as [secret], not the password", async () => {
    need();
    const out = await pulumi(
      ["preview", "--diff", "--policy-pack", "policy"],
      "preview --diff (remote write)",
    );
    expect(out).toContain("k6obs-prometheus-container");
    expect(out).toContain("[secret]");
    expectNoPassword("preview --diff", out);
  });

  test("up forwards the k6 run's samples to the store, and only k6 series", async () => {
    const s = need();
    await s.npmOk("up", ["--yes"], { label: "dev: npm run up -- --yes (remote write)" });
    const testId = await s.output("k6TestId");
    const series = await eventually(
      "the run's series in the store",
      async () => {
        const n = await store!.scalar(`count(last_over_time({testid="${testId}"}[1h]))`);
        return n > 20 ? n : undefined;
      },
      120_000,
    );
    say(`${series} series of ${testId} in the store`);
    // The stack Prometheus scrapes itself as localhost:9090; with k6Only none of that is sent.
    expect(await store!.query(`last_over_time({instance="localhost:9090"}[1h])`)).toEqual([]);
  });

  test("the generated config, docker inspect and the exported state hold no password in clear", async () => {
    const s = need();
    const config = fs.readFileSync(
      path.join(s.checkout, ".k6obs", "dev", "prometheus-config", "prometheus.yml"),
      "utf8",
    );
    expect(config).toContain("password_file: /run/secrets/k6obs-remote-write/history");
    expectNoPassword("generated prometheus.yml", config);
    const inspect = s.docker_(["inspect", "k6obs-dev-prometheus"]);
    expect(inspect).toContain("--config.file=/etc/prometheus-stack/prometheus.yml");
    expectNoPassword("docker inspect k6obs-dev-prometheus", inspect);
    expectNoPassword("stack output", await pulumi(["stack", "output", "--json"], "stack output --json"));
    const state = await pulumi(["stack", "export"], "stack export");
    expect(state).toContain("4dabf18193072939515e22adb298388d"); // Pulumi's secret signature
    expectNoPassword("stack export", state);
  });

  test("a second up changes nothing", async () => {
    need();
    await pulumi(
      ["preview", "--expect-no-changes", "--policy-pack", "policy"],
      "preview --expect-no-changes",
    );
  });
});
