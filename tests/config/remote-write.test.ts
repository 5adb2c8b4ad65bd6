import { ConfigError, ConfigKey, parseConfig } from "../../config";
import { REMOTE_WRITE_QUEUE_DEFAULTS, redactRemoteWrite } from "../../model/remote-write";
import { REPO_ROOT } from "../harness/program";

const SECRET = "s3cr3t-remote-write-pw";

function parse(value: unknown, secretKeys: readonly ConfigKey[] = ["prometheusRemoteWrite"]) {
  const raw = JSON.stringify(value);
  return parseConfig((k) => (k === "prometheusRemoteWrite" ? raw : undefined), {
    stack: "dev",
    repoRoot: REPO_ROOT,
    isSecret: (k) => secretKeys.includes(k),
  });
}

function problemsOf(value: unknown, secretKeys?: readonly ConfigKey[]): string[] {
  try {
    parse(value, secretKeys);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error(`prometheusRemoteWrite ${JSON.stringify(value)} was accepted`);
}

describe("stack setting prometheusRemoteWrite", () => {
  test("none by default", () => {
    expect(parseConfig(() => undefined, { stack: "dev", repoRoot: REPO_ROOT }).remoteWrite).toEqual([]);
  });

  test("an entry gets a name from its host, k6Only and Prometheus' queue defaults", () => {
    const [t] = parse([
      { url: "https://mimir.example.com/api/v1/push", username: "team", password: SECRET },
    ]).remoteWrite;
    expect(t).toEqual({
      name: "mimir-example-com",
      url: "https://mimir.example.com/api/v1/push",
      username: "team",
      password: SECRET,
      k6Only: true,
      queue: REMOTE_WRITE_QUEUE_DEFAULTS,
    });
  });

  test("queue overrides are kept, the rest defaulted", () => {
    const [t] = parse([
      {
        url: "http://vm:8428/api/v1/write",
        k6Only: false,
        queue: { maxShards: 4, batchSendDeadline: "10s" },
      },
    ]).remoteWrite;
    expect(t!.queue).toEqual({ ...REMOTE_WRITE_QUEUE_DEFAULTS, maxShards: 4, batchSendDeadline: "10s" });
    expect(t!.k6Only).toBe(false);
  });

  test("plaintext credentials are refused, without echoing them", () => {
    const problems = problemsOf([{ url: "https://m.example.com/push", username: "u", password: SECRET }], []);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("k6-observatory:prometheusRemoteWrite");
    expect(problems[0]).toContain("plaintext");
    expect(problems[0]).toContain("--secret --path 'prometheusRemoteWrite[0].password'");
    expect(problems[0]).toContain(`(secret, ${SECRET.length} characters)`);
    expect(problems[0]).not.toContain(SECRET);
  });

  test("a bearer token in plaintext is refused too; a target without credentials needs no secret", () => {
    expect(problemsOf([{ url: "https://m.example.com/push", bearerToken: SECRET }], [])[0]).toContain(
      "plaintext",
    );
    expect(parse([{ url: "https://m.example.com/push" }], []).remoteWrite).toHaveLength(1);
  });

  test.each<[string, unknown, string[]]>([
    ["not an array", { url: "https://m.example.com/push" }, ["an array of", '"url"']],
    ["no url", [{ name: "a" }], ["entry 0", "url undefined", "http://"]],
    ["ftp url", [{ url: "ftp://m.example.com/push" }], ["entry 0", '"ftp://m.example.com/push"', "http://"]],
    [
      "credentials in the url",
      [{ url: `https://u:${SECRET}@m.example.com/push` }],
      ["carries credentials", "(credentials)@m.example.com", "username/password or bearerToken"],
    ],
    ["loopback url", [{ url: "http://127.0.0.1:9009/push" }], ["loopback", "host.docker.internal"]],
    ["localhost url", [{ url: "http://localhost:9009/push" }], ["loopback"]],
    ["token in the query", [{ url: "https://m.example.com/push?token=x" }], ["query", "bearerToken"]],
    [
      "duplicate url",
      [
        { url: "https://m.example.com/push", name: "a" },
        { url: "https://m.example.com/push", name: "b" },
      ],
      ["entry 1", "appears twice"],
    ],
    [
      "duplicate derived name",
      [{ url: "https://m.example.com/a" }, { url: "https://m.example.com/b" }],
      ["entry 1", '"m-example-com"', "appears twice", "set a name"],
    ],
    ["bad name", [{ url: "https://m.example.com/push", name: "My Store" }], ['"My Store"', "lowercase"]],
    [
      "unknown field",
      [{ url: "https://m.example.com/push", headers: {} }],
      ["unknown fields headers", "allowed"],
    ],
    [
      "Prometheus' own auth shape (refused, not echoed)",
      [{ url: "https://m.example.com/push", basic_auth: { username: "u", password: SECRET } }],
      ["unknown fields basic_auth", `(secret, ${SECRET.length} characters)`],
    ],
    ["user without password", [{ url: "https://m.example.com/push", username: "u" }], ["go together"]],
    [
      "basic auth and bearer",
      [{ url: "https://m.example.com/push", username: "u", password: SECRET, bearerToken: SECRET }],
      ["exclude each other"],
    ],
    [
      "k6Only not boolean",
      [{ url: "https://m.example.com/push", k6Only: "yes" }],
      ['k6Only "yes"', "true or false"],
    ],
    [
      "maxShards 0",
      [{ url: "https://m.example.com/push", queue: { maxShards: 0 } }],
      ["queue.maxShards 0", "1 to 1000"],
    ],
    [
      "capacity too large",
      [{ url: "https://m.example.com/push", queue: { capacity: 10_000_000 } }],
      ["queue.capacity 10000000", "1 to 1000000"],
    ],
    [
      "minShards above maxShards",
      [{ url: "https://m.example.com/push", queue: { minShards: 8, maxShards: 4 } }],
      ["queue.minShards 8", "greater than queue.maxShards 4"],
    ],
    [
      "batch larger than capacity",
      [{ url: "https://m.example.com/push", queue: { capacity: 100, maxSamplesPerSend: 500 } }],
      ["queue.maxSamplesPerSend 500", "queue.capacity 100"],
    ],
    [
      "bad duration",
      [{ url: "https://m.example.com/push", queue: { batchSendDeadline: "5 seconds" } }],
      ['queue.batchSendDeadline "5 seconds"', "100ms to 5m"],
    ],
    [
      "backoff inverted",
      [{ url: "https://m.example.com/push", queue: { minBackoff: "10s", maxBackoff: "1s" } }],
      ["queue.minBackoff 10s", "longer than queue.maxBackoff 1s"],
    ],
    [
      "unknown queue field",
      [{ url: "https://m.example.com/push", queue: { shards: 2 } }],
      ["queue has unknown fields shards"],
    ],
  ])("%s is refused with a message naming key, value and what is allowed", (_name, value, parts) => {
    const problems = problemsOf(value);
    const joined = problems.join("\n");
    expect(joined).toContain("k6-observatory:prometheusRemoteWrite = ");
    expect(joined).toContain("is not allowed");
    for (const part of parts) expect(joined).toContain(part);
    expect(joined).not.toContain(SECRET);
  });
});

describe("what a message shows of prometheusRemoteWrite", () => {
  test("every credential-like field, at any depth, is described instead of shown", () => {
    const shown = redactRemoteWrite([
      {
        url: `HTTPS://u:${SECRET}@m.example.com/push`,
        name: "team@ops",
        username: "team",
        Password: SECRET,
        bearerToken: SECRET,
        basic_auth: { password: SECRET },
        authorization: { type: "Bearer", credentials: SECRET },
        sigv4: { access_key: SECRET, secret_key: 12345 },
        queue: { maxShards: 4, retryOnHttp429: true, note: null },
      },
    ]);
    const described = `(secret, ${SECRET.length} characters)`;
    expect(shown).toEqual([
      {
        url: "HTTPS://(credentials)@m.example.com/push",
        name: "team@ops",
        username: "team",
        Password: described,
        bearerToken: described,
        basic_auth: { password: described },
        authorization: { type: "Bearer", credentials: described },
        sigv4: { access_key: described, secret_key: "(secret)" },
        queue: { maxShards: 4, retryOnHttp429: true, note: null },
      },
    ]);
  });

  test("a URL without userinfo, and values that are not objects, are shown as given", () => {
    expect(redactRemoteWrite("https://m.example.com/push@v1")).toBe("https://m.example.com/push@v1");
    expect(redactRemoteWrite("u:p@m.example.com")).toBe("u:p@m.example.com");
    expect(redactRemoteWrite("see https://u:p@m.example.com")).toBe("see https://u:p@m.example.com");
    expect(redactRemoteWrite("https://@m.example.com")).toBe("https://(credentials)@m.example.com");
    expect(redactRemoteWrite([1, null, true])).toEqual([1, null, true]);
  });

  test("a refused value is echoed with its credentials described", () => {
    const problems = problemsOf([
      { url: "https://m.example.com/push", username: "u", password: SECRET, shards: 2 },
    ]);
    const shown = [
      {
        url: "https://m.example.com/push",
        username: "u",
        password: `(secret, ${SECRET.length} characters)`,
        shards: 2,
      },
    ];
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(
      `prometheusRemoteWrite = ${JSON.stringify(JSON.stringify(shown))} is not allowed: entry 0 has unknown fields shards`,
    );
  });

  test("a value that is not JSON is not echoed", () => {
    const run = () =>
      parseConfig((k) => (k === "prometheusRemoteWrite" ? `[{"password":"${SECRET}"` : undefined), {
        stack: "dev",
        repoRoot: REPO_ROOT,
        isSecret: () => true,
      });
    expect(run).toThrow('k6-observatory:prometheusRemoteWrite = "(not JSON)" is not allowed');
  });
});
