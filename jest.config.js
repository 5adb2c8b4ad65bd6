/** @type {import('jest').Config} */
/* global process */
// Four tiers (docs/TESTING.md). Each tier's globalSetup installs what it needs through
// tools/install-tools.sh before its first test, so no test file relies on another having run.
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: false }];
const common = {
  testEnvironment: "node",
  transform: { "^.+\\.ts$": tsJest },
  // Each tier's default bound per test (jest ignores a project's own testTimeout).
  setupFilesAfterEnv: ["<rootDir>/tests/harness/setup/tier-timeout.ts"],
};
module.exports = {
  // Two workers on this project's 2-core machines (jest's default would be one). e2e stories run
  // side by side on an engine each; on a given engine (K6OBS_E2E_DOCKER=system) they must not.
  maxWorkers: process.env.K6OBS_E2E_DOCKER === "system" ? 1 : 2,
  reporters: ["default", "<rootDir>/tests/harness/summary-reporter.js"],
  // StrykerJS's sandboxes (npm run test:mutation) hold copies of the repo.
  modulePathIgnorePatterns: ["<rootDir>/reports/"],
  projects: [
    {
      // In-process only: a test that starts a process or opens a socket fails (unit-guard.ts).
      ...common,
      displayName: "unit",
      testMatch: ["<rootDir>/tests/**/*.test.ts"],
      testPathIgnorePatterns: ["<rootDir>/tests/integration/", "<rootDir>/tests/e2e/", "\\.cli\\.test\\.ts$"],
      setupFilesAfterEnv: [...common.setupFilesAfterEnv, "<rootDir>/tests/harness/unit-guard.ts"],
    },
    {
      // Real processes on this machine, no Docker: the Pulumi CLI, tsc, the policy pack, the k6
      // emitter, shells and busybox, servers on loopback.
      ...common,
      displayName: "cli",
      testMatch: ["<rootDir>/tests/**/*.cli.test.ts"],
      testPathIgnorePatterns: ["<rootDir>/tests/integration/", "<rootDir>/tests/e2e/"],
      globalSetup: "<rootDir>/tests/harness/setup/cli-setup.ts",
    },
    {
      ...common,
      displayName: "integration",
      testMatch: ["<rootDir>/tests/integration/**/*.test.ts"],
      globalSetup: "<rootDir>/tests/harness/setup/docker-setup.ts",
      globalTeardown: "<rootDir>/tests/harness/setup/docker-teardown.ts",
    },
    {
      // The project's own commands on a real Pulumi engine and Docker Engine (tests/e2e/README.md):
      // one ordered story per file.
      ...common,
      displayName: "e2e",
      testMatch: ["<rootDir>/tests/e2e/**/*.test.ts"],
      globalSetup: "<rootDir>/tests/harness/setup/docker-setup.ts",
      globalTeardown: "<rootDir>/tests/harness/setup/docker-teardown.ts",
    },
  ],
};
