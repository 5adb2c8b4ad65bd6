/**
 * jest globalTeardown of the integration and e2e tiers: stops the suite's engine when this run
 * started it, then fails the run if the host's own Docker state is not as the setup found it.
 */
import { SNAPSHOT_ENV } from "./docker-setup";
import { HostDocker, hostDockerChanges, snapshotHostDocker } from "./host-docker";
import { stopSuiteEngine } from "./prerequisites";

export default function teardown(): void {
  const before = process.env[SNAPSHOT_ENV];
  if (before === undefined) return;
  delete process.env[SNAPSHOT_ENV];
  stopSuiteEngine();
  const changes = hostDockerChanges(JSON.parse(before) as HostDocker, snapshotHostDocker());
  if (changes.length > 0) {
    throw new Error(
      `the test suite left the host's Docker state changed (it must leave it as it found it):\n  ${changes.join("\n  ")}`,
    );
  }
}
