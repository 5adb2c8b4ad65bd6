import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { k6PlainEnv, k6SecretEntrypoint, k6SecretEnvFile } from "../../model/k6";

/**
 * Runs the k6 container's secret entrypoint with a real sh, as Docker does (entrypoint + command),
 * with a stand-in `k6` on PATH that records its argv (one per line) and its environment.
 */
function runEntrypoint(secretEnv: Record<string, string>, argv: string[]): { argv: string[]; env: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-k6-secret-"));
  try {
    const file = path.join(dir, "secret env");
    fs.writeFileSync(file, k6SecretEnvFile(secretEnv), { mode: 0o400 });
    fs.writeFileSync(
      path.join(dir, "k6"),
      `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > "${dir}/argv"\nenv > "${dir}/env"\n`,
      { mode: 0o755 },
    );
    const [sh, ...rest] = k6SecretEntrypoint(file);
    execFileSync(sh!, [...rest, ...argv], { env: { PATH: `${dir}:/usr/bin:/bin`, PLAIN: "kept" } });
    return {
      argv: fs.readFileSync(path.join(dir, "argv"), "utf8").split("\n").slice(0, -1),
      env: fs.readFileSync(path.join(dir, "env"), "utf8"),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("k6 secret env file and entrypoint", () => {
  const tricky = 't0k\'en "$(touch /tmp/pwned)" `id` $HOME\\n\nsecond line';

  test("k6 gets every variable byte for byte, the plain env too, and the argv unchanged", () => {
    const argv = ["run", "--tag", "testid=dev-abc 'x'", "--summary-export", "/home/k6/a b.json", "/k6/s.js"];
    const r = runEntrypoint({ API_TOKEN: tricky, TARGET_URL: "https://u:p%40ss@api.example:8443/x" }, argv);
    expect(r.argv).toEqual(argv);
    expect(r.env).toContain(`API_TOKEN=${tricky}\n`);
    expect(r.env).toContain("TARGET_URL=https://u:p%40ss@api.example:8443/x\n");
    expect(r.env).toContain("PLAIN=kept\n");
    expect(fs.existsSync("/tmp/pwned")).toBe(false);
  });

  test("an empty secret env still runs k6", () => {
    expect(runEntrypoint({}, ["version"]).argv).toEqual(["version"]);
  });

  test("a variable name that is not a shell name is refused, not written into the script", () => {
    expect(() => k6SecretEnvFile({ "X=1; rm -rf /; Y": "v" })).toThrow(/is not a variable name/);
  });

  test("names delivered as secrets are left out of the plain env", () => {
    expect(k6PlainEnv({ TARGET_URL: "https://u:p@h", VUS: "2" }, ["TARGET_URL", "API_TOKEN"])).toEqual({
      VUS: "2",
    });
  });
});
