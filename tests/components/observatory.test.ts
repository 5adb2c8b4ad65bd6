// Observatory as a library component: another program constructs it directly, with its own
// provisioning directory, and gets validation, children and outputs without this repo's index.ts
// or stack config. The "other program" is a file written to a temporary directory.
import * as fs from "fs";
import * as path from "path";
import { ProgramError, REPO_ROOT, runProgram } from "../harness/program";

let dir: string;
let provisioning: string;

function writeProgram(args: string): void {
  const barrel = path.join(REPO_ROOT, "components").split(path.sep).join("/");
  fs.writeFileSync(
    path.join(dir, "index.ts"),
    [
      `import { Observatory } from "${barrel}";`,
      `const o = new Observatory("lib", ${args});`,
      "export const grafanaUrl = o.grafanaUrl;",
      "export const prometheusUrl = o.prometheusUrl;",
      "export const adminUser = o.adminUser;",
      "export const adminPassword = o.adminPassword;",
      "export const trendMode = o.trendMode;",
      "export const volumesProtected = o.volumesProtected;",
      "export const grafanaVolume = o.volumes.grafana.name;",
      "export const k6TestId = o.k6?.testId;",
      "",
    ].join("\n"),
  );
}

beforeEach(() => {
  const base = path.join(REPO_ROOT, "tests", ".tmp");
  fs.mkdirSync(base, { recursive: true });
  dir = fs.mkdtempSync(path.join(base, "component-"));
  provisioning = path.join(dir, "my-provisioning");
  fs.cpSync(path.join(REPO_ROOT, "provisioning"), provisioning, { recursive: true });
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test("constructed directly with a provisioning directory of its own", async () => {
  writeProgram(
    JSON.stringify({
      stack: "team",
      provisioningDir: provisioning,
      grafanaPort: 3555,
      trendMode: "nativeHistogram",
      k6: { script: "scripts/smoke.js", env: { VUS: "2" } },
    }),
  );
  const run = await runProgram({}, "team", dir);
  const grafana = run.one("Container", "lib-grafana-container");
  const binds = (grafana.inputs.mounts as { type: string; source: string }[]).filter(
    (m) => m.type === "bind",
  );
  expect(binds.length).toBeGreaterThan(0);
  for (const b of binds) expect(b.source.startsWith(provisioning)).toBe(true);
  expect(binds.map((b) => path.relative(provisioning, b.source))).toContain(
    path.join("grafana", "dashboards", "nativeHistogram"),
  );
  expect(grafana.inputs.name).toBe("k6obs-team-grafana");
  const k6 = run.one("Container", "lib-k6-container");
  expect(k6.inputs.command).toContain("/k6/scripts/smoke.js");
  expect(k6.inputs.envs).toContain("VUS=2");
  expect(run.outputs).toMatchObject({
    grafanaUrl: "http://127.0.0.1:3555",
    prometheusUrl: "http://127.0.0.1:9090",
    adminUser: "admin",
    trendMode: "nativeHistogram",
    volumesProtected: false,
    grafanaVolume: "k6obs-team-grafana-data",
    k6TestId: "team-r4nd0m",
  });
  expect(run.secretOutputs).toContain("adminPassword");
});

test("without k6 there is no k6 container, and the package's own provisioning is the default", async () => {
  // The targets directory is not provisioning: kept out of the repository (it defaults beside it).
  writeProgram(JSON.stringify({ stack: "plain", targetsDir: path.join(dir, "targets") }));
  const run = await runProgram({}, "plain", dir);
  expect(run.resources.filter((r) => r.name.startsWith("lib-k6"))).toEqual([]);
  const prometheus = run.one("Container", "lib-prometheus-container");
  const bind = (prometheus.inputs.mounts as { type: string; source: string }[]).find(
    (m) => m.type === "bind",
  );
  expect(bind?.source).toBe(path.join(REPO_ROOT, "provisioning", "prometheus"));
});

test("bad args are refused before anything is declared, each naming the arg, the value and what is allowed", async () => {
  writeProgram(
    JSON.stringify({
      stack: "lt",
      provisioningDir: provisioning,
      grafanaPort: 80,
      bindAddress: "0.0.0.0",
      images: { grafana: "grafana/grafana:latest" },
      k6: { script: "../escape.js" },
    }),
  );
  const err = await runProgram({}, "lt", dir).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProgramError);
  const e = err as ProgramError;
  expect(e.declared).toBe(0);
  expect(e.message).toContain("Invalid Observatory args");
  expect(e.message).toContain('grafanaPort = "80" is not allowed: a whole number from 1024 to 65535');
  expect(e.message).toContain(
    'bindAddress = "0.0.0.0" is not allowed: a loopback address (127.0.0.0/8 or ::1) unless allowNonLoopbackBind is true',
  );
  expect(e.message).toContain('images.grafana = "grafana/grafana:latest" is not allowed');
  expect(e.message).toContain('k6.script = "../escape.js" is not allowed');
});

test("a provisioning directory without what the containers mount is refused, naming it", async () => {
  fs.rmSync(path.join(provisioning, "grafana", "dashboards", "team"), { recursive: true });
  writeProgram(JSON.stringify({ stack: "lt", provisioningDir: provisioning }));
  const err = (await runProgram({}, "lt", dir).catch((e: unknown) => e)) as ProgramError;
  expect(err.declared).toBe(0);
  expect(err.message).toContain(`under provisioningDir ${provisioning}: grafana/dashboards/team`);
});
