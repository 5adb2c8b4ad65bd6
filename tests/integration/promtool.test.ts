// promtool, at the pinned image's version, accepts the Prometheus config and rules the container
// reads: the committed files as rendered for the container, and the config with its rule files
// resolved on the host so that the rules are loaded through it.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { PROMETHEUS_IMAGE } from "../../model/images";
import { renderPrometheusConfig } from "../../model/prometheus";
import { RULES_DIR } from "../harness/prometheus";
import { REPO_DIR, TOOLS_TIMEOUT_MS, Tools, installTools } from "../harness/tools";

const run = promisify(execFile);
let tools: Tools;

beforeAll(async () => {
  tools = await installTools();
}, TOOLS_TIMEOUT_MS);

test("promtool is the pinned image's version", async () => {
  const { stdout } = await run(tools.promtool, ["--version"]);
  expect(stdout).toContain(`promtool, version ${PROMETHEUS_IMAGE.tag.replace(/^v/, "")} `);
});

test("promtool check config accepts the committed prometheus.yml", async () => {
  const file = path.join(REPO_DIR, "provisioning/prometheus/prometheus.yml");
  const { stdout } = await run(tools.promtool, ["check", "config", file]);
  expect(stdout).toContain(`SUCCESS: ${file} is valid prometheus config file syntax`);
});

test("promtool check config loads the repo's rule files through the config, and check rules accepts them", async () => {
  const rules = fs.readdirSync(RULES_DIR).filter((f) => f.endsWith(".yml"));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-promtool-"));
  try {
    const file = path.join(dir, "prometheus.yml");
    fs.writeFileSync(file, renderPrometheusConfig({ rulesDir: RULES_DIR }));
    const { stdout } = await run(tools.promtool, ["check", "config", file]);
    expect(stdout).toContain(`SUCCESS: ${file} is valid prometheus config file syntax`);
    expect(rules.length).toBeGreaterThan(0);
    expect(stdout).toContain(`SUCCESS: ${rules.length} rule files found`);
    const check = await run(tools.promtool, ["check", "rules", ...rules.map((r) => path.join(RULES_DIR, r))]);
    expect(check.stdout).toMatch(/SUCCESS: \d+ rules found/);
    expect(check.stdout).not.toContain("FAILED");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
