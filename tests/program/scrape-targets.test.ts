// The system under test beside k6: the scrapeTargets setting reaches Prometheus as a file_sd file
// in a per-stack host directory mounted read-only, never through the committed
// provisioning/prometheus (whose hash triggers reloads). Run in a scratch copy of the repo, so the
// file written here is not a real stack's.
import * as fs from "fs";
import * as path from "path";
import { resolveObservatoryArgs } from "../../components/observatory-args";
import { DeclaredResource, ProgramRun, runProgram, scratchRepo } from "../harness/program";

type Mount = { type: string; source: string; target: string; readOnly?: boolean };
const mountsOf = (c: DeclaredResource) => (c.inputs.mounts as Mount[] | undefined) ?? [];

const TARGETS = [
  {
    job: "shop",
    targets: ["host.docker.internal:8080", "shop-api:9100"],
    metricsPath: "/m",
    scheme: "https",
  },
];

describe("scrapeTargets", () => {
  let scratch: { root: string; cleanup: () => void };
  let run: ProgramRun;
  let dir: string;
  beforeAll(async () => {
    scratch = scratchRepo();
    dir = path.join(scratch.root, ".k6obs", "dev", "prometheus-targets");
    run = await runProgram({ scrapeTargets: JSON.stringify(TARGETS) }, "dev", scratch.root);
  });
  afterAll(() => scratch.cleanup());

  test("Prometheus mounts the per-stack targets directory read-only and can reach the Docker host", () => {
    const prom = run.one("Container", "prometheus-container");
    expect(mountsOf(prom)).toContainEqual({
      type: "bind",
      source: dir,
      target: "/etc/prometheus-targets",
      readOnly: true,
    });
    expect(prom.inputs.hosts).toEqual([{ host: "host.docker.internal", ip: "host-gateway" }]);
  });

  test("the file holds one file_sd group per job, setting job, metrics path and scheme", () => {
    expect(JSON.parse(fs.readFileSync(path.join(dir, "k6obs-targets.json"), "utf8"))).toEqual([
      {
        targets: ["host.docker.internal:8080", "shop-api:9100"],
        labels: { job: "shop", __metrics_path__: "/m", __scheme__: "https" },
      },
    ]);
    expect(fs.readdirSync(dir)).toEqual(["k6obs-targets.json"]);
  });

  test("a bad target fails before anything is declared, naming the key and what to use instead", async () => {
    await expect(
      runProgram(
        { scrapeTargets: JSON.stringify([{ job: "shop", targets: ["localhost:8080"] }]) },
        "dev",
        scratch.root,
      ),
    ).rejects.toThrow(/k6-observatory:scrapeTargets .*loopback.*host\.docker\.internal:8080/s);
  });
});

test("the Observatory component validates scrapeTargets by the same rules, naming its arg", () => {
  expect(() =>
    resolveObservatoryArgs({
      stack: "dev",
      scrapeTargets: [{ job: "grafana", targets: ["grafana-2:3000"] }],
    }),
  ).toThrow(/Observatory args:[\s\S]*scrapeTargets = .*job "grafana" is reserved/);
  expect(
    resolveObservatoryArgs({ stack: "dev", scrapeTargets: [{ job: "shop", targets: ["shop:8080"] }] })
      .scrapeTargets,
  ).toEqual([{ job: "shop", targets: ["shop:8080"] }]);
});
