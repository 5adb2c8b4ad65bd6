/** @type {import('jest').Config} */
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: false }];
module.exports = {
  reporters: ["default", "<rootDir>/tests/harness/summary-reporter.js"],
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/tests/**/*.test.ts"],
      testPathIgnorePatterns: ["<rootDir>/tests/integration/", "<rootDir>/tests/e2e/"],
    },
    {
      displayName: "integration",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/tests/integration/**/*.test.ts"],
      // Real binaries and containers on 2 shared cores: jest's 5 s default is too tight for any of
      // them. Tests that run longer set their own bound.
      testTimeout: 60_000,
    },
    {
      // The project's own commands on a real Pulumi engine and Docker Engine (tests/e2e/README.md):
      // one ordered story per file, each test bounded by its own timeout.
      displayName: "e2e",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/tests/e2e/**/*.test.ts"],
      testTimeout: 15 * 60_000,
    },
  ],
};
