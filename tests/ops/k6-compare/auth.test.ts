// k6:compare against an authenticated Prometheus: where the credentials come from.
import { UsageError } from "../../../ops/k6-compare/errors";
import { resolvePrometheus } from "../../../ops/k6-compare/query";

const noStack = (): never => {
  throw new Error("stack read");
};

describe("k6:compare Prometheus credentials", () => {
  it("takes PROMETHEUS_USER/PROMETHEUS_PASSWORD with --prometheus or PROMETHEUS_URL", () => {
    const env = { PROMETHEUS_USER: "k6obs", PROMETHEUS_PASSWORD: "pw" };
    const auth = { user: "k6obs", password: "pw", source: "PROMETHEUS_USER/PROMETHEUS_PASSWORD" };
    expect(resolvePrometheus("http://h:1", env, "dev", noStack)).toEqual({
      url: "http://h:1",
      source: "--prometheus",
      auth,
    });
    expect(resolvePrometheus(undefined, { ...env, PROMETHEUS_URL: "http://h:2" }, "dev", noStack)).toEqual({
      url: "http://h:2",
      source: "PROMETHEUS_URL",
      auth,
    });
  });

  it("else the stack outputs prometheusUser/prometheusPassword", () => {
    const target = resolvePrometheus(undefined, {}, "ci", () => ({
      prometheusUrl: "http://10.0.0.5:9390",
      prometheusUser: "k6obs",
      prometheusPassword: "from-stack",
    }));
    expect(target.auth).toEqual({
      user: "k6obs",
      password: "from-stack",
      source: "stack outputs prometheusUser/prometheusPassword of stack ci",
    });
  });

  it("sends none when there are none (an unauthenticated loopback Prometheus)", () => {
    expect(resolvePrometheus("http://h:1", {}, "dev", noStack).auth).toBeUndefined();
  });

  it("refuses half a pair, naming the missing variable", () => {
    expect(() => resolvePrometheus("http://h:1", { PROMETHEUS_USER: "k6obs" }, "dev", noStack)).toThrow(
      new UsageError("PROMETHEUS_USER and PROMETHEUS_PASSWORD go together; only PROMETHEUS_USER is set"),
    );
  });
});
