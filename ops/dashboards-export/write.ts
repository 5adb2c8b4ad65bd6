/** What the export does to disk: reading the dashboard files there, applying a plan. */
import * as fs from "fs";
import * as path from "path";
import { isObject } from "../lib/json";
import { MANIFEST_FILE, formatManifest } from "./manifest";
import { ExistingFile, ExportPlan } from "./plan";

/** Dashboard files (`*.json`, hidden entries skipped as Grafana skips them) below dir. */
export function readExistingFiles(dir: string): ExistingFile[] {
  if (!fs.existsSync(dir)) {
    return [];
  }
  const files: ExistingFile[] = [];
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const relPath = path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join("/");
    // A hidden directory hides everything below it, as it did for Grafana's provider.
    if (
      !entry.isFile() ||
      !entry.name.endsWith(".json") ||
      relPath.split("/").some((s) => s.startsWith("."))
    ) {
      continue;
    }
    const content = fs.readFileSync(path.join(dir, relPath), "utf8");
    let uid: string | undefined;
    try {
      const parsed: unknown = JSON.parse(content);
      uid = isObject(parsed) && typeof parsed.uid === "string" ? parsed.uid : undefined;
    } catch {
      uid = undefined;
    }
    files.push({ relPath, content, ...(uid !== undefined ? { uid } : {}) });
  }
  return files.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
}

/** Writes a plan's files (each through a temporary file and rename) and the manifest if it changed. */
export function applyPlan(
  dir: string,
  plan: ExportPlan,
  previousManifestText: string,
): { manifestWritten: boolean } {
  for (const write of plan.writes) {
    const target = path.join(dir, write.relPath);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, write.content);
    fs.renameSync(tmp, target);
  }
  for (const relPath of plan.removals) {
    fs.rmSync(path.join(dir, relPath), { force: true });
    const parent = path.dirname(path.join(dir, relPath));
    if (parent !== path.resolve(dir) && fs.existsSync(parent) && fs.readdirSync(parent).length === 0) {
      fs.rmdirSync(parent);
    }
  }
  const manifestText = formatManifest(plan.manifest);
  if (manifestText === previousManifestText) {
    return { manifestWritten: false };
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), manifestText);
  return { manifestWritten: true };
}
