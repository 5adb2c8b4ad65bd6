// Writes the generated provisioning files: Grafana dashboards (dashboards), Prometheus'
// config (model/prometheus.ts) and recording rules. `npm run provisioning:build`;
// tests/provisioning.test.ts fails when the committed files differ from what this produces.
import * as fs from "node:fs";
import * as path from "node:path";
import { allDashboards, dashboardFolderDir, renderDashboard } from "../dashboards";
import { TREND_MODES } from "../model/trend-mode";
import { renderPrometheusConfig, renderPrometheusRules } from "../model/prometheus";

/** Directories whose every file is generated; files the builders no longer produce are deleted. */
export const GENERATED_DIRS: readonly string[] = [
  dashboardFolderDir("common"),
  ...TREND_MODES.map(dashboardFolderDir),
  "provisioning/prometheus/rules",
];

/** Every generated file: repo-relative path → content. */
export function provisioningFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const d of allDashboards()) {
    files.set(`${dashboardFolderDir(d.folder)}/${d.fileName}`, renderDashboard(d.dashboard));
  }
  files.set("provisioning/prometheus/prometheus.yml", renderPrometheusConfig());
  for (const [name, text] of renderPrometheusRules()) {
    files.set(`provisioning/prometheus/rules/${name}`, text);
  }
  return files;
}

/** Files in the generated directories that the builders do not produce (repo-relative). */
export function staleFiles(repoDir: string, files: Map<string, string>): string[] {
  const stale: string[] = [];
  for (const dir of GENERATED_DIRS) {
    const abs = path.join(repoDir, dir);
    if (!fs.existsSync(abs)) {
      continue;
    }
    for (const name of fs.readdirSync(abs)) {
      const rel = `${dir}/${name}`;
      if (!files.has(rel)) {
        stale.push(rel);
      }
    }
  }
  return stale;
}

function main(): void {
  const repoDir = path.resolve(__dirname, "..");
  const files = provisioningFiles();
  for (const rel of staleFiles(repoDir, files)) {
    fs.rmSync(path.join(repoDir, rel));
    console.log(`removed ${rel}`);
  }
  for (const [rel, text] of files) {
    const abs = path.join(repoDir, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    const old = fs.existsSync(abs) ? fs.readFileSync(abs, "utf8") : undefined;
    if (old !== text) {
      fs.writeFileSync(abs, text);
      console.log(`wrote ${rel}`);
    }
  }
}

if (require.main === module) {
  main();
}
