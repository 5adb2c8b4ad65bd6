/**
 * The fake Grafana seeded as the export tests expect it: two folders, three team dashboards (one in
 * the root folder) and a generated one, plus a fresh team directory to export into.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ExportOptions } from "../../../ops/dashboards-export/export";
import { uiDashboard } from "./fixtures";
import { FakeGrafana, PASSWORD, USER } from "./server";

/** Starts the seeded fake; `outDir` (not created yet) is below the new temporary `tmpRoot`. */
export async function startSeededGrafana(): Promise<{
  grafana: FakeGrafana;
  outDir: string;
  tmpRoot: string;
}> {
  const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-export-"));
  const outDir = path.join(tmpRoot, "team");
  const grafana = new FakeGrafana();
  grafana.addFolder("fA1b2", "Load Tests");
  grafana.addFolder("fC3d4", "SRE on-call");
  grafana.save("team-http", uiDashboard("HTTP overview"), "fA1b2");
  grafana.save("team-slo", uiDashboard("SLOs"), "fC3d4");
  grafana.save("home-ops", uiDashboard("Ops home")); // root folder ("General")
  grafana.save("k6obs-k6-stats", uiDashboard("k6 (generated)"), "fA1b2");
  await grafana.start();
  return { grafana, outDir, tmpRoot };
}

/** Stops the fake and removes `tmpRoot`. */
export async function stopSeededGrafana(grafana: FakeGrafana, tmpRoot: string): Promise<void> {
  await grafana.stop();
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}

/** Every file below dir with its content and mtime. */
export function snapshotDir(dir: string): Map<string, { content: string; mtimeMs: number }> {
  const files = new Map<string, { content: string; mtimeMs: number }>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isDirectory()) continue;
    const abs = path.join(entry.parentPath, entry.name);
    const rel = path.relative(dir, abs).split(path.sep).join("/");
    files.set(rel, { content: fs.readFileSync(abs, "utf8"), mtimeMs: fs.statSync(abs).mtimeMs });
  }
  return files;
}

/**
 * Registers jest hooks that start a seeded fake and a fresh team directory before each test and
 * remove them after it; `onStart` receives both. Returns the export options pointing at them and a
 * snapshot of the team directory.
 */
export function useSeededGrafana(onStart: (grafana: FakeGrafana, outDir: string) => void): {
  options: (extra?: Partial<ExportOptions>) => ExportOptions;
  snapshot: () => Map<string, { content: string; mtimeMs: number }>;
} {
  let current: { grafana: FakeGrafana; outDir: string; tmpRoot: string } | undefined;
  const started = (): { grafana: FakeGrafana; outDir: string } => {
    if (current === undefined) throw new Error("the seeded Grafana runs only inside a test");
    return current;
  };
  beforeEach(async () => {
    current = await startSeededGrafana();
    onStart(current.grafana, current.outDir);
  });
  afterEach(async () => {
    if (current !== undefined) await stopSeededGrafana(current.grafana, current.tmpRoot);
    current = undefined;
  });
  return {
    options: (extra = {}) => ({
      connection: { url: started().grafana.url, user: USER, password: PASSWORD },
      outDir: started().outDir,
      ...extra,
    }),
    snapshot: () => snapshotDir(started().outDir),
  };
}
