import { ConfigError, ConfigKey, parseConfig } from "../../config";
import { goMemLimit, parseMemoryMiB } from "../../model/container-limits";
import { REPO_ROOT } from "../harness/program";

const parse = (values: Partial<Record<ConfigKey, string>>) =>
  parseConfig((k) => values[k], { stack: "dev", repoRoot: REPO_ROOT });

function problemsOf(values: Partial<Record<ConfigKey, string>>): string[] {
  try {
    parse(values);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error(`config ${JSON.stringify(values)} was accepted`);
}

describe("memory limit keys", () => {
  test("defaults: Prometheus 2 GiB, Grafana 1 GiB, k6 2 GiB, each with a process cap", () => {
    const { limits } = parse({});
    expect(limits).toEqual({
      prometheus: { memoryMiB: 2048, processes: 1024 },
      grafana: { memoryMiB: 1024, processes: 1024 },
      k6: { memoryMiB: 2048, processes: 1024 },
    });
  });

  test.each([
    ["2048", 2048],
    ["512m", 512],
    ["512M", 512],
    ["512mb", 512],
    ["512MiB", 512],
    ["3g", 3072],
    ["2GB", 2048],
    ["1t", 1024 * 1024],
    ["1048576k", 1024],
    ["268435456b", 256],
  ])("%s is %d MiB (Docker's binary units)", (given, mib) => {
    expect(parse({ prometheusMemoryLimit: given }).limits.prometheus.memoryMiB).toBe(mib);
  });

  test.each([
    ["prometheusMemoryLimit", "", "a whole number of MiB (e.g. 2048) or a size with a unit b, k, m, g, t"],
    ["prometheusMemoryLimit", "2 g", "a whole number of MiB"],
    ["prometheusMemoryLimit", " 2g", "a whole number of MiB"],
    ["prometheusMemoryLimit", "1.5g", "a whole number of MiB"],
    ["prometheusMemoryLimit", "-1", "a whole number of MiB"],
    ["prometheusMemoryLimit", "2x", "a whole number of MiB"],
    ["prometheusMemoryLimit", "1000000b", "a whole number of MiB (the Docker provider takes MiB)"],
    ["prometheusMemoryLimit", "128m", "from 256 MiB to 1 TiB, e.g. 2g (the default); this is 128 MiB"],
    ["prometheusMemoryLimit", "2t", "this is 2097152 MiB"],
    ["prometheusMemoryLimit", "99999999999999999999", "a whole number of MiB"],
    ["grafanaMemoryLimit", "64m", "from 128 MiB to 1 TiB, e.g. 1g (the default); this is 64 MiB"],
    ["k6MemoryLimit", "6m", "from 64 MiB to 1 TiB, e.g. 2g (the default); this is 6 MiB"],
    ["k6MemoryLimit", "２g", "a whole number of MiB"],
  ] as const)("%s = %j is refused, naming key, value and what is allowed", (key, value, allowed) => {
    const problems = problemsOf({ [key]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`k6-observatory:${key} = ${JSON.stringify(value)} is not allowed: `);
    expect(problems[0]).toContain(allowed);
  });

  test("parseMemoryMiB and GOMEMLIMIT: 90% of the limit in Go's MiB syntax", () => {
    expect(parseMemoryMiB("2g")).toEqual({ mib: 2048 });
    expect(goMemLimit(2048)).toBe("1843MiB");
    expect(goMemLimit(256)).toBe("230MiB");
  });
});
