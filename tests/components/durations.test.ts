import { goDuration } from "../../components/container-defaults";
import { ProgramRun, runProgram } from "../harness/program";

/** Milliseconds of a Go duration string (`1m30s`, `500ms`, `1.5s`), or undefined when it is not one. */
function parseGoDuration(text: string): number | undefined {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2] ?? ""] ?? NaN), 0);
}

/** Every string anywhere in a resource's inputs, with its path. */
function strings(node: unknown, at = ""): [string, string][] {
  if (typeof node === "string") return [[at, node]];
  if (Array.isArray(node)) return node.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (node && typeof node === "object") {
    return Object.entries(node).flatMap(([k, v]) => strings(v, at ? `${at}.${k}` : k));
  }
  return [];
}

describe("goDuration writes what Go's time.Duration.String() prints", () => {
  test.each([
    [0, "0s"],
    [0.5, "500ms"],
    [1.5, "1.5s"],
    [5, "5s"],
    [30, "30s"],
    [60, "1m0s"],
    [90, "1m30s"],
    [60.25, "1m0.25s"],
    [3600, "1h0m0s"],
    [5400, "1h30m0s"],
    [3661, "1h1m1s"],
  ])("%s s -> %s", (seconds, go) => {
    expect(goDuration(seconds)).toBe(go);
    expect(parseGoDuration(go)).toBe(seconds * 1000);
  });

  test.each([-1, Number.NaN, Number.POSITIVE_INFINITY, 0.0001])("refuses %s, naming the value", (bad) => {
    expect(() => goDuration(bad)).toThrow(`goDuration: seconds is ${bad}; allowed: a finite number >= 0`);
  });
});

describe("every duration the Docker provider reads back is already in Go's canonical form", () => {
  const containers = (run: ProgramRun) =>
    run.resources.filter((r) => r.type === "docker:index/container:Container");

  test.each([
    ["dev defaults", {}],
    ["nativeHistogram, k6 off", { trendMode: "nativeHistogram", k6Enabled: "false" }],
  ])("%s", async (_label, config) => {
    const run = await runProgram(config);
    const durations = containers(run).flatMap((c) =>
      strings(c.inputs)
        // json-file's max-size ("10m" = 10 MB) is a size, not a duration.
        .filter(([at, v]) => at !== "logOpts.max-size" && parseGoDuration(v) !== undefined)
        .map(([at, v]) => ({ at: `${c.name}.${at}`, value: v })),
    );
    // The healthchecks of both servers are there: the check is not vacuous.
    for (const server of ["prometheus-container", "grafana-container"]) {
      for (const field of ["interval", "timeout", "startPeriod"]) {
        expect(durations.map((d) => d.at)).toContain(`k6obs-${server}.healthcheck.${field}`);
      }
    }
    const notCanonical = durations.filter(
      (d) => goDuration((parseGoDuration(d.value) ?? 0) / 1000) !== d.value,
    );
    expect(notCanonical).toEqual([]);
  });
});
