// The system under test beside k6: the scrapeTargets setting reaches Prometheus as a file_sd file
// in a per-stack host directory, written by a one-shot container, never through the committed
// provisioning/prometheus (whose hash triggers reloads).
import * as fs from "fs";
import * as path from "path";
import { DeclaredResource, ProgramRun, REPO_ROOT, runProgram } from "../harness/program";

type Mount = { type: string; source: string; target: string; readOnly?: boolean };
const mountsOf = (c: DeclaredResource) => (c.inputs.mounts as Mount[] | undefined) ?? [];
const envOf = (c: DeclaredResource): Record<string, string> =>
  Object.fromEntries(
    (c.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
  );

const TARGETS = [
  {
    job: "shop",
    targets: ["host.docker.internal:8080", "shop-api:9100"],
    metricsPath: "/m",
    scheme: "https",
  },
];

describe("scrapeTargets", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram({ scrapeTargets: JSON.stringify(TARGETS) });
  });
  const dir = path.join(REPO_ROOT, ".k6obs", "dev", "prometheus-targets");

  test("Prometheus mounts the per-stack targets directory read-only and can reach the Docker host", () => {
    const prom = run.one("Container", "prometheus-container");
    expect(mountsOf(prom)).toContainEqual({
      type: "bind",
      source: dir,
      target: "/etc/prometheus-targets",
      readOnly: true,
    });
    expect(prom.inputs.hosts).toEqual([{ host: "host.docker.internal", ip: "host-gateway" }]);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
  });

  test("the writer carries the file_sd groups (job, metrics path, scheme per group), runs unprivileged and not as root", () => {
    const writer = run.one("Container", "prometheus-targets");
    expect(JSON.parse(envOf(writer).K6OBS_TARGETS!)).toEqual([
      {
        targets: ["host.docker.internal:8080", "shop-api:9100"],
        labels: { job: "shop", __metrics_path__: "/m", __scheme__: "https" },
      },
    ]);
    expect(mountsOf(writer)).toEqual([{ type: "bind", source: dir, target: "/targets" }]);
    expect(writer.inputs.user).not.toMatch(/^(0|root)(:|$)/);
    expect(writer.inputs.securityOpts).toContain("no-new-privileges:true");
    expect(writer.inputs).toMatchObject({ mustRun: false, restart: "no" });
    const st = fs.statSync(dir);
    expect(writer.inputs.user).toBe(`${st.uid}:${st.gid}`);
  });

  test("without targets the writer empties the file, so removing every target stops their scrapes", async () => {
    const none = await runProgram({});
    expect(envOf(none.one("Container", "prometheus-targets")).K6OBS_TARGETS).toBe("[]");
  });

  test("a bad target fails before anything is declared, naming the key and what to use instead", async () => {
    await expect(
      runProgram({ scrapeTargets: JSON.stringify([{ job: "shop", targets: ["localhost:8080"] }]) }),
    ).rejects.toThrow(/k6-observatory:scrapeTargets .*loopback.*host\.docker\.internal:8080/s);
  });
});
