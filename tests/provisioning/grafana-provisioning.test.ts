// The hand-written Grafana provisioning files repeat facts the code owns: the datasource's uid and
// URL, and the dashboard directories the program mounts. They cannot import TypeScript, so this
// checks their literals against the one home of each fact.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { GRAFANA_DASHBOARDS_DIR, GRAFANA_DATASOURCE } from "../../model/grafana";
import { PROMETHEUS_ALIAS, PROMETHEUS_INTERNAL_PORT } from "../../model/prometheus";
import { REPO_ROOT, runProgram } from "../harness/program";

const read = (rel: string): unknown =>
  YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "provisioning/grafana/provisioning", rel), "utf8"));

test("the datasource file provisions the uid and the Prometheus URL the code uses", () => {
  const doc = read("datasources/prometheus.yaml") as {
    datasources: { uid: string; type: string; url: string }[];
  };
  expect(doc.datasources).toHaveLength(1);
  expect(doc.datasources[0]).toMatchObject({
    uid: GRAFANA_DATASOURCE.uid,
    type: GRAFANA_DATASOURCE.type,
    url: `http://${PROMETHEUS_ALIAS}:${PROMETHEUS_INTERNAL_PORT}`,
  });
});

test("every dashboard provider reads a directory the program mounts into Grafana", async () => {
  const doc = read("dashboards/providers.yaml") as { providers: { options: { path: string } }[] };
  const run = await runProgram();
  const mounts = (run.one("Container", "grafana-container").inputs.mounts as { target: string }[]).map(
    (m) => m.target,
  );
  for (const p of doc.providers) {
    expect(p.options.path.startsWith(`${GRAFANA_DASHBOARDS_DIR}/`)).toBe(true);
    expect(mounts).toContain(p.options.path);
  }
});
