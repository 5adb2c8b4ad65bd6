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
import { eventually, say } from "../harness/e2e/harness";
import { tail } from "../harness/e2e/sandbox";
import { e2eStory } from "../harness/e2e/story";
import { reportedChanges } from "../harness/pulumi-summary";
import { installTools } from "../harness/tools";

jest.setTimeout(15 * 60_000);

let store: HistoryStore | undefined;

const { need } = e2eStory("history", {
  setup: async (sb) => {
    const tools = await installTools();
    // The Prometheus container reaches the store as host.docker.internal; it listens there only.
    store = await HistoryStore.start(tools, sb.bridgeGateway());
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
  },
  teardown: () => store?.stop(),
});

/** `pulumi <args>` in the dev stack; its output, or throws. */
const pulumi = (args: string[], label: string): Promise<string> => need().pulumi(args, label);

function expectNoPassword(where: string, text: string): void {
  expect([where, text.includes(STORE_PASSWORD)]).toEqual([where, false]);
}

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
    const s = need();
    const ids = () =>
      Object.fromEntries(s.objects("k6obs-dev-").containers.map((c) => [c, s.containerId(c)]));
    const before = ids();
    expect(Object.keys(before)).toEqual(
      expect.arrayContaining(["k6obs-dev-prometheus", "k6obs-dev-grafana", "k6obs-dev-k6"]),
    );
    // A real up, not only a preview: --expect-no-changes makes it exit non-zero after applying any change.
    const up = await s.npm("up", ["--yes", "--expect-no-changes"], {
      label: "dev: npm run up -- --yes --expect-no-changes (second, remote write)",
    });
    expect({ code: up.code, out: up.code === 0 ? "" : tail(up.output) }).toEqual({ code: 0, out: "" });
    // Its preview and update summaries say only "<n> unchanged"; no container was replaced (the
    // one-shot k6 run included, so the run was not repeated) and the password stays out of it.
    expect(reportedChanges(up.output)).toEqual([]);
    expect(ids()).toEqual(before);
    expectNoPassword("second up", up.output);
    await pulumi(
      ["preview", "--expect-no-changes", "--policy-pack", "policy"],
      "preview --expect-no-changes",
    );
  });
});
