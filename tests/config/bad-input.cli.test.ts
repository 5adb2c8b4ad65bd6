// The bad-input cases that need real processes (the cli tier): scripts that are FIFOs or
// symlinks on the file system (mkfifo), and the stack file as the real Pulumi CLI hands it over.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigKey, parseConfig } from "../../config";
import { REPO_ROOT } from "../harness/program";
import { K, PORT_ALLOWED, expectRefused, parse, problemsOf } from "./refusal";

describe("scripts on the file system: symlinks, FIFOs, directories", () => {
  let root: string;
  let outside: string;
  const scripts = () => path.join(root, "provisioning", "k6", "scripts");
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-badinput-"));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-outside-"));
    fs.mkdirSync(scripts(), { recursive: true });
    fs.writeFileSync(path.join(scripts(), "real.js"), "export default function () {}\n");
    fs.writeFileSync(path.join(outside, "secret.js"), "export default function () {}\n");
    fs.symlinkSync(path.join(outside, "secret.js"), path.join(scripts(), "escape.js"));
    fs.symlinkSync(
      "../../../../" + path.basename(outside) + "/secret.js",
      path.join(scripts(), "escape-rel.js"),
    );
    fs.symlinkSync(outside, path.join(scripts(), "linked-dir"));
    fs.symlinkSync("real.js", path.join(scripts(), "alias.js"));
    fs.symlinkSync(path.join(scripts(), "real.js"), path.join(scripts(), "alias-abs.js"));
    fs.symlinkSync("missing.js", path.join(scripts(), "dangling.js"));
    fs.mkdirSync(path.join(scripts(), "folder.js"));
    execFileSync("mkfifo", [path.join(scripts(), "pipe.js")]);
  });
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });
  const refused = (file: string, fragments: string[]) =>
    expectRefused(problemsOf({ k6Script: `provisioning/k6/scripts/${file}` }, "dev", root), [
      K("k6Script"),
      `"provisioning/k6/scripts/${file}"`,
      ...fragments,
    ]);

  test("a symlink to a file outside provisioning/k6 (the bind mount would not even resolve it)", () => {
    refused("escape.js", [
      "resolves through a symlink to",
      path.join(fs.realpathSync(outside), "secret.js"),
      "cannot see",
    ]);
  });
  test("a relative symlink climbing out of provisioning/k6", () => {
    refused("escape-rel.js", ["resolves through a symlink to", "cannot see"]);
  });
  test("a script under a symlinked directory that points outside", () => {
    refused("linked-dir/secret.js", ["resolves through a symlink to", "cannot see"]);
  });
  test("a dangling symlink", () => {
    refused("dangling.js", ["an existing file", "is a symlink to nothing"]);
  });
  test("a directory named like a script", () => {
    refused("folder.js", ["a regular file", "is a directory"]);
  });
  test("a FIFO named like a script (reading it would block)", () => {
    refused("pipe.js", ["a regular file", "is a named pipe (FIFO)"]);
  });
  test("symlinks that stay inside are accepted, and k6 is given the file itself", () => {
    expect(parse({ k6Script: "provisioning/k6/scripts/alias.js" }, "dev", root).k6?.scriptInK6Dir).toBe(
      "scripts/real.js",
    );
    // An absolute link resolves on the host only; k6 gets the path inside the mount.
    expect(parse({ k6Script: "provisioning/k6/scripts/alias-abs.js" }, "dev", root).k6?.scriptInK6Dir).toBe(
      "scripts/real.js",
    );
  });
});

// The real Pulumi CLI between the stack file and the program: `pulumi config --json` is the CLI's
// own view of each value as a string (objects as JSON), the form Config.get returns. Only
// config commands: no program run, no engine, no Docker (as tests/ops/pulumi/stack-files.test.ts).
const CLI = path.join(REPO_ROOT, "node_modules", ".bin", "pulumi");

/** A scratch project with this repo's Pulumi.yaml and its own file backend. */
function scratchProject(): { dir: string; env: NodeJS.ProcessEnv; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-badinput-cli-"));
  fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  fs.mkdirSync(path.join(dir, "backend"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${path.join(dir, "backend")}`,
    PULUMI_CONFIG_PASSPHRASE: "bad-input-test",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER: "true",
  };
  delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
  execFileSync(CLI, ["stack", "init", "cli", "--non-interactive"], { cwd: dir, env, stdio: "pipe" });
  return { dir, env, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** What the CLI hands the program for a stack file, or the CLI's own error. */
function cliValues(
  project: { dir: string; env: NodeJS.ProcessEnv },
  stackFile: string,
): { values: Record<string, { value: string; secret: boolean }> } | { error: string } {
  fs.writeFileSync(path.join(project.dir, "Pulumi.cli.yaml"), stackFile);
  try {
    const out = execFileSync(CLI, ["config", "--json", "--show-secrets", "--stack", "cli"], {
      cwd: project.dir,
      env: project.env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });
    const parsed = JSON.parse(out) as Record<string, { value: string; secret: boolean }>;
    const values = Object.fromEntries(
      Object.entries(parsed)
        .filter(([k]) => k.startsWith("k6-observatory:"))
        .map(([k, v]) => [k.slice("k6-observatory:".length), v]),
    );
    return { values };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { error: String(err.stderr ?? err.message) };
  }
}

describe("YAML-typed values in Pulumi.<stack>.yaml, as the real Pulumi CLI hands them to the program", () => {
  let project: ReturnType<typeof scratchProject>;
  let handed: Record<string, { value: string; secret: boolean }>;
  // One stack file for all of them: every key is independent.
  const STACK_FILE = [
    "config:",
    "  k6-observatory:k6Enabled: yes",
    "  k6-observatory:protectVolumes: on",
    "  k6-observatory:allowNonLoopbackBind: True",
    "  k6-observatory:grafanaPort: 05670",
    "  k6-observatory:prometheusPort: 1e3",
    "  k6-observatory:grafanaRootUrl: ~",
    "  k6-observatory:prometheusVolumeName: null",
    "  k6-observatory:grafanaAdminUser: 0123",
    "  k6-observatory:trendMode: 0o17",
    "  k6-observatory:k6Env: {BIG: 12345678901234567890, DATE: 2026-12-01, OCT: 0o17, HEX: 0x1F, FLAG: yes}",
    "",
  ].join("\n");
  beforeAll(() => {
    project = scratchProject();
    const r = cliValues(project, STACK_FILE);
    if ("error" in r) throw new Error(`the CLI refused the stack file: ${r.error}`);
    handed = r.values;
  }, 120_000);
  afterAll(() => project?.cleanup());

  // [YAML as typed, key, what the CLI hands over, then the program's verdict: fragments or "accepted"]
  test.each<[string, ConfigKey, string, string[] | "accepted"]>([
    ["k6Enabled: yes (YAML 1.2: a string)", "k6Enabled", "yes", [K("k6Enabled"), '"yes"', "true or false"]],
    ["protectVolumes: on", "protectVolumes", "on", [K("protectVolumes"), '"on"', "true or false"]],
    ["allowNonLoopbackBind: True (a YAML boolean)", "allowNonLoopbackBind", "true", "accepted"],
    // Go's YAML reads a leading 0 as octal: 05670 is 3000. The program cannot see the difference.
    ["grafanaPort: 05670 (octal to the CLI)", "grafanaPort", "3000", "accepted"],
    [
      "prometheusPort: 1e3 (a float to the CLI)",
      "prometheusPort",
      "1000",
      [K("prometheusPort"), '"1000"', PORT_ALLOWED],
    ],
    ["grafanaRootUrl: ~ (null: empty, so derived)", "grafanaRootUrl", "", "accepted"],
    ["prometheusVolumeName: null (empty, so the default volume)", "prometheusVolumeName", "", "accepted"],
    // An unquoted 0123 becomes the user "83": quote YAML strings that look like numbers.
    ["grafanaAdminUser: 0123 (octal 83)", "grafanaAdminUser", "83", "accepted"],
    ["trendMode: 0o17", "trendMode", "15", [K("trendMode"), '"15"', "one of stats, nativeHistogram"]],
  ])("%s", (_yaml, key, value, verdict) => {
    expect(handed[key]?.value).toBe(value);
    if (verdict === "accepted") {
      expect(() => parse({ [key]: value })).not.toThrow();
    } else {
      expectRefused(problemsOf({ [key]: value }), verdict);
    }
  });

  test("k6Env: the CLI turns YAML numbers, dates and octals into JSON the script would see changed", () => {
    expect(JSON.parse(handed.k6Env?.value ?? "")).toEqual({
      BIG: 12345678901234567000,
      DATE: "2026-12-01 00:00:00 +0000 UTC",
      OCT: 15,
      HEX: 31,
      FLAG: "yes",
    });
    const problems = problemsOf({ k6Env: handed.k6Env?.value ?? "" });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain("BIG is a number JavaScript cannot hold exactly");
    expect(problems[1]).toContain(
      'DATE is "2026-12-01 00:00:00 +0000 UTC", a YAML date the Pulumi CLI rewrote',
    );
  });

  test.each([".inf", ".nan"])(
    "%s is refused by the CLI itself, before any program runs",
    (v) => {
      const r = cliValues(project, `config:\n  k6-observatory:prometheusRetentionTime: ${v}\n`);
      expect("error" in r && r.error).toMatch(/unsupported value: (\+Inf|NaN)/);
    },
    60_000,
  );
});

/** Shell words of one command line: plain words and '...' or "..." quoted ones. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

describe("the README's `config set` examples work with the real CLI and pass the config checks", () => {
  const docs = ["README.md", path.join("docs", "OPERATIONS.md")];
  const examples = docs.flatMap((doc) =>
    fs
      .readFileSync(path.join(REPO_ROOT, doc), "utf8")
      .split("\n")
      .map((line) => /^npm run pulumi -- (config set .*?)\s*(#.*)?$/.exec(line.trim())?.[1])
      .filter((cmd): cmd is string => cmd !== undefined && !cmd.includes("<"))
      .map((cmd) => [doc, cmd] as const),
  );
  let project: ReturnType<typeof scratchProject>;
  beforeAll(() => {
    project = scratchProject();
    fs.writeFileSync(path.join(project.dir, "Pulumi.cli.yaml"), "config: {}\n");
  }, 120_000);
  afterAll(() => project?.cleanup());

  test("the documents hold the examples this test runs", () => {
    expect(examples.map(([, cmd]) => shellWords(cmd)[shellWords(cmd).length - 2])).toEqual(
      expect.arrayContaining([
        "k6TargetUrl",
        "k6Script",
        "scrapeTargets[0].job",
        "grafanaAdminPassword",
        "bindAddress",
      ]),
    );
  });

  test("every example is stored by the CLI, and the resulting stack config is accepted", () => {
    for (const [doc, cmd] of examples) {
      const words = [...shellWords(cmd), "--stack", "cli"];
      try {
        execFileSync(CLI, words, { cwd: project.dir, env: project.env, stdio: "pipe", timeout: 60_000 });
      } catch (e) {
        throw new Error(`${doc}: pulumi ${cmd} failed: ${String((e as { stderr?: Buffer }).stderr ?? e)}`, {
          cause: e,
        });
      }
    }
    const r = cliValues(project, fs.readFileSync(path.join(project.dir, "Pulumi.cli.yaml"), "utf8"));
    if ("error" in r) throw new Error(r.error);
    const stored = (key: ConfigKey) => r.values[key]?.value;
    expect(() =>
      parseConfig((k) => stored(k), {
        stack: "cli",
        repoRoot: REPO_ROOT,
        isSecret: (k) => r.values[k]?.secret === true,
      }),
    ).not.toThrow();
    // Each plain key holds the value its last example set; each --path example's value is inside its object.
    for (const [, cmd] of examples) {
      const words = shellWords(cmd).filter((w) => !w.startsWith("--"));
      const [key = "", value = ""] = words.slice(2);
      if (cmd.includes("--path")) {
        // --path stores integers and true/false as YAML numbers and booleans (pulumi config set --help).
        const typed = /^(-?\d+|true|false)$/.test(value) ? value : JSON.stringify(value);
        const json = stored(key.replace(/[[.].*$/, "") as ConfigKey) ?? "";
        expect([key, [`:${typed}`, `[${typed}`, `,${typed}`].some((t) => json.includes(t))]).toEqual([
          key,
          true,
        ]);
      } else {
        const last = examples
          .map(([, c]) => shellWords(c).filter((w) => !w.startsWith("--")))
          .filter((w) => w[2] === key)
          .pop();
        expect([key, stored(key as ConfigKey)]).toEqual([key, last?.[3]]);
      }
    }
  }, 180_000);

  test("an object key set with --path (k6Env) reaches the config checks as an object", () => {
    for (const [name, value] of [
      ["VUS", "20"],
      ["DURATION", "2m"],
    ]) {
      execFileSync(CLI, ["config", "set", "--path", `k6Env.${name}`, value ?? "", "--stack", "cli"], {
        cwd: project.dir,
        env: project.env,
        stdio: "pipe",
      });
    }
    const r = cliValues(project, fs.readFileSync(path.join(project.dir, "Pulumi.cli.yaml"), "utf8"));
    if ("error" in r) throw new Error(r.error);
    // --path stores 20 as a YAML number; the script receives the string "20" either way.
    expect(JSON.parse(r.values.k6Env?.value ?? "")).toEqual({ VUS: 20, DURATION: "2m" });
    expect(parse({ k6Env: r.values.k6Env?.value }).k6?.env).toEqual({ VUS: "20", DURATION: "2m" });
  }, 60_000);
});
