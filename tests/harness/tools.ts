import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

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

let pending: Promise<Tools> | undefined;

/**
 * Runs tools/install-tools.sh (builds on the first run, then only prints the cached directory)
 * once per test worker. The script itself takes a lock, so parallel workers build once.
 */
export function installTools(): Promise<Tools> {
  pending ??= new Promise<Tools>((resolve, reject) => {
    execFile(
      "bash",
      [path.join(REPO_DIR, "tools/install-tools.sh")],
      { cwd: REPO_DIR, timeout: TOOLS_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`tools/install-tools.sh failed: ${err.message}\n${stderr.slice(-4000)}`));
          return;
        }
        const dir = stdout.trim().split("\n").pop() ?? "";
        const tools = {
          dir,
          prometheus: path.join(dir, "prometheus"),
          promtool: path.join(dir, "promtool"),
        };
        for (const bin of [tools.prometheus, tools.promtool]) {
          if (!fs.existsSync(bin)) {
            reject(new Error(`tools/install-tools.sh printed "${dir}" but ${bin} does not exist`));
            return;
          }
        }
        resolve(tools);
      },
    );
  });
  return pending;
}
