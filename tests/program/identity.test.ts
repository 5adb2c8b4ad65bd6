// Resource identity: the type tokens, logical names (URNs), parents and Docker names the program
// declares. A move or rename that changed any of these would replace resources on the next `up`
// (a volume's Docker name would even point at a new, empty volume). Refactors must keep this list.
import { runProgram } from "../harness/program";

async function identity(config: Record<string, string>, stack: string): Promise<string[]> {
  const run = await runProgram(config, stack);
  return run.resources.map((r) => {
    const docker =
      typeof r.inputs.name === "string" && r.type.startsWith("docker:") ? ` docker=${r.inputs.name}` : "";
    const parent = r.opts.parent ? ` parent=${r.opts.parent.split("::").pop()}` : "";
    return `${r.type} ${r.name}${parent}${docker}`;
  });
}

test("the dev stack's resources keep their types, names, parents and Docker names", async () => {
  expect(await identity({}, "dev")).toMatchInlineSnapshot(`
   [
     "pulumi:pulumi:StackReference last-deployment",
     "k6obs:stack:Observatory k6obs",
     "k6obs:stack:DataVolumes k6obs-data parent=k6obs",
     "docker:index/volume:Volume k6obs-data-prometheus parent=k6obs-data docker=k6obs-dev-prometheus-data",
     "docker:index/volume:Volume k6obs-data-grafana parent=k6obs-data docker=k6obs-dev-grafana-data",
     "docker:index/volume:Volume k6obs-data-k6-results parent=k6obs-data docker=k6obs-dev-k6-results",
     "docker:index/volume:Volume k6obs-data-alertmanager parent=k6obs-data docker=k6obs-dev-alertmanager-data",
     "docker:index/network:Network k6obs-network parent=k6obs docker=k6obs-dev-net",
     "random:index/randomPassword:RandomPassword k6obs-prometheus-password parent=k6obs",
     "k6obs:stack:Prometheus k6obs-prometheus parent=k6obs",
     "docker:index/remoteImage:RemoteImage k6obs-prometheus-image parent=k6obs-prometheus docker=prom/prometheus:v3.15.1",
     "docker:index/container:Container k6obs-prometheus-container parent=k6obs-prometheus docker=k6obs-dev-prometheus",
     "docker:index/container:Container k6obs-prometheus-reload parent=k6obs-prometheus docker=k6obs-dev-prometheus-reload",
     "k6obs:stack:Alertmanager k6obs-alertmanager parent=k6obs",
     "docker:index/remoteImage:RemoteImage k6obs-alertmanager-image parent=k6obs-alertmanager docker=prom/alertmanager:v0.35.0",
     "docker:index/container:Container k6obs-alertmanager-container parent=k6obs-alertmanager docker=k6obs-dev-alertmanager",
     "random:index/randomPassword:RandomPassword k6obs-grafana-admin-password parent=k6obs",
     "k6obs:stack:Grafana k6obs-grafana parent=k6obs",
     "docker:index/remoteImage:RemoteImage k6obs-grafana-image parent=k6obs-grafana docker=grafana/grafana:13.0.1",
     "docker:index/container:Container k6obs-grafana-container parent=k6obs-grafana docker=k6obs-dev-grafana",
     "k6obs:stack:K6Run k6obs-k6 parent=k6obs",
     "docker:index/remoteImage:RemoteImage k6obs-k6-image parent=k6obs-k6 docker=grafana/k6:1.8.1",
     "random:index/randomString:RandomString k6obs-k6-run-id parent=k6obs-k6",
     "docker:index/container:Container k6obs-k6-container parent=k6obs-k6 docker=k6obs-dev-k6",
   ]
  `);
});

test("a stack without k6 and with a given password declares the same names minus k6 and the generator", async () => {
  expect(
    await identity(
      { k6Enabled: "false", grafanaAdminPassword: "a-long-enough-password", protectVolumes: "true" },
      "prod",
    ),
  ).toMatchInlineSnapshot(`
   [
     "pulumi:pulumi:StackReference last-deployment",
     "k6obs:stack:Observatory k6obs",
     "k6obs:stack:DataVolumes k6obs-data parent=k6obs",
     "docker:index/volume:Volume k6obs-data-prometheus parent=k6obs-data docker=k6obs-prod-prometheus-data",
     "docker:index/volume:Volume k6obs-data-grafana parent=k6obs-data docker=k6obs-prod-grafana-data",
     "docker:index/volume:Volume k6obs-data-k6-results parent=k6obs-data docker=k6obs-prod-k6-results",
     "docker:index/volume:Volume k6obs-data-alertmanager parent=k6obs-data docker=k6obs-prod-alertmanager-data",
     "docker:index/network:Network k6obs-network parent=k6obs docker=k6obs-prod-net",
     "random:index/randomPassword:RandomPassword k6obs-prometheus-password parent=k6obs",
     "k6obs:stack:Prometheus k6obs-prometheus parent=k6obs",
     "docker:index/remoteImage:RemoteImage k6obs-prometheus-image parent=k6obs-prometheus docker=prom/prometheus:v3.15.1",
     "docker:index/container:Container k6obs-prometheus-container parent=k6obs-prometheus docker=k6obs-prod-prometheus",
     "docker:index/container:Container k6obs-prometheus-reload parent=k6obs-prometheus docker=k6obs-prod-prometheus-reload",
     "k6obs:stack:Alertmanager k6obs-alertmanager parent=k6obs",
     "docker:index/remoteImage:RemoteImage k6obs-alertmanager-image parent=k6obs-alertmanager docker=prom/alertmanager:v0.35.0",
     "docker:index/container:Container k6obs-alertmanager-container parent=k6obs-alertmanager docker=k6obs-prod-alertmanager",
     "k6obs:stack:Grafana k6obs-grafana parent=k6obs",
     "docker:index/remoteImage:RemoteImage k6obs-grafana-image parent=k6obs-grafana docker=grafana/grafana:13.0.1",
     "docker:index/container:Container k6obs-grafana-container parent=k6obs-grafana docker=k6obs-prod-grafana",
   ]
  `);
});
