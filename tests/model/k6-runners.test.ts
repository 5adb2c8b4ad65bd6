import { ConfigError, ConfigKey, parseConfig } from "../../config";
import {
  checkK6Runners,
  checkRunnerPrometheus,
  normaliseDockerHost,
  planK6Runners,
  runnerArgs,
} from "../../model/k6-runners";
import { REPO_ROOT } from "../harness/program";

const LOCAL = "unix:///var/run/docker.sock";

describe("normaliseDockerHost", () => {
  it.each([
    ["ssh://k6@East.example.com", "ssh://k6@east.example.com:22"],
    ["ssh://k6@east.example.com:2222", "ssh://k6@east.example.com:2222"],
    ["tcp://10.0.0.7", "tcp://10.0.0.7:2375"],
    ["tcp://[fd00::7]:2376", "tcp://[fd00::7]:2376"],
    ["unix:///var/run/docker.sock", "unix:///run/docker.sock"],
    ["unix:///run/k6obs-second/docker.sock", "unix:///run/k6obs-second/docker.sock"],
  ])("%s is %s", (host, norm) => expect(normaliseDockerHost(host)).toBe(norm));

  it.each([
    "east.example.com",
    "http://east:2375",
    "unix://relative.sock",
    "ssh://k6:secret@east",
    "tcp://u@east:2375",
    "tcp://east:2375/path",
    "ssh://bad_host!",
    "",
  ])("%j is not a Docker host URL", (host) => expect(normaliseDockerHost(host)).toBeUndefined());
});

describe("checkK6Runners", () => {
  const ok = (value: unknown) => checkK6Runners(value, LOCAL);

  it("accepts names, hosts and weights, weight 1 by default", () => {
    expect(
      ok([
        { name: "east", host: "ssh://k6@east.example.com" },
        { name: "west-2", host: "tcp://10.0.0.7:2376", weight: 3 },
      ]),
    ).toEqual({
      runners: [
        { name: "east", host: "ssh://k6@east.example.com", weight: 1 },
        { name: "west-2", host: "tcp://10.0.0.7:2376", weight: 3 },
      ],
      problems: [],
    });
    expect(ok([])).toEqual({ runners: [], problems: [] });
  });

  it.each([
    [{}, /not an array|an array of/],
    [[{ name: "East", host: "tcp://e:1" }], /name "East" is not 1-30 lower-case/],
    [[{ name: "local", host: "tcp://e:1" }], /name "local" is the stack's own/],
    [
      [
        { name: "a", host: "tcp://e:1" },
        { name: "a", host: "tcp://f:1" },
      ],
      /name "a" is used twice/,
    ],
    [
      [
        { name: "a", host: "ssh://k6@east" },
        { name: "b", host: "ssh://k6@EAST:22" },
      ],
      /host "ssh:\/\/k6@EAST:22" is the same Docker host as runner "a"/,
    ],
    [[{ name: "a", host: "unix:///run/docker.sock" }], /is the stack's own Docker host/],
    [[{ name: "a", host: "tcp://127.0.0.1:2375" }], /is the stack's own Docker host/],
    [[{ name: "a", host: "ssh://me@localhost" }], /is the stack's own Docker host/],
    [[{ name: "a", host: "east:2375" }], /host "east:2375" is not a Docker host URL/],
    [[{ name: "a", host: "tcp://e:1", weight: 0 }], /weight 0 is not a whole number from 1 to 100/],
    [[{ name: "a", host: "tcp://e:1", cpus: 2 }], /unknown field\(s\) cpus/],
    [["east"], /runner #1 is "east"/],
  ])("%j: %s", (value, message) => {
    const r = ok(value);
    expect(r.runners).toEqual([]);
    expect(r.problems.join("\n")).toMatch(message);
  });

  it("compares with the stack's own host as the provider sees it (DOCKER_HOST / docker:host)", () => {
    expect(checkK6Runners([{ name: "a", host: "tcp://10.0.0.7:2375" }], "tcp://10.0.0.7").problems).toEqual([
      expect.stringContaining("is the stack's own Docker host (tcp://10.0.0.7)"),
    ]);
  });
});

describe("planK6Runners and runnerArgs", () => {
  it("without extra runners: the local runner alone, no flags (the argv of a stack without runners is unchanged)", () => {
    const [local, ...extra] = planK6Runners([]);
    expect(extra).toEqual([]);
    expect(runnerArgs(local)).toEqual([]);
  });

  it("with extra runners: the local one first, every runner a segment of one sequence and a runner tag", () => {
    const plans = planK6Runners([{ name: "east", host: "tcp://e:1", weight: 1 }]);
    expect(plans.map(runnerArgs)).toEqual([
      ["--execution-segment", "0:1/2", "--execution-segment-sequence", "0,1/2,1", "--tag", "runner=local"],
      ["--execution-segment", "1/2:1", "--execution-segment-sequence", "0,1/2,1", "--tag", "runner=east"],
    ]);
  });
});

describe("checkRunnerPrometheus", () => {
  const base = { runners: 1, bindAddress: "10.0.0.5", auth: true, port: 9090, url: "" };

  it("derives the URL from a specific bind address", () => {
    expect(checkRunnerPrometheus(base)).toEqual({ url: "http://10.0.0.5:9090", problems: [] });
    expect(checkRunnerPrometheus({ ...base, bindAddress: "fd00::5" }).url).toBe("http://[fd00::5]:9090");
  });

  it("takes a given URL, without its trailing slash", () => {
    expect(checkRunnerPrometheus({ ...base, bindAddress: "0.0.0.0", url: "http://obs.lan:9090/" })).toEqual({
      url: "http://obs.lan:9090",
      problems: [],
    });
  });

  it.each([
    [{ bindAddress: "127.0.0.1" }, "k6Runners", /bound to loopback 127.0.0.1/],
    [{ auth: false }, "k6Runners", /requires basic auth/],
    [
      { bindAddress: "0.0.0.0" },
      "k6RunnerPrometheusUrl",
      /cannot be derived while Prometheus is bound to all interfaces/,
    ],
    [
      { url: "http://127.0.0.1:9090" },
      "k6RunnerPrometheusUrl",
      /loopback or 0.0.0.0 there is the runner host itself/,
    ],
    [{ url: "http://u:p@obs:9090" }, "k6RunnerPrometheusUrl", /without credentials/],
    [{ url: "obs:9090" }, "k6RunnerPrometheusUrl", /absolute http/],
  ])("%j is refused on %s", (change, key, message) => {
    const r = checkRunnerPrometheus({ ...base, ...change });
    expect(r.problems).toEqual([[key, expect.stringMatching(message)]]);
  });

  it("without runners nothing is required", () => {
    expect(checkRunnerPrometheus({ ...base, runners: 0, bindAddress: "127.0.0.1", auth: false })).toEqual({
      url: undefined,
      problems: [],
    });
  });
});

describe("stack config k6Runners / k6RunnerPrometheusUrl", () => {
  const problemsOf = (values: Partial<Record<ConfigKey, string>>): string[] => {
    try {
      parseConfig((k) => values[k], { stack: "dev", repoRoot: REPO_ROOT });
    } catch (e) {
      if (e instanceof ConfigError) return [...e.problems];
      throw e;
    }
    return [];
  };
  const runners = JSON.stringify([{ name: "east", host: "ssh://k6@east.example.com" }]);

  it("default: no runners, nothing required", () => {
    const cfg = parseConfig(() => undefined, { stack: "dev", repoRoot: REPO_ROOT });
    expect([cfg.k6Runners, cfg.k6RunnerPrometheusUrl]).toEqual([[], undefined]);
  });

  it("names key, value and what is allowed", () => {
    const bad = JSON.stringify([{ name: "local", host: "east" }]);
    expect(problemsOf({ k6Runners: bad })).toEqual([
      `k6-observatory:k6Runners = ${JSON.stringify(bad)} is not allowed: runner #1: name "local" is the stack's own Docker host's runner; choose another`,
      `k6-observatory:k6Runners = ${JSON.stringify(bad)} is not allowed: runner #1: host "east" is not a Docker host URL: ssh://user@host[:port], tcp://host:port or unix:///path/to/docker.sock`,
    ]);
    expect(problemsOf({ k6Runners: "[" })).toEqual([
      expect.stringMatching(/^k6-observatory:k6Runners = "\[" is not allowed: an array of/),
    ]);
  });

  it("refuses runners while Prometheus is loopback-bound (the default), and the stack-network default target", () => {
    expect(problemsOf({ k6Runners: runners })).toHaveLength(2);
    const all = problemsOf({ k6Runners: runners }).join("\n");
    expect(all).toContain("it is bound to loopback 127.0.0.1");
    expect(all).toContain(
      'k6-observatory:k6TargetUrl = "http://prometheus:9090" is not allowed: a host every k6 runner reaches; prometheus is a name on the stack network',
    );
  });

  it("exposing Grafana alone does not let runners in: Prometheus keeps its own loopback bind", () => {
    const all = problemsOf({
      k6Runners: runners,
      bindAddress: "10.0.0.5",
      allowNonLoopbackBind: "true",
      k6TargetUrl: "http://sut.example.com",
    });
    expect(all).toEqual([
      `k6-observatory:k6Runners = ${JSON.stringify(runners)} is not allowed: runners only while Prometheus is published on an address the runner hosts reach: it is bound to loopback 127.0.0.1; publish it on a non-loopback address (with its consent key) first`,
    ]);
  });

  it("accepts runners once Prometheus is exposed, which always turns its auth on", () => {
    expect(
      problemsOf({
        k6Runners: runners,
        prometheusBindAddress: "10.0.0.5",
        allowNonLoopbackPrometheusBind: "true",
        k6TargetUrl: "http://sut.example.com",
      }),
    ).toEqual([]);
  });

  it("refuses runners when k6 is off", () => {
    expect(problemsOf({ k6Runners: runners, k6Enabled: "false" }).join("\n")).toContain(
      "an empty list while k6-observatory:k6Enabled is false",
    );
  });
});
