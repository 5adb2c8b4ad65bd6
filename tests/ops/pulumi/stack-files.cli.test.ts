import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../../harness/program";

/**
 * The tracked stack files against the real Pulumi CLI, through ops/pulumi/pulumi.sh as users run it:
 * two machines are two K6OBS_HOMEs (each its own file backend and generated passphrase) sharing one
 * copy of the repository's files, as a commit would share them. Only `config` and `stack`
 * commands: no program run and no Docker, about 10 s.
 */
const CLI = path.join(REPO_ROOT, "node_modules", ".bin", "pulumi");

function cliProblem(): string | undefined {
  if (!fs.existsSync(CLI)) return `${CLI} is missing: run 'npm install'`;
  const r = spawnSync(CLI, ["version"], { encoding: "utf8", timeout: 60_000 });
  if (r.status === 0) return undefined;
  return (
    `the Pulumi CLI does not run ('${CLI} version' exited ${r.status}: ${(r.stderr || r.stdout).trim()}). ` +
    "The pulumi npm package downloads it on first use; where that is impossible install the engine " +
    "with 'bash ../shared/pulumi-engine/install.sh .'"
  );
}

describe("stack files stay machine-independent (real Pulumi CLI, file backends)", () => {
  let repo: string;
  const homes: string[] = [];
  const stackFile = () => fs.readFileSync(path.join(repo, "Pulumi.dev.yaml"), "utf8");
  const run = (home: string, ...args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, K6OBS_HOME: home, K6OBS_STACK: "dev" };
    for (const k of ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"])
      delete env[k];
    const r = spawnSync("bash", [path.join(repo, "ops", "pulumi", "pulumi.sh"), ...args], {
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const ok = (home: string, ...args: string[]): string => {
    const r = run(home, ...args);
    expect([args.join(" "), r.status, r.out]).toEqual([args.join(" "), 0, r.out]);
    return r.out;
  };
  const machine = () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-home-"));
    homes.push(home);
    return home;
  };

  beforeAll(() => {
    const problem = cliProblem();
    if (problem) throw new Error(`cannot test the stack files on the real CLI: ${problem}`);
    repo = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-repo-"));
    for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml", "ops/pulumi/pulumi.sh"]) {
      fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
      fs.copyFileSync(path.join(REPO_ROOT, f), path.join(repo, f));
    }
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(repo, "node_modules"), "dir");
  }, 90_000);
  afterAll(() => {
    for (const dir of [repo, ...homes]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("the committed stack files hold no salt and no secret value", () => {
    for (const f of fs.readdirSync(REPO_ROOT).filter((n) => /^Pulumi\..+\.yaml$/.test(n))) {
      const text = fs.readFileSync(path.join(REPO_ROOT, f), "utf8");
      expect([f, /^encryptionsalt:/m.test(text), /^\s*secure:/m.test(text)]).toEqual([f, false, false]);
    }
  });

  test("a second machine uses the stack files the first one wrote, and stack rm keeps them", () => {
    const first = machine();
    ok(first, "config");
    ok(first, "config", "set", "--secret", "grafanaAdminPassword", "first-machine-password");
    expect(ok(first, "config", "get", "grafanaAdminPassword").trim()).toBe("first-machine-password");
    expect(stackFile()).not.toMatch(/^encryptionsalt:/m);
    ok(first, "config", "rm", "grafanaAdminPassword");
    // The state and the passphrase that unlocks its secrets are the user's alone.
    const mode = (p: string): string => (fs.statSync(p).mode & 0o777).toString(8);
    expect([mode(first), mode(path.join(first, "backend")), mode(path.join(first, "passphrase"))]).toEqual([
      "700",
      "700",
      "600",
    ]);

    // A salt committed before this fix (here the first machine's own) must not lock anyone out.
    const state = fs.readFileSync(
      path.join(first, "backend", ".pulumi", "stacks", "k6-observatory", "dev.json"),
      "utf8",
    );
    const salt = /"salt":"([^"]+)"/.exec(state)?.[1];
    expect(salt).toMatch(/^v1:/);
    fs.appendFileSync(path.join(repo, "Pulumi.dev.yaml"), `encryptionsalt: ${salt}\n`);

    const second = machine();
    ok(second, "config");
    ok(second, "config", "set", "--secret", "grafanaAdminPassword", "second-machine-password");
    expect(ok(second, "config", "get", "grafanaAdminPassword").trim()).toBe("second-machine-password");
    expect(stackFile()).not.toMatch(/^encryptionsalt:/m);
    ok(second, "config", "rm", "grafanaAdminPassword");

    ok(second, "stack", "rm", "dev", "--yes");
    expect(stackFile()).toContain("k6-observatory:k6Script:");
  }, 60_000);
});
