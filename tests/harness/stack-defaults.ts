import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { REPO_DIR } from "./tools";

/**
 * A config default declared in Pulumi.yaml, the same value a stack gets when it does not set the
 * key, so the tests run with the stack's defaults instead of re-typed copies.
 */
export function stackDefault(key: string): string {
  const doc = YAML.parse(fs.readFileSync(path.join(REPO_DIR, "Pulumi.yaml"), "utf8")) as {
    config?: Record<string, { default?: unknown }>;
  };
  const value = doc.config?.[key]?.default;
  if (value === undefined || value === null || typeof value === "object") {
    throw new Error(`Pulumi.yaml declares no scalar default for config key "${key}"`);
  }
  return String(value);
}
