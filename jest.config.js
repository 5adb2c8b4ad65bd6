/** @type {import('jest').Config} */
// Four tiers (docs/TESTING.md). Each tier's globalSetup installs what it needs through
// tools/install-tools.sh before its first test, so no test file relies on another having run.
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: false }];
const common = { testEnvironment: "node", transform: { "^.+\\.ts$": tsJest } };
module.exports = {
  reporters: ["default", "<rootDir>/tests/harness/summary-reporter.js"],
  projects: [
    {
      // In-process only: a test that starts a process or opens a socket fails (unit-guard.ts).
      ...common,
      displayName: "unit",
      testMatch: ["<rootDir>/tests/**/*.test.ts"],
      testPathIgnorePatterns: ["<rootDir>/tests/integration/", "<rootDir>/tests/e2e/", "\\.cli\\.test\\.ts$"],
      setupFilesAfterEnv: ["<rootDir>/tests/harness/unit-guard.ts"],
      // A bound for a mocks run of the whole program on 2 busy cores, not a speed assertion.
      testTimeout: 30_000,
    },
    {
      // Real processes on this machine, no Docker: the Pulumi CLI, tsc, the policy pack, the k6
      // emitter, shells and busybox, servers on loopback.
      ...common,
      displayName: "cli",
      testMatch: ["<rootDir>/tests/**/*.cli.test.ts"],
      testPathIgnorePatterns: ["<rootDir>/tests/integration/", "<rootDir>/tests/e2e/"],
      globalSetup: "<rootDir>/tests/harness/setup/cli-setup.ts",
      testTimeout: 60_000,
    },
    {
      ...common,
      displayName: "integration",
      testMatch: ["<rootDir>/tests/integration/**/*.test.ts"],
      globalSetup: "<rootDir>/tests/harness/setup/docker-setup.ts",
      globalTeardown: "<rootDir>/tests/harness/setup/docker-teardown.ts",
      // Real binaries and containers on 2 shared cores: jest's 5 s default is too tight for any of
      // them. Tests that run longer set their own bound.
      testTimeout: 60_000,
    },
    {
      // The project's own commands on a real Pulumi engine and Docker Engine (tests/e2e/README.md):
      // one ordered story per file, each test bounded by its own timeout.
      ...common,
      displayName: "e2e",
      testMatch: ["<rootDir>/tests/e2e/**/*.test.ts"],
      globalSetup: "<rootDir>/tests/harness/setup/docker-setup.ts",
      globalTeardown: "<rootDir>/tests/harness/setup/docker-teardown.ts",
      testTimeout: 15 * 60_000,
    },
  ],
};
