import * as path from "path";
import { FakeGrafana, PASSWORD, USER } from "../../harness/fake-grafana/server";
import { useSeededGrafana } from "../../harness/fake-grafana/seeded";
import { execFile } from "child_process";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

describe("exportDashboards against an HTTP server speaking Grafana's API", () => {
  let grafana: FakeGrafana;
  let outDir: string;
  useSeededGrafana((g, dir) => {
    grafana = g;
    outDir = dir;
  });

  it("runs as `npm run dashboards:export` would: flags, summary, exit codes", async () => {
    const tsx = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          tsx,
          ["ops/dashboards-export/cli.ts", ...args],
          {
            cwd: REPO_ROOT,
            env: { ...process.env, GRAFANA_URL: "", GRAFANA_USER: "", GRAFANA_PASSWORD: "", ...env },
          },
          (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
        );
      });

    const ok = await run(["--url", grafana.url, "--user", USER, "--out", outDir], {
      GRAFANA_PASSWORD: PASSWORD,
    });
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/created {3}.*load-tests\/team-http\.json/);
    expect(ok.stdout).toMatch(/3 file\(s\) changed; 0 unchanged; 1 generated dashboard\(s\) skipped/);

    const again = await run(["--url", grafana.url, "--user", USER, "--password", PASSWORD, "--out", outDir]);
    expect(again.stdout).toMatch(/^No changes; 3 unchanged/m);

    const denied = await run(["--url", grafana.url, "--user", USER, "--password", "nope", "--out", outDir]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(
      /^dashboards:export: Grafana at .* rejected the credentials of user "admin"/,
    );

    const usage = await run(["--bogus"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/Usage: npm run dashboards:export/);

    grafana.saveV2("team-tabs", "Checkout (tabs)", "fA1b2");
    const refused = await run([
      "--url",
      grafana.url,
      "--user",
      USER,
      "--password",
      PASSWORD,
      "--out",
      outDir,
    ]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(
      /^refused {3}team-tabs: Dashboard "Checkout \(tabs\)" \(uid team-tabs\) is stored/m,
    );
    expect(refused.stdout).toMatch(
      /^No changes; 3 unchanged; .*; 1 dashboard\(s\) in the v2 schema not exported \(team-tabs\)/m,
    );
  }, 60_000);
});
