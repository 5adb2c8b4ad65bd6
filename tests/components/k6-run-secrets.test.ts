// K6Run's secretEnv arg as another component passes it: an Output (e.g. remote-write credentials
// derived from a generated password). Its names leave the plain env, its values only reach the
// secret upload.
import * as fs from "fs";
import * as path from "path";
import { K6_SECRET_ENV_FILE, k6SecretEntrypoint } from "../../model/k6";
import { REPO_ROOT, runProgram } from "../harness/program";

let dir: string;

beforeEach(() => {
  const base = path.join(REPO_ROOT, "tests", ".tmp");
  fs.mkdirSync(base, { recursive: true });
  dir = fs.mkdtempSync(path.join(base, "k6run-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test("an Output secretEnv reaches only the secret upload, and its names leave the plain env", async () => {
  const components = path.join(REPO_ROOT, "components").split(path.sep).join("/");
  fs.writeFileSync(
    path.join(dir, "index.ts"),
    [
      'import * as pulumi from "@pulumi/pulumi";',
      `import { K6Run } from "${components}/k6-run";`,
      'const password = pulumi.secret("rw-pass-0c8e1f");',
      'const run = new K6Run("lib-k6", {',
      '  stack: "team",',
      '  image: "grafana/k6:1.8.1",',
      '  network: "net",',
      `  scriptsDir: ${JSON.stringify(dir)},`,
      '  scriptsHash: "0",',
      '  resultsVolume: "results",',
      '  args: (id, summary) => ["run", "--tag", `testid=${id}`, "--summary-export", summary, "/k6/s.js"],',
      '  env: { K6_PROMETHEUS_RW_USERNAME: "placeholder", VUS: "1" },',
      '  secretEnv: password.apply((p) => ({ K6_PROMETHEUS_RW_USERNAME: "k6", K6_PROMETHEUS_RW_PASSWORD: p })),',
      "  limits: { memoryMiB: 256, processes: 1024 },",
      "});",
      "export const testId = run.testId;",
      "",
    ].join("\n"),
  );
  const run = await runProgram({}, "team", dir);
  const k6 = run.one("Container", "lib-k6-container");
  expect(k6.inputs.entrypoints).toEqual(k6SecretEntrypoint());
  expect(k6.inputs.envs).toEqual(expect.arrayContaining(["VUS=1"]));
  expect(JSON.stringify(k6.inputs.envs)).not.toContain("K6_PROMETHEUS_RW_");
  expect(k6.inputs.uploads).toEqual([
    expect.objectContaining({
      file: K6_SECRET_ENV_FILE,
      content: "export K6_PROMETHEUS_RW_USERNAME='k6'\nexport K6_PROMETHEUS_RW_PASSWORD='rw-pass-0c8e1f'\n",
    }),
  ]);
  expect(k6.secretInputs).toEqual(["uploads"]);
}, 120_000);
