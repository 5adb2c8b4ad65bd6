import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, ConfigKey, parseConfig } from "../../config";
import { plaintextEntriesIn } from "../../config/load";
import { resolveObservatoryArgs } from "../../components/observatory-args";
import { REPO_ROOT } from "../harness/program";

type Values = Partial<Record<ConfigKey, string>>;

/** Parses as `pulumi up` does, with the keys in `secret` stored encrypted. */
function parse(values: Values, secret: ConfigKey[] = []) {
  return parseConfig((k) => values[k], {
    stack: "dev",
    repoRoot: REPO_ROOT,
    isSecret: (k) => secret.includes(k),
  });
}

function problemsOf(values: Values, secret: ConfigKey[] = []): string[] {
  try {
    parse(values, secret);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error(`config ${JSON.stringify(values)} was accepted`);
}

const TOKEN = "tok-4f1c9b7e-SECRET";

describe("secret config for k6", () => {
  test("k6SecretEnv stored encrypted is taken and kept apart from the plain k6Env", () => {
    const cfg = parse({ k6SecretEnv: JSON.stringify({ API_TOKEN: TOKEN }), k6Env: '{"VUS":"2"}' }, [
      "k6SecretEnv",
    ]);
    expect(cfg.k6?.secretEnv).toEqual({ API_TOKEN: TOKEN });
    expect(cfg.k6?.env).toEqual({ VUS: "2" });
    expect(cfg.k6?.targetUrlSecret).toBe(false);
  });

  test("k6SecretEnv stored in plaintext is refused, naming the variables but never their values", () => {
    const problems = problemsOf({ k6SecretEnv: JSON.stringify({ API_TOKEN: TOKEN }) });
    expect(problems).toEqual([
      expect.stringContaining("k6-observatory:k6SecretEnv = (plaintext, API_TOKEN) is not allowed"),
    ]);
    expect(problems[0]).toContain("pulumi config set --secret --path 'k6SecretEnv.API_TOKEN' <value>");
    expect(problems.join("\n")).not.toContain(TOKEN);
  });

  test.each([
    ['{"K6_CLOUD_TOKEN":"x"}', "not starting with K6_"],
    ['{"TARGET_URL":"x"}', "not TARGET_URL or TESTID"],
    ['{"A-B":"x"}', '"A-B"'],
    ['{"TOKEN":{"nested":"' + TOKEN + '"}}', "string values; TOKEN is not a string"],
    ['["' + TOKEN + '"]', "an object of string values, set one at a time"],
    ['{"LD_PRELOAD":"/tmp/x.so"}', "not the runtime's LD_PRELOAD"],
    ['{"TOKEN":"a\\u0000b"}', "without NUL characters"],
  ])("k6SecretEnv %s is refused without echoing the value", (value, fragment) => {
    const problems = problemsOf({ k6SecretEnv: value }, ["k6SecretEnv"]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^k6-observatory:k6SecretEnv = "\(secret\)" is not allowed: /);
    expect(problems[0]).toContain(fragment);
    expect(problems[0]).not.toContain(TOKEN);
  });

  test("a name in both k6Env and k6SecretEnv is refused", () => {
    expect(problemsOf({ k6Env: '{"USER_ID":"1"}', k6SecretEnv: '{"USER_ID":"2"}' }, ["k6SecretEnv"])).toEqual(
      [
        expect.stringContaining(
          "k6SecretEnv variable USER_ID is not allowed: k6-observatory:k6Env sets it too",
        ),
      ],
    );
  });

  test.each(["API_TOKEN", "db_password", "CLIENT_SECRET", "ApiKey", "PRIVATE_KEY"])(
    "a k6Env variable named like a credential (%s) is refused, pointing at k6SecretEnv",
    (name) => {
      const problems = problemsOf({ k6Env: JSON.stringify({ [name]: TOKEN }) });
      expect(problems).toEqual([
        expect.stringContaining(`k6-observatory:k6Env variable ${name} (plaintext) is not allowed`),
      ]);
      expect(problems[0]).toContain(`--secret --path 'k6SecretEnv.${name}'`);
      expect(problems[0]).not.toContain(TOKEN);
    },
  );

  test("other k6Env problems do not echo a credential in it either", () => {
    const problems = problemsOf({ k6Env: JSON.stringify({ API_TOKEN: TOKEN, "BAD-NAME": "x" }) });
    expect(problems).toHaveLength(2);
    expect(problems.join("\n")).not.toContain(TOKEN);
    expect(problems[0]).toContain('k6-observatory:k6Env = "(API_TOKEN, BAD-NAME)" is not allowed');
  });

  test("a k6Env value that is a URL with credentials is refused without echoing it", () => {
    const problems = problemsOf({ k6Env: JSON.stringify({ UPSTREAM: `https://bob:${TOKEN}@api.example` }) });
    expect(problems).toEqual([expect.stringContaining("k6Env variable UPSTREAM (plaintext) is not allowed")]);
    expect(problems[0]).not.toContain(TOKEN);
  });

  test.each([
    ["a user part only", `https://${TOKEN}@api.example`],
    ["a password only", `https://:${TOKEN}@api.example`],
    ["a host no URL parser takes", `https://bob:${TOKEN}@api example`],
  ])("a k6Env value that is a URL with %s is refused as a credential", (_what, url) => {
    const problems = problemsOf({ k6Env: JSON.stringify({ UPSTREAM: url }) });
    expect(problems).toEqual([expect.stringContaining("k6Env variable UPSTREAM (plaintext) is not allowed")]);
    expect(problems.join("\n")).not.toContain(TOKEN);
  });

  test("plain k6Env values that only look like addresses are kept", () => {
    const env = { CONTACT: "ops@example.com", UPSTREAM: "https://api.example/v1@2", HOST: "bob:8080@x" };
    expect(parse({ k6Env: JSON.stringify(env) }).k6?.env).toEqual(env);
  });

  test("a refused k6Env without credentials is echoed as written", () => {
    expect(problemsOf({ k6Env: '{"BAD-NAME":"x"}' })[0]).toMatch(
      /^k6-observatory:k6Env = "\{\\"BAD-NAME\\":\\"x\\"\}" is not allowed: variable names/,
    );
  });

  test("a plaintext k6TargetUrl with credentials is refused, telling the user to set it with --secret", () => {
    const problems = problemsOf({ k6TargetUrl: `https://bob:${TOKEN}@api.example:8443/base` });
    expect(problems).toEqual([
      expect.stringContaining(
        'k6-observatory:k6TargetUrl = "https://***@api.example:8443/base" (plaintext, with credentials) is not allowed',
      ),
    ]);
    expect(problems[0]).toContain("pulumi config set --secret 'k6TargetUrl' <url>");
    expect(problems[0]).not.toContain(TOKEN);
    // A token as the user part only is hidden too.
    expect(problemsOf({ k6TargetUrl: `https://${TOKEN}@api.example` })[0]).not.toContain(TOKEN);
  });

  test("a secret k6TargetUrl with credentials is taken and marked secret; other checks never echo it", () => {
    const url = `https://bob:${TOKEN}@api.example:8443/base`;
    const cfg = parse({ k6TargetUrl: url }, ["k6TargetUrl"]);
    expect(cfg.k6?.targetUrl).toBe(url);
    expect(cfg.k6?.targetUrlSecret).toBe(true);
    const bad = problemsOf({ k6TargetUrl: `https://bob:${TOKEN}@localhost:8443` }, ["k6TargetUrl"]);
    expect(bad).toEqual([expect.stringContaining("a host reachable from the k6 container")]);
    expect(bad[0]).not.toContain(TOKEN);
  });

  test("a secret k6TargetUrl without credentials is delivered as a secret too; a plain one is not", () => {
    expect(parse({ k6TargetUrl: "https://internal.example" }, ["k6TargetUrl"]).k6?.targetUrlSecret).toBe(
      true,
    );
    expect(parse({ k6TargetUrl: "https://internal.example" }).k6?.targetUrlSecret).toBe(false);
  });

  test("Observatory args: credentials in k6.targetUrl need targetUrlSecret; secretEnv is validated like the config", () => {
    const base = { stack: "dev", k6: { script: "scripts/smoke.js" } };
    const url = `https://bob:${TOKEN}@api.example`;
    expect(() => resolveObservatoryArgs({ ...base, k6: { ...base.k6, targetUrl: url } })).toThrow(
      /k6\.targetUrl = "https:\/\/\*\*\*@api\.example" \(plaintext, with credentials\) is not allowed[^\n]*pass k6\.targetUrlSecret: true/,
    );
    const cfg = resolveObservatoryArgs({
      ...base,
      k6: { ...base.k6, targetUrl: url, targetUrlSecret: true, secretEnv: { API_TOKEN: TOKEN } },
    });
    expect(cfg.k6).toMatchObject({ targetUrlSecret: true, secretEnv: { API_TOKEN: TOKEN } });
    expect(() => resolveObservatoryArgs({ ...base, k6: { ...base.k6, secretEnv: { K6_X: TOKEN } } })).toThrow(
      /k6\.secretEnv = "\(secret\)" is not allowed/,
    );
  });

  test("an entry added to k6SecretEnv without --secret is refused, though the engine marks the whole key secret", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-stackfile-"));
    try {
      const file = path.join(dir, "Pulumi.dev.yaml");
      // What `config set --secret --path k6SecretEnv.API_TOKEN` then `config set --path k6SecretEnv.USER_ID` write.
      fs.writeFileSync(
        file,
        'config:\n  k6-observatory:k6SecretEnv:\n    API_TOKEN:\n      secure: v1:abc\n    USER_ID: "42"\n',
      );
      const plaintextEntries = plaintextEntriesIn(file);
      expect(plaintextEntries("k6SecretEnv")).toEqual(["USER_ID"]);
      expect(plaintextEntries("k6Env")).toBeUndefined();
      expect(plaintextEntriesIn(path.join(dir, "missing.yaml"))("k6SecretEnv")).toBeUndefined();
      const values: Values = { k6SecretEnv: JSON.stringify({ API_TOKEN: TOKEN, USER_ID: "42" }) };
      const run = () =>
        parseConfig((k) => values[k], {
          stack: "dev",
          repoRoot: REPO_ROOT,
          isSecret: (k) => k === "k6SecretEnv",
          plaintextEntries,
        });
      expect(run).toThrow(/k6SecretEnv entries USER_ID \(plaintext in the stack file\) are not allowed/);
      expect(run).toThrow(/--secret --path 'k6SecretEnv.USER_ID'/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("secrets of the stack itself", () => {
  test.each([
    ["too short", "hunter2", "(secret, 7 characters) is not allowed: at least 12 characters"],
    ["with whitespace", "long enough pass", "(secret, 16 characters) is not allowed: at least 12 characters"],
  ])("a Grafana admin password %s is described, never shown", (_what, pw, fragment) => {
    const problems = problemsOf({ grafanaAdminPassword: pw }, ["grafanaAdminPassword"]);
    expect(problems).toEqual([
      `k6-observatory:grafanaAdminPassword = ${fragment} without whitespace, or empty to generate one`,
    ]);
  });

  test("a Grafana admin password stored in plaintext is refused by its length only", () => {
    expect(problemsOf({ grafanaAdminPassword: "long-enough-password" })).toEqual([
      "k6-observatory:grafanaAdminPassword = (plaintext, 20 characters) is not allowed: store it encrypted with `pulumi config set --secret grafanaAdminPassword <value>`",
    ]);
    expect(
      parse({ grafanaAdminPassword: "long-enough-password" }, ["grafanaAdminPassword"]).grafanaAdminPassword,
    ).toBe("long-enough-password");
  });

  test("a webhook URL is described by its length, whether refused or stored in plaintext", () => {
    const hook = `https://hooks.example/${TOKEN}`;
    expect(problemsOf({ alertWebhookUrl: `ftp://hooks.example/${TOKEN}` }, ["alertWebhookUrl"])).toEqual([
      `k6-observatory:alertWebhookUrl = (secret, ${`ftp://hooks.example/${TOKEN}`.length} characters) is not allowed: it uses ftp, not http or https; allowed: an absolute http:// or https:// URL that Alertmanager posts alerts to, or empty for none`,
    ]);
    expect(problemsOf({ alertWebhookUrl: hook })).toEqual([
      `k6-observatory:alertWebhookUrl = (plaintext, ${hook.length} characters) is not allowed: store it encrypted with \`pulumi config set --secret alertWebhookUrl <url>\``,
    ]);
    expect(parse({ alertWebhookUrl: hook }, ["alertWebhookUrl"]).alertWebhookUrl).toBe(hook);
  });
});
