import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { grafanaStartScript } from "../../model/grafana";

/**
 * Runs the Grafana start script with sh, a stand-in `grafana` CLI on PATH (records its argv and
 * stdin, exits with the given code) and a stand-in /run.sh.
 */
function start(cliExit: number): { out: string; cliArgs: string; cliStdin: string; ranServer: boolean } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-grafana-"));
  try {
    fs.writeFileSync(
      path.join(dir, "grafana"),
      `#!/bin/sh\necho "$@" > "${dir}/cli-args"\ncat > "${dir}/cli-stdin"\necho "cli says hello"\nexit ${cliExit}\n`,
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(dir, "run.sh"), `#!/bin/sh\ntouch "${dir}/server-started"\n`, { mode: 0o755 });
    const out = execFileSync("sh", ["-c", grafanaStartScript(path.join(dir, "run.sh"))], {
      env: {
        PATH: `${dir}:/usr/bin:/bin`,
        GF_SECURITY_ADMIN_PASSWORD: "pa ss'\"$(word)",
        GF_PATHS_HOME: "/usr/share/grafana",
        GF_PATHS_CONFIG: "/etc/grafana/grafana.ini",
      },
      encoding: "utf8",
    });
    return {
      out,
      cliArgs: fs.readFileSync(path.join(dir, "cli-args"), "utf8").trim(),
      cliStdin: fs.readFileSync(path.join(dir, "cli-stdin"), "utf8"),
      ranServer: fs.existsSync(path.join(dir, "server-started")),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("Grafana start script", () => {
  test("resets the admin password from stdin (never argv), then starts the server", () => {
    const r = start(0);
    expect(r.cliArgs).toBe(
      "cli --homepath /usr/share/grafana --config /etc/grafana/grafana.ini admin reset-admin-password --password-from-stdin",
    );
    expect(r.cliStdin).toBe("pa ss'\"$(word)");
    expect(r.out).toContain("admin password applied to the existing database");
    expect(r.ranServer).toBe(true);
  });

  test("on a new database the reset fails harmlessly and the server still starts", () => {
    const r = start(1);
    expect(r.out).toContain("admin password not reset (new database");
    expect(r.out).toContain("cli says hello");
    expect(r.ranServer).toBe(true);
  });
});
