// K6Runners under Pulumi's mocks, constructed directly beside the local K6Run as Observatory does:
// one Docker provider per runner host, every container of a runner on its host's provider, one
// shared run id (one testid, so `k6:rerun` replaces every runner), each runner's segment and
// runner tag in its argv, scripts uploaded instead of bind-mounted, results volume retained.
import * as path from "path";
import type * as pulumiType from "@pulumi/pulumi";
import { REPO_ROOT } from "../harness/program";

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider?: string;
}

async function declare(): Promise<{ resources: Recorded[]; retained: string[] }> {
  const resources: Recorded[] = [];
  const retained: string[] = [];
  await jest.isolateModulesAsync(async () => {
    const pulumi = (await import("@pulumi/pulumi")) as typeof pulumiType;
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
          const state: Record<string, unknown> = { ...args.inputs };
          if (args.type === "random:index/randomString:RandomString") state.result = "r4nd0m";
          if (args.type === "docker:index/remoteImage:RemoteImage") state.imageId = `sha256:${args.name}`;
          return { id: `${args.name}-id`, state };
        },
        call(args) {
          throw new Error(`unexpected call ${args.token}`);
        },
      },
      "k6-observatory",
      "dev",
      false,
    );
    await pulumi.runtime.runInPulumiStack(async () => {
      pulumi.runtime.registerStackTransformation((a) => {
        if (a.opts.retainOnDelete) retained.push(a.name);
        return undefined;
      });
      const { K6Run } = await import("../../components/k6-run");
      const { K6Runners, withRunnerArgs } = await import("../../components/k6-runners");
      const { planK6Runners } = await import("../../model/k6-runners");
      const { k6Args } = await import("../../model/k6");
      const [local, ...extra] = planK6Runners([
        { name: "east", host: "ssh://k6@east.example.com", weight: 1 },
        { name: "west", host: "tcp://10.0.0.7:2376", weight: 2 },
      ]);
      const argv = (testId: string, summaryExport: string) =>
        k6Args({ script: "/k6/scripts/smoke.js", testId, summaryExport });
      const scriptsDir = path.join(REPO_ROOT, "provisioning", "k6");
      const run = new K6Run("k6obs-k6", {
        stack: "dev",
        image: "grafana/k6:1.8.1",
        network: "k6obs-dev-net",
        scriptsDir,
        scriptsHash: "h",
        resultsVolume: "k6obs-dev-k6-results",
        env: { A: "1" },
        limits: { memoryMiB: 256, processes: 1024 },
        runner: local.name,
        args: (id, s) => withRunnerArgs(argv(id, s), local),
      });
      const runners = new K6Runners("k6obs-k6-runners", {
        stack: "dev",
        image: "grafana/k6:1.8.1",
        runners: extra,
        runId: run.runId,
        scriptsDir,
        scriptsHash: "h",
        args: argv,
        env: { K6_PROMETHEUS_RW_SERVER_URL: "http://10.0.0.5:9090/api/v1/write" },
        limits: { memoryMiB: 256, processes: 1024 },
      });
      // Resolving every container's id waits for every registration.
      return { ids: [run.container.id, ...Object.values(runners.runs).map((r) => r.container.id)] };
    });
  });
  return { resources, retained };
}

let resources: Recorded[];
let retained: string[];
beforeAll(async () => {
  ({ resources, retained } = await declare());
});

const containers = () => resources.filter((r) => r.type === "docker:index/container:Container");
const byName = (n: string) => containers().find((c) => c.inputs.name === n)!;
const flag = (argv: string[], f: string) => argv[argv.indexOf(f) + 1];

test("one Docker provider per runner host, and each runner's image, volume and container use it", () => {
  const providers = resources.filter((r) => r.type === "pulumi:providers:docker");
  expect(providers.map((p) => [p.name, p.inputs.host])).toEqual([
    ["k6obs-k6-runners-east-docker", "ssh://k6@east.example.com"],
    ["k6obs-k6-runners-west-docker", "tcp://10.0.0.7:2376"],
  ]);
  for (const runner of ["east", "west"]) {
    const mine = resources.filter(
      (r) => r.name.startsWith(`k6obs-k6-runners-${runner}-`) && r.type !== "pulumi:providers:docker",
    );
    expect(mine.map((r) => r.type).sort()).toEqual([
      "docker:index/container:Container",
      "docker:index/remoteImage:RemoteImage",
      "docker:index/volume:Volume",
    ]);
    for (const r of mine)
      expect([r.name, r.provider]).toEqual([
        r.name,
        expect.stringContaining(`k6obs-k6-runners-${runner}-docker`),
      ]);
  }
  // The local run stays on the stack's default provider.
  expect(byName("k6obs-dev-k6").provider ?? "").not.toContain("k6obs-k6-runners");
});

test("all runners share one run id, hence one testid, and no runner creates its own", () => {
  expect(
    resources.filter((r) => r.type === "random:index/randomString:RandomString").map((r) => r.name),
  ).toEqual(["k6obs-k6-run-id"]);
  for (const c of containers()) expect(flag(c.inputs.command as string[], "--tag")).toBe("testid=dev-r4nd0m");
});

test("each runner runs its segment of one sequence (weights 1, 1, 2), tagged and labelled with its name", () => {
  const seg = (n: string) => {
    const argv = byName(n).inputs.command as string[];
    return [flag(argv, "--execution-segment"), flag(argv, "--execution-segment-sequence"), argv.at(-1)];
  };
  expect(seg("k6obs-dev-k6")).toEqual(["0:1/4", "0,1/4,1/2,1", "/k6/scripts/smoke.js"]);
  expect(seg("k6obs-dev-k6-east")).toEqual(["1/4:1/2", "0,1/4,1/2,1", "/k6/scripts/smoke.js"]);
  expect(seg("k6obs-dev-k6-west")).toEqual(["1/2:1", "0,1/4,1/2,1", "/k6/scripts/smoke.js"]);
  for (const [n, runner] of [
    ["k6obs-dev-k6", "local"],
    ["k6obs-dev-k6-east", "east"],
    ["k6obs-dev-k6-west", "west"],
  ]) {
    expect(byName(n!).inputs.command).toContain(`runner=${runner}`);
    expect(byName(n!).inputs.labels).toContainEqual({ label: "k6obs.runner", value: runner });
  }
});

test("remote runners get the scripts uploaded (no host path there), no stack network, the runners' remote-write URL", () => {
  const east = byName("k6obs-dev-k6-east");
  const mounts = east.inputs.mounts as { type: string; target: string }[];
  expect(mounts.map((m) => m.type)).toEqual(["volume"]);
  const uploads = (east.inputs.uploads as { file: string }[]).map((u) => u.file);
  expect(uploads).toEqual(expect.arrayContaining(["/k6/scripts/smoke.js", "/k6/scripts/lib/params.js"]));
  expect(east.inputs.networksAdvanced).toBeUndefined();
  expect(east.inputs.envs).toContain("K6_PROMETHEUS_RW_SERVER_URL=http://10.0.0.5:9090/api/v1/write");
  const local = byName("k6obs-dev-k6");
  expect((local.inputs.mounts as { type: string }[]).map((m) => m.type)).toEqual(["bind", "volume"]);
});

test("each runner host keeps its results volume on destroy (retainOnDelete)", () => {
  expect(retained.sort()).toEqual(["k6obs-k6-runners-east-results", "k6obs-k6-runners-west-results"]);
  const vols = resources.filter((r) => r.type === "docker:index/volume:Volume");
  for (const v of vols) expect(v.inputs.name).toBe("k6obs-dev-k6-results");
});
