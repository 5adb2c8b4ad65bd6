/**
 * The policy pack itself, started the way the Pulumi CLI starts it (`pulumi-analyzer-policy`
 * resolves @pulumi/pulumi/cmd/run-policy-pack from policy/ and runs it with node), asked over gRPC.
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { CONTAINER_TYPE, policies } from "../../policy/rules";
import { REPO_ROOT } from "../harness/program";
import { goodContainer } from "./validate";

const POLICY_DIR = path.join(REPO_ROOT, "policy");

describe("the policy pack started as the Pulumi CLI starts it", () => {
  let pack: ChildProcess | undefined;
  let client: AnalyzerClient | undefined;
  let stderr = "";

  beforeAll(async () => {
    // What sdk/nodejs/dist/pulumi-analyzer-policy does: resolve run-policy-pack from the pack's
    // directory and run it with `<engine address> .`, cwd = the pack directory.
    const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [POLICY_DIR] });
    const child = spawn(process.execPath, [runPolicyPack, "127.0.0.1:1", "."], {
      cwd: POLICY_DIR,
      stdio: ["ignore", "pipe", "pipe"],
    });
    pack = child;
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const line = /^(\d+)\s*$/m.exec(out);
        if (line?.[1]) {
          resolve(line[1]);
        }
      });
      child.on("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
    });
    client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }, 120_000);

  afterAll(() => {
    client?.close();
    pack?.kill();
  });

  function call<Req, Res>(
    method: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown,
    req: Req,
  ) {
    return new Promise<Res>((resolve, reject) =>
      method(req, (err, res) => (err ? reject(err) : resolve(res))),
    );
  }

  async function analyze(type: string, name: string, props: Record<string, unknown>) {
    const req = new analyzer.AnalyzeRequest();
    req.setType(type);
    req.setName(name);
    req.setUrn(`urn:pulumi:dev::k6-observatory::${type}::${name}`);
    req.setProperties(Struct.fromJavaScript(props as Parameters<typeof Struct.fromJavaScript>[0]));
    req.setOptions(new analyzer.AnalyzerResourceOptions());
    const res = await call<analyzer.AnalyzeRequest, analyzer.AnalyzeResponse>(
      client!.analyze.bind(client),
      req,
    );
    return res.getDiagnosticsList().map((d) => ({
      policy: d.getPolicyname(),
      mandatory: d.getEnforcementlevel() === analyzer.EnforcementLevel.MANDATORY,
    }));
  }

  it("reports its policies as mandatory", async () => {
    const { Empty } = await import("google-protobuf/google/protobuf/empty_pb");
    const info = await call<InstanceType<typeof Empty>, analyzer.AnalyzerInfo>(
      client!.getAnalyzerInfo.bind(client),
      new Empty(),
    );
    expect(info.getName()).toBe("k6-observatory");
    expect(info.getVersion()).toBe("0.1.0");
    expect(
      info
        .getPoliciesList()
        .map((p) => [p.getName(), p.getEnforcementlevel() === analyzer.EnforcementLevel.MANDATORY]),
    ).toEqual(policies.map((p) => [p.name, true]));
  });

  it("fails a wide-open latest-tagged container and passes the hardened one", async () => {
    const bad = await analyze(CONTAINER_TYPE, "bad", {
      image: "grafana/grafana:latest",
      ports: [{ internal: 3000, external: 3000 }],
      privileged: true,
    });
    expect(bad.map((d) => d.policy).sort()).toEqual([
      "k6obs-container-caps-dropped",
      "k6obs-container-limits",
      "k6obs-container-limits",
      "k6obs-container-log-rotation",
      "k6obs-container-readonly-rootfs",
      "k6obs-container-unprivileged",
      "k6obs-container-unprivileged",
      "k6obs-container-unprivileged",
      "k6obs-image-pinned",
      "k6obs-port-loopback",
    ]);
    expect(bad.every((d) => d.mandatory)).toBe(true);
    expect(await analyze(CONTAINER_TYPE, "good", goodContainer)).toEqual([]);
  });

  it("honours allowNonLoopbackBind from the policy config", async () => {
    const req = new analyzer.ConfigureAnalyzerRequest();
    const config = new analyzer.PolicyConfig();
    config.setEnforcementlevel(analyzer.EnforcementLevel.MANDATORY);
    config.setProperties(Struct.fromJavaScript({ allowNonLoopbackBind: true }));
    req.getPolicyconfigMap().set("k6obs-port-loopback", config);
    await call(client!.configure.bind(client), req);
    const found = await analyze(CONTAINER_TYPE, "lan", {
      ...goodContainer,
      ports: [{ internal: 3000, external: 3000, ip: "0.0.0.0" }],
    });
    expect(found).toEqual([]);
  });
});
