import { UnavailableError, UsageError } from "../../../ops/k6-compare/errors";
import { resolvePrometheus } from "../../../ops/k6-compare/query";

describe("k6:compare Prometheus URL", () => {
  const noStack = (): never => {
    throw new Error("stack read");
  };

  it("takes --prometheus, then PROMETHEUS_URL, then the stack output (read only then)", () => {
    const env = { PROMETHEUS_URL: "http://127.0.0.1:9999/" };
    expect(resolvePrometheus("http://h:1", env, "dev", noStack)).toEqual({
      url: "http://h:1",
      source: "--prometheus",
    });
    expect(resolvePrometheus(undefined, env, "dev", noStack)).toEqual({
      url: "http://127.0.0.1:9999",
      source: "PROMETHEUS_URL",
    });
    expect(
      resolvePrometheus(undefined, {}, "ci", () => ({
        prometheusUrl: "http://127.0.0.1:9090",
        trendMode: "stats",
      })),
    ).toEqual({
      url: "http://127.0.0.1:9090",
      source: "stack output prometheusUrl of stack ci",
      trendModeHint: "stats",
    });
  });

  it("refuses a value that is not an http(s) URL, naming where it came from", () => {
    expect(() => resolvePrometheus("localhost:9090", {}, "dev", noStack)).toThrow(
      new UsageError(
        '--prometheus "localhost:9090" is not a URL: expected http(s)://host:port, e.g. http://127.0.0.1:9090',
      ),
    );
    expect(() => resolvePrometheus(undefined, { PROMETHEUS_URL: "ftp://x" }, "dev", noStack)).toThrow(
      'PROMETHEUS_URL "ftp://x" is not a URL',
    );
  });

  it("says why the stack was needed when its outputs cannot be read", () => {
    const read = (): never => {
      throw new Error("Could not read the stack outputs");
    };
    const run = (): unknown => resolvePrometheus(undefined, {}, "dev", read);
    expect(run).toThrow(UnavailableError);
    expect(run).toThrow(
      "Could not read the stack outputs (no --prometheus and no PROMETHEUS_URL, so the stack output prometheusUrl of stack dev was needed)",
    );
  });
});
