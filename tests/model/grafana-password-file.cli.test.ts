import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { grafanaStartScript } from "../../model/grafana";

describe("Grafana start script with the password in GF_SECURITY_ADMIN_PASSWORD__FILE (as the stack runs it)", () => {
  test("the reset reads the uploaded file on stdin, never argv or env, then the server starts", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-grafana-file-"));
    try {
      const password = "pa ss'\"$(word)-from-file";
      fs.writeFileSync(path.join(dir, "admin-password"), password);
      fs.writeFileSync(
        path.join(dir, "grafana"),
        `#!/bin/sh\necho "$@" > "${dir}/cli-args"\nenv > "${dir}/cli-env"\ncat > "${dir}/cli-stdin"\n`,
        { mode: 0o755 },
      );
      fs.writeFileSync(path.join(dir, "run.sh"), `#!/bin/sh\ntouch "${dir}/server-started"\n`, {
        mode: 0o755,
      });
      const out = execFileSync("sh", ["-c", grafanaStartScript(path.join(dir, "run.sh"))], {
        env: {
          PATH: `${dir}:/usr/bin:/bin`,
          GF_SECURITY_ADMIN_PASSWORD__FILE: path.join(dir, "admin-password"),
          GF_PATHS_HOME: "/usr/share/grafana",
          GF_PATHS_CONFIG: "/etc/grafana/grafana.ini",
        },
        encoding: "utf8",
      });
      expect(out).toContain("admin password applied to the existing database");
      expect(fs.readFileSync(path.join(dir, "cli-stdin"), "utf8")).toBe(password);
      expect(fs.readFileSync(path.join(dir, "cli-args"), "utf8")).not.toContain("from-file");
      expect(fs.readFileSync(path.join(dir, "cli-env"), "utf8")).not.toContain("from-file");
      expect(fs.existsSync(path.join(dir, "server-started"))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
