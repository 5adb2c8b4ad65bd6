import * as path from "node:path";
import { installTools as installPrerequisites } from "./setup/prerequisites";

/** Repository root. */
export const REPO_DIR = path.resolve(__dirname, "../..");

/**
 * Bound of the first-run build of Prometheus + promtool through the Go proxy (about 8 minutes on 2
 * cores with an empty Go cache; a cached run takes about a second).
 */
export const TOOLS_TIMEOUT_MS = 30 * 60_000;

/** Paths of the binaries built by tools/install-tools.sh at the pinned images' versions. */
export interface Tools {
  readonly dir: string;
  readonly prometheus: string;
  readonly promtool: string;
}

/** Prometheus and promtool from tools/install-tools.sh (built on the first run, then only found). */
export function installTools(): Promise<Tools> {
  try {
    const dir = installPrerequisites(["prometheus"]).prometheus;
    return Promise.resolve({
      dir,
      prometheus: path.join(dir, "prometheus"),
      promtool: path.join(dir, "promtool"),
    });
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}
