// What a careless user and an attacker would type into the stack config (issue 10, "Bad input"):
// whitespace, look-alike Unicode, huge and oddly written numbers, IPv6 spellings, credentials in
// URLs, scripts that escape the mounted directory, env names that override the k6 runtime, targets
// that are the k6 container itself, names over Docker's limits and malformed image references.
// Each row is refused with one message naming the key, the value (never a password) and what is
// allowed; the program-level cases show nothing is declared. Accepted near-misses sit beside them,
// so no rule is broader than its reason.
import { ProgramError, runProgram } from "../harness/program";
import { HEX64, K, PINNED, PORT_ALLOWED, SELF, Values, expectRefused, parse, problemsOf } from "./refusal";

// [case, values, fragments the one message must contain, fragments it must not contain]
const CASES: [string, Values, string[], string[]?][] = [
  // Numbers as users write them: ports must be plain decimal digits.
  ["port 1e5", { grafanaPort: "1e5" }, [K("grafanaPort"), '"1e5"', PORT_ALLOWED]],
  [
    "port 65536, one above the range",
    { prometheusPort: "65536" },
    [K("prometheusPort"), '"65536"', PORT_ALLOWED],
  ],
  ["port in hex (0x0BB8 = 3000)", { grafanaPort: "0x0BB8" }, [K("grafanaPort"), '"0x0BB8"', PORT_ALLOWED]],
  ["port in exponent form 1e3 (= 1000)", { grafanaPort: "1e3" }, [K("grafanaPort"), '"1e3"', PORT_ALLOWED]],
  ["port with a plus sign", { grafanaPort: "+3000" }, [K("grafanaPort"), '"+3000"', PORT_ALLOWED]],
  ["port written as 3000.0", { grafanaPort: "3000.0" }, [K("grafanaPort"), '"3000.0"', PORT_ALLOWED]],
  ["negative port", { prometheusPort: "-9090" }, [K("prometheusPort"), '"-9090"', PORT_ALLOWED]],
  ["port 0", { grafanaPort: "0" }, [K("grafanaPort"), '"0"', PORT_ALLOWED]],
  ["empty port", { grafanaPort: "" }, [K("grafanaPort"), '""', PORT_ALLOWED]],
  [
    "port beyond 2^53",
    { grafanaPort: "99999999999999999999" },
    [K("grafanaPort"), '"99999999999999999999"', PORT_ALLOWED],
  ],
  // Whitespace, leading, trailing, inner, tabs, newlines and NBSP.
  ["port with a leading space", { grafanaPort: " 3000" }, [K("grafanaPort"), '" 3000"', PORT_ALLOWED]],
  ["port with a trailing newline", { grafanaPort: "3000\n" }, [K("grafanaPort"), '"3000\\n"', PORT_ALLOWED]],
  ["port with an NBSP", { grafanaPort: "3000\u00a0" }, [K("grafanaPort"), '"3000\u00a0"', PORT_ALLOWED]],
  ["port with an inner space", { grafanaPort: "30 00" }, [K("grafanaPort"), '"30 00"', PORT_ALLOWED]],
  [
    "bind address with a leading space",
    { bindAddress: " 127.0.0.1" },
    [K("bindAddress"), '" 127.0.0.1"', "an IPv4 or IPv6 address"],
  ],
  [
    "bind address with a trailing tab",
    { bindAddress: "127.0.0.1\t" },
    [K("bindAddress"), '"127.0.0.1\\t"', "an IPv4 or IPv6 address"],
  ],
  [
    "trend mode with a trailing space",
    { trendMode: "stats " },
    [K("trendMode"), '"stats "', "one of stats, nativeHistogram"],
  ],
  [
    "boolean with a trailing newline",
    { k6Enabled: "true\n" },
    [K("k6Enabled"), '"true\\n"', "true or false"],
  ],
  [
    "retention with a trailing space",
    { prometheusRetentionTime: "30d " },
    [K("prometheusRetentionTime"), '"30d "', "Prometheus duration"],
  ],
  [
    "push interval with an inner space",
    { k6PushInterval: "5 s" },
    [K("k6PushInterval"), '"5 s"', "from 1s to 1m"],
  ],
  [
    "volume name with an inner space",
    { grafanaVolumeName: "grafana data" },
    [K("grafanaVolumeName"), '"grafana data"', "Docker volume name"],
  ],
  [
    "admin user with a trailing newline",
    { grafanaAdminUser: "admin\n" },
    [K("grafanaAdminUser"), '"admin\\n"', "1 to 64 characters"],
  ],
  [
    "target URL with a leading space",
    { k6TargetUrl: " http://shop:8080" },
    [K("k6TargetUrl"), '" http://shop:8080"', "whitespace or a control character (U+0020)"],
  ],
  [
    "target URL with a tab in the host (URL parsing would drop it silently)",
    { k6TargetUrl: "http://sh\top:8080" },
    [K("k6TargetUrl"), '"http://sh\\top:8080"', "(U+0009)"],
  ],
  [
    "target URL with a trailing newline",
    { k6TargetUrl: "http://shop:8080\n" },
    [K("k6TargetUrl"), '"http://shop:8080\\n"', "(U+000A)"],
  ],
  [
    "root URL with a trailing space",
    { grafanaRootUrl: "https://grafana.example.com " },
    [K("grafanaRootUrl"), '"https://grafana.example.com "', "absolute http:// or https:// URL", "(U+0020)"],
  ],
  [
    "root URL with a tab inside the host",
    { grafanaRootUrl: "https://grafana.exa\tmple.com" },
    [K("grafanaRootUrl"), "(U+0009)", "remove it"],
  ],
  [
    "root URL ending in an NBSP",
    { grafanaRootUrl: "https://grafana.example.com\u00a0" },
    [K("grafanaRootUrl"), "(U+00A0)"],
  ],
  // Unicode: look-alike digits and letters, zero-width and bidi characters.
  ["fullwidth port digits", { grafanaPort: "３０００" }, [K("grafanaPort"), '"３０００"', PORT_ALLOWED]],
  ["Arabic-Indic port digits", { grafanaPort: "٣٠٠٠" }, [K("grafanaPort"), '"٣٠٠٠"', PORT_ALLOWED]],
  [
    "fullwidth bind address",
    { bindAddress: "１２７.０.０.１" },
    [K("bindAddress"), '"１２７.０.０.１"', "an IPv4 or IPv6 address"],
  ],
  [
    "admin user with a Cyrillic а",
    { grafanaAdminUser: "\u0430dmin" },
    [K("grafanaAdminUser"), '"\u0430dmin"', "letters, digits"],
  ],
  [
    "volume name with a zero-width space",
    { prometheusVolumeName: "prom\u200bdata" },
    [K("prometheusVolumeName"), "Docker volume name"],
  ],
  [
    "target URL with a zero-width space after the host",
    { k6TargetUrl: "http://shop\u200b:8080" },
    [K("k6TargetUrl"), "non-ASCII character U+200B", "xn--"],
  ],
  [
    "target URL spelling 127.0.0.1 in fullwidth digits",
    { k6TargetUrl: "http://１２７.０.０.１:8080" },
    [K("k6TargetUrl"), "non-ASCII character U+FF11"],
  ],
  [
    "target URL with a right-to-left override",
    { k6TargetUrl: "http://shop\u202e:8080" },
    [K("k6TargetUrl"), "non-ASCII character U+202E"],
  ],
  [
    "root URL with a Cyrillic о in the host",
    { grafanaRootUrl: "https://grafana.ex\u043emple.com" },
    [K("grafanaRootUrl"), "non-ASCII character U+043E"],
  ],
  [
    "env name with a zero-width space",
    { k6Env: '{"VUS\u200b":"1"}' },
    [K("k6Env"), "variable names matching [A-Za-z_][A-Za-z0-9_]*"],
  ],
  // IPv6 spellings of the bind address.
  [
    "bind address with a zone id, even with consent",
    { bindAddress: "fe80::1%eth0", allowNonLoopbackBind: "true" },
    [K("bindAddress"), '"fe80::1%eth0"', "without brackets or zone id"],
  ],
  [
    "bind address in URL brackets",
    { bindAddress: "[::1]" },
    [K("bindAddress"), '"[::1]"', "without brackets"],
  ],
  [
    "IPv4-mapped loopback as bind address without consent",
    { bindAddress: "::ffff:127.0.0.1" },
    [K("bindAddress"), '"::ffff:127.0.0.1"', "unless k6-observatory:allowNonLoopbackBind is true"],
  ],
  [
    "all-interfaces IPv6 bind address without consent",
    { bindAddress: "0:0:0:0:0:0:0:0" },
    [K("bindAddress"), '"0:0:0:0:0:0:0:0"', "loopback address"],
  ],
  // k6 targets that are the k6 container itself.
  [
    "target localhost. (trailing dot)",
    { k6TargetUrl: "http://localhost.:8080" },
    [K("k6TargetUrl"), '"http://localhost.:8080"', SELF],
  ],
  [
    "target LOCALHOST",
    { k6TargetUrl: "http://LOCALHOST:8080" },
    [K("k6TargetUrl"), '"http://LOCALHOST:8080"', SELF],
  ],
  ["target under .localhost", { k6TargetUrl: "http://shop.localhost:8080" }, [K("k6TargetUrl"), SELF]],
  [
    "target 127.1 (shorthand IPv4)",
    { k6TargetUrl: "http://127.1:8080" },
    [K("k6TargetUrl"), '"http://127.1:8080"', `127.0.0.1 ${SELF}`],
  ],
  [
    "target 2130706433 (127.0.0.1 as one number)",
    { k6TargetUrl: "http://2130706433/" },
    [K("k6TargetUrl"), `127.0.0.1 ${SELF}`],
  ],
  ["target 0x7f.1 (hex IPv4)", { k6TargetUrl: "http://0x7f.1/" }, [K("k6TargetUrl"), `127.0.0.1 ${SELF}`]],
  [
    "target 0.0.0.0",
    { k6TargetUrl: "http://0.0.0.0:8080" },
    [K("k6TargetUrl"), '"http://0.0.0.0:8080"', SELF],
  ],
  ["target [::]", { k6TargetUrl: "http://[::]:8080" }, [K("k6TargetUrl"), '"http://[::]:8080"', SELF]],
  ["target [::1]", { k6TargetUrl: "http://[::1]:8080" }, [K("k6TargetUrl"), SELF]],
  ["target [0:0:0:0:0:0:0:1]", { k6TargetUrl: "http://[0:0:0:0:0:0:0:1]:8080" }, [K("k6TargetUrl"), SELF]],
  [
    "target IPv4-mapped loopback [::ffff:127.0.0.1]",
    { k6TargetUrl: "http://[::ffff:127.0.0.1]:8080" },
    [K("k6TargetUrl"), SELF],
  ],
  ["target IPv4-mapped 0.0.0.0", { k6TargetUrl: "http://[::ffff:0.0.0.0]:8080" }, [K("k6TargetUrl"), SELF]],
  [
    "target the k6 container by name",
    { k6TargetUrl: "http://k6obs-dev-k6:8080" },
    [K("k6TargetUrl"), `k6obs-dev-k6 ${SELF}`],
  ],
  [
    "target the k6 container by name in upper case",
    { k6TargetUrl: "http://K6OBS-DEV-K6/" },
    [K("k6TargetUrl"), SELF],
  ],
  [
    "target with an IPv6 zone id",
    { k6TargetUrl: "http://[fe80::1%25eth0]:8080" },
    [K("k6TargetUrl"), "an absolute http:// or https:// URL"],
  ],
  // The same rule for the targets Prometheus scrapes (model/net.ts isContainerSelfHost).
  [
    "scrape target LOCALHOST",
    { scrapeTargets: '[{"job":"shop","targets":["LOCALHOST:9100"]}]' },
    [K("scrapeTargets"), "is loopback", "host.docker.internal:9100"],
  ],
  [
    "scrape target 0.0.0.0",
    { scrapeTargets: '[{"job":"shop","targets":["0.0.0.0:9100"]}]' },
    [K("scrapeTargets"), "is loopback", "host.docker.internal:9100"],
  ],
  [
    "scrape target under .localhost",
    { scrapeTargets: '[{"job":"shop","targets":["shop.localhost:9100"]}]' },
    [K("scrapeTargets"), "is loopback"],
  ],
  [
    "scrape target in IPv6 brackets",
    { scrapeTargets: '[{"job":"shop","targets":["[::1]:9100"]}]' },
    [K("scrapeTargets"), "IPv6 is not supported"],
  ],
  [
    "scrape target with a trailing space",
    { scrapeTargets: '[{"job":"shop","targets":["shop:9100 "]}]' },
    [K("scrapeTargets"), "is not host:port"],
  ],
  // Credentials in URLs: refused or not, the message never shows them.
  [
    "credentials in a refused target URL are not echoed",
    { k6TargetUrl: "http://user:s3cr3t-pw@localhost:8080" },
    [K("k6TargetUrl"), "***@localhost:8080", SELF],
    ["s3cr3t-pw"],
  ],
  [
    "credentials in a malformed target URL are not echoed",
    { k6TargetUrl: "http://user:s3cr3t-pw@sh op:8080" },
    [K("k6TargetUrl"), '"http://***@sh op:8080"'],
    ["s3cr3t-pw"],
  ],
  [
    "root URL with credentials",
    { grafanaRootUrl: "https://admin:s3cr3t-pw@grafana.example.com" },
    [K("grafanaRootUrl"), '"https://***@grafana.example.com"', "without user:password@"],
    ["s3cr3t-pw"],
  ],
  [
    "root URL with a token as user name",
    { grafanaRootUrl: "https://ghp_token123@grafana.example.com/" },
    [K("grafanaRootUrl"), "without user:password@"],
    ["ghp_token123"],
  ],
  [
    "root URL with a query",
    { grafanaRootUrl: "https://grafana.example.com/?orgId=1" },
    [K("grafanaRootUrl"), '"https://grafana.example.com/?orgId=1"', "no query or fragment"],
  ],
  [
    "root URL with a fragment",
    { grafanaRootUrl: "https://grafana.example.com/grafana#top" },
    [K("grafanaRootUrl"), '"https://grafana.example.com/grafana#top"', "no query or fragment"],
  ],
  // Paths that leave provisioning/k6.
  [
    "script reaching /etc/passwd with ..",
    { k6Script: "provisioning/k6/../../etc/passwd" },
    [K("k6Script"), '"provisioning/k6/../../etc/passwd"', "under provisioning/k6/"],
  ],
  [
    "script as an absolute path",
    { k6Script: "/etc/passwd.js" },
    [K("k6Script"), '"/etc/passwd.js"', "under provisioning/k6/"],
  ],
  [
    "script with percent-encoded .. (a literal directory name, which does not exist)",
    { k6Script: "provisioning/k6/scripts/%2e%2e/smoke.js" },
    [K("k6Script"), '"provisioning/k6/scripts/%2e%2e/smoke.js"', "an existing file", "does not exist"],
  ],
  [
    "script that is a directory",
    { k6Script: "provisioning/k6/scripts" },
    [K("k6Script"), '"provisioning/k6/scripts"', "a .js or .ts file"],
  ],
  [
    "script with a leading space",
    { k6Script: " provisioning/k6/scripts/smoke.js" },
    [K("k6Script"), '" provisioning/k6/scripts/smoke.js"', "under provisioning/k6/"],
  ],
  [
    "script with a trailing newline",
    { k6Script: "provisioning/k6/scripts/smoke.js\n" },
    [K("k6Script"), '"provisioning/k6/scripts/smoke.js\\n"', "a .js or .ts file"],
  ],
  // Env names that override the k6 runtime rather than parameterise the script.
  ["env PATH", { k6Env: '{"PATH":"/tmp"}' }, [K("k6Env"), "not the runtime's PATH", "entrypoint `k6`"]],
  ["env HOME", { k6Env: '{"HOME":"/tmp"}' }, [K("k6Env"), "not the runtime's HOME", "config file"]],
  ["env LD_PRELOAD", { k6Env: '{"LD_PRELOAD":"/tmp/x.so"}' }, [K("k6Env"), "LD_PRELOAD", "dynamic loader"]],
  [
    "env LD_LIBRARY_PATH",
    { k6Env: '{"LD_LIBRARY_PATH":"/tmp"}' },
    [K("k6Env"), "LD_LIBRARY_PATH", "dynamic loader"],
  ],
  [
    "env SSL_CERT_FILE",
    { k6Env: '{"SSL_CERT_FILE":"/tmp/ca.pem"}' },
    [K("k6Env"), "SSL_CERT_FILE", "trusted CA certificates"],
  ],
  [
    "env HTTP_PROXY",
    { k6Env: '{"HTTP_PROXY":"http://proxy:3128"}' },
    [K("k6Env"), "HTTP_PROXY", "the remote write to Prometheus included"],
  ],
  [
    "env https_proxy in lower case",
    { k6Env: '{"https_proxy":"http://proxy:3128"}' },
    [K("k6Env"), "https_proxy"],
  ],
  ["env NO_PROXY", { k6Env: '{"NO_PROXY":"*"}' }, [K("k6Env"), "NO_PROXY", "bypass"]],
  ["env GODEBUG", { k6Env: '{"GODEBUG":"x509ignoreCN=1"}' }, [K("k6Env"), "GODEBUG", "TLS"]],
  ["env GOMAXPROCS", { k6Env: '{"GOMAXPROCS":"1"}' }, [K("k6Env"), "GOMAXPROCS", "measured throughput"]],
  ["env K6_VUS, one of k6's own options", { k6Env: '{"K6_VUS":"5"}' }, [K("k6Env"), "not starting with K6_"]],
  // Values the script would not receive as written.
  ["env value with a NUL", { k6Env: '{"NAME":"a\\u0000b"}' }, [K("k6Env"), "without NUL characters", "NAME"]],
  [
    "env number beyond 2^53",
    { k6Env: '{"ACCOUNT":12345678901234567890}' },
    [K("k6Env"), "ACCOUNT is a number JavaScript cannot hold exactly (12345678901234567000): quote it"],
  ],
  [
    "env number too large for a double",
    { k6Env: '{"N":1e400}' },
    [K("k6Env"), "N is a number JavaScript cannot hold exactly (Infinity)"],
  ],
  ["env null value", { k6Env: '{"N":null}' }, [K("k6Env"), "string values; N is null"]],
  // Names over Docker's limits.
  [
    "volume name of 256 characters",
    { prometheusVolumeName: "v".repeat(256) },
    [K("prometheusVolumeName"), "at most 255 characters (this one has 256)"],
  ],
  // Image references: digests of the wrong length or case, long tags, upper-case repositories.
  [
    "digest in upper-case hex",
    { k6Image: `grafana/k6:1.8.1@sha256:${"A".repeat(64)}` },
    [K("k6Image"), `"grafana/k6:1.8.1@sha256:${"A".repeat(64)}"`, PINNED, "64 lower-case hex digits"],
  ],
  [
    "digest of 63 hex digits",
    { k6Image: `grafana/k6:1.8.1@sha256:${"a".repeat(63)}` },
    [K("k6Image"), "64 lower-case hex digits"],
  ],
  [
    "digest of 65 hex digits",
    { grafanaImage: `grafana/grafana:13.0.1@sha256:${"a".repeat(65)}` },
    [K("grafanaImage"), "64 lower-case hex digits"],
  ],
  [
    "sha512 digest",
    { prometheusImage: `prom/prometheus:v3.15.1@sha512:${"a".repeat(128)}` },
    [K("prometheusImage"), "not sha256:"],
  ],
  [
    "digest with an upper-case algorithm",
    { k6Image: `grafana/k6:1.8.1@SHA256:${HEX64}` },
    [K("k6Image"), "not sha256:"],
  ],
  [
    "digest without a tag",
    { k6Image: `grafana/k6@sha256:${HEX64}` },
    [K("k6Image"), `"grafana/k6@sha256:${HEX64}"`, "has no tag"],
  ],
  [
    "tag of 129 characters",
    { k6Image: `grafana/k6:1.8.1-${"x".repeat(123)}` },
    [K("k6Image"), "has a tag of 129 characters; Docker allows at most 128"],
  ],
  [
    "upper-case repository",
    { grafanaImage: "Grafana/Grafana:13.0.1" },
    [K("grafanaImage"), '"Grafana/Grafana:13.0.1"', "upper-case letters in its repository"],
  ],
  [
    "repository of 256 characters",
    { k6Image: `${"r".repeat(256)}:1.8.1` },
    [K("k6Image"), "repository of 256 characters; Docker allows at most 255"],
  ],
  [
    "image reference with a trailing space",
    { k6Image: "grafana/k6:1.8.1 " },
    [K("k6Image"), '"grafana/k6:1.8.1 "', "contains whitespace"],
  ],
];

describe("bad input is refused with one message naming key, value and what is allowed", () => {
  // Every row gets its forbidden list, so jest never takes the 4th parameter for a done callback.
  const rows = CASES.map(
    ([name, values, fragments, forbidden]) => [name, values, fragments, forbidden ?? []] as const,
  );
  test.each(rows)("%s", (_name, values, fragments, forbidden) => {
    const problems = problemsOf(values);
    expectRefused(problems, [...fragments], [...forbidden]);
    // The message names the value as given, except where it holds a credential: then redacted.
    const shown = Object.values(values).map((v) => `= ${JSON.stringify(v)} is not allowed`);
    if (forbidden.length === 0) expect(shown.some((v) => problems[0]?.includes(v))).toBe(true);
    else expect(problems[0]).toContain("***@");
  });

  test("a stack name so long that its volume names exceed Docker's 255 characters", () => {
    const stack = "s".repeat(240);
    expectRefused(problemsOf({}, stack), [
      `stack name "${stack}" is too long`,
      // k6obs-<stack>-alertmanager-data, the longest of the stack's volume names.
      "would have 264 characters and Docker allows 255",
      "at most 231 characters",
    ]);
  });
});

describe("near misses stay accepted", () => {
  test.each([
    ["the default Prometheus target", "http://prometheus:9090"],
    ["a service on the Docker host", "http://host.docker.internal:8080"],
    ["a host that merely starts with localhost", "http://localhost.example.com:8080"],
    ["another stack's k6 container name", "http://k6obs-prod-k6:8080"],
    // The stack's own services are real targets (the default one is Prometheus); only k6 is not.
    ["the stack's Grafana by alias", "http://grafana:3000"],
    ["the stack's Prometheus by container name", "http://k6obs-dev-prometheus:9090"],
    ["an IPv4 address on the network", "http://10.0.0.5:8080/api?x=1"],
    ["an international host in xn-- form", "https://xn--bcher-kva.example/"],
  ])("k6TargetUrl: %s", (_name, url) => {
    expect(parse({ k6TargetUrl: url }).k6?.targetUrl).toBe(url);
  });

  test("k6Env: TZ and NODE_OPTIONS are script parameters (no Node.js in the k6 image), as are lower-case path and k6_ names", () => {
    const env = {
      TZ: "Europe/Berlin",
      NODE_OPTIONS: "--x",
      path: "/a",
      k6_vus: "2",
      BIG: 9007199254740991,
      F: 1.5,
    };
    expect(parse({ k6Env: JSON.stringify(env) }).k6?.env).toEqual({
      TZ: "Europe/Berlin",
      NODE_OPTIONS: "--x",
      path: "/a",
      k6_vus: "2",
      BIG: "9007199254740991",
      F: "1.5",
    });
  });

  test("grafanaRootUrl may carry a path (Grafana behind a proxy)", () => {
    expect(parse({ grafanaRootUrl: "https://example.com/grafana/" }).grafanaRootUrl).toBe(
      "https://example.com/grafana",
    );
  });

  test("a 128-character tag, a 255-character volume name and a 100-character stack (Pulumi's limit) fit", () => {
    const tag = `1.8.1-${"x".repeat(122)}`;
    expect(parse({ k6Image: `grafana/k6:${tag}` }).images.k6.tag).toBe(tag);
    expect(parse({ grafanaVolumeName: "v".repeat(255) }).volumes.grafana.name).toHaveLength(255);
    expect(parse({}, "s".repeat(100)).volumes.prometheus.name).toBe(
      `k6obs-${"s".repeat(100)}-prometheus-data`,
    );
  });

  test("IPv6 bind addresses in any RFC 4291 spelling of ::1 need no consent; a mapped one with consent is taken", () => {
    expect(parse({ bindAddress: "0:0:0:0:0:0:0:1" }).grafanaRootUrl).toBe("http://[0:0:0:0:0:0:0:1]:3000");
    expect(parse({ bindAddress: "::ffff:127.0.0.1", allowNonLoopbackBind: "true" }).bindAddress).toBe(
      "::ffff:127.0.0.1",
    );
  });
});

describe("the program declares nothing for bad input", () => {
  const refusedByProgram = async (
    config: Record<string, string>,
    fragments: string[],
    forbidden: string[] = [],
  ) => {
    const failure = await runProgram(config).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProgramError);
    const e = failure as ProgramError;
    expect(e.declared).toBe(0);
    for (const f of fragments) expect(e.message).toContain(f);
    for (const f of forbidden) expect(e.message).not.toContain(f);
  };

  test("a target that is the k6 container's own name, as the program declares it", async () => {
    const run = await runProgram({});
    const k6Name = String(run.one("Container", "k6-container").inputs.name);
    expect(k6Name).toBe("k6obs-dev-k6");
    await refusedByProgram({ k6TargetUrl: `http://${k6Name}:8080` }, [K("k6TargetUrl"), `${k6Name} ${SELF}`]);
  }, 60_000);

  test("runtime env, a zone-id bind address and credentials in the root URL, all at once", async () => {
    await refusedByProgram(
      {
        k6Env: '{"LD_PRELOAD":"/tmp/x.so"}',
        bindAddress: "fe80::1%eth0",
        allowNonLoopbackBind: "true",
        grafanaRootUrl: "https://admin:s3cr3t-pw@grafana.example.com",
      },
      [
        `${K("bindAddress")} = "fe80::1%eth0"`,
        `${K("grafanaRootUrl")} = "https://***@grafana.example.com"`,
        "LD_PRELOAD",
      ],
      ["s3cr3t-pw"],
    );
  }, 60_000);

  test("a malformed digest and a whitespace-padded target URL", async () => {
    await refusedByProgram(
      { k6Image: `grafana/k6:1.8.1@sha256:${"A".repeat(64)}`, k6TargetUrl: "http://shop:8080 " },
      [
        `${K("k6Image")} = "grafana/k6:1.8.1@sha256:`,
        "64 lower-case hex digits",
        `${K("k6TargetUrl")} = "http://shop:8080 "`,
        "(U+0020)",
      ],
    );
  }, 60_000);
});
