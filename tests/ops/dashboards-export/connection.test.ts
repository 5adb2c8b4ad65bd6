import { resolveConnection } from "../../../ops/dashboards-export/connection";

describe("resolveConnection", () => {
  const outputs = {
    grafanaUrl: "http://127.0.0.1:3000",
    grafanaAdminUser: "admin",
    grafanaAdminPassword: "from-stack",
  };

  it("prefers flags, then environment, then stack outputs", () => {
    expect(resolveConnection({ user: "flag-user" }, { GRAFANA_PASSWORD: "env-pw" }, () => outputs)).toEqual({
      url: "http://127.0.0.1:3000",
      user: "flag-user",
      password: "env-pw",
    });
  });

  it("does not ask the stack when everything is given", () => {
    const readOutputs = jest.fn(() => outputs);
    resolveConnection({ url: "http://h:1", user: "u", password: "p" }, {}, readOutputs);
    resolveConnection(
      {},
      { GRAFANA_URL: "http://h:1", GRAFANA_USER: "u", GRAFANA_PASSWORD: "p" },
      readOutputs,
    );
    expect(readOutputs).not.toHaveBeenCalled();
  });

  it("says which settings to pass when the stack outputs cannot be read", () => {
    expect(() =>
      resolveConnection({ url: "http://h:1" }, {}, () => {
        throw new Error(
          "Could not read the stack outputs with `bash ops/pulumi/pulumi.sh stack output --json --show-secrets`.",
        );
      }),
    ).toThrow(
      /Could not read the stack outputs[\s\S]*Pass --user, --password \(or GRAFANA_URL, GRAFANA_USER, GRAFANA_PASSWORD\)/,
    );
  });
});
