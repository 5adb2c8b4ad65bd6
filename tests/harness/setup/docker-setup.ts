/**
 * jest globalSetup of the integration and e2e tiers: the tools (the Go builds side by side), the
 * Pulumi engine, Debian's docker.io and the suite's own Docker Engine, plus a snapshot of the
 * host's own Docker state for the teardown to compare. Runs once per run; a second call is a no-op.
 */
import type { Config } from "@jest/types";
import {
  installTools,
  installToolsInParallel,
  startSuiteEngine,
  startWorkerEngines,
  stopSuiteEngine,
} from "./prerequisites";
import { snapshotHostDocker } from "./host-docker";

export const SNAPSHOT_ENV = "K6OBS_SUITE_HOST_DOCKER";

export default async function setup(
  globalConfig: Config.GlobalConfig,
  project: Config.ProjectConfig,
): Promise<void> {
  // e2e stories run side by side, each on an engine of its own (its stacks' names are fixed).
  const workers = project.displayName?.name === "e2e" ? globalConfig.maxWorkers : 0;
  if (workers > 1 && process.env.K6OBS_E2E_DOCKER === "system") {
    throw new Error(
      "K6OBS_E2E_DOCKER=system runs every e2e story on one given engine, where their fixed stack names would meet: run them one at a time (--maxWorkers=1)",
    );
  }
  if (process.env[SNAPSHOT_ENV] !== undefined) {
    startWorkerEngines(workers);
    return;
  }
  process.env[SNAPSHOT_ENV] = JSON.stringify(snapshotHostDocker());
  const builds = installToolsInParallel(["prometheus", "alertmanager"]);
  try {
    installTools(["docker", "pulumi", "busybox"]);
    startSuiteEngine();
    startWorkerEngines(workers);
    await builds;
  } catch (e) {
    // jest runs no teardown after a failed setup: stop what this one started.
    await builds.catch(() => undefined);
    stopSuiteEngine();
    throw e;
  }
}
