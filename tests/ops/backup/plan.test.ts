import { parseStackOutputs, planFromStack } from "../../../ops/backup/plan";

describe("backup/restore arguments and manifest (no engine)", () => {
  test("the stack's outputs name both volumes, containers and images; missing ones are listed", () => {
    const outputs = parseStackOutputs({
      prometheusVolume: "pv",
      grafanaVolume: "gv",
      prometheusContainer: "pc",
      grafanaContainer: "gc",
      prometheusImage: "prom/prometheus:v3.15.1",
      grafanaImage: "grafana/grafana:13.0.1",
      grafanaUrl: "http://127.0.0.1:3000",
    });
    const plan = planFromStack("dev", outputs);
    expect(plan.helperImage).toBe("prom/prometheus:v3.15.1");
    expect(plan.images).toEqual({ prometheus: "prom/prometheus:v3.15.1", grafana: "grafana/grafana:13.0.1" });
    expect(plan.volumes).toEqual([
      { name: "pv", role: "prometheus", containers: ["pc"] },
      { name: "gv", role: "grafana", containers: ["gc"] },
    ]);
    const withK6 = planFromStack(
      "dev",
      parseStackOutputs({ ...outputs, k6ResultsVolume: "kv" }),
      "local/img:1",
    );
    expect(withK6.helperImage).toBe("local/img:1");
    expect(withK6.volumes[2]).toEqual({ name: "kv", role: "data", containers: [] });
    const withAlertmanager = planFromStack(
      "dev",
      parseStackOutputs({ ...outputs, alertmanagerVolume: "av", alertmanagerContainer: "ac" }),
    );
    expect(withAlertmanager.volumes[2]).toEqual({ name: "av", role: "data", containers: ["ac"] });
    expect(() => parseStackOutputs({ prometheusVolume: "pv", grafanaVolume: "" })).toThrow(
      "stack outputs lack grafanaVolume, prometheusContainer, grafanaContainer, prometheusImage, grafanaImage",
    );
  });
});
