/** @type {import('jest').Config} */
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: false }];
module.exports = {
  reporters: ["default", "<rootDir>/tests/helpers/summary-reporter.js"],
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/tests/**/*.test.ts"],
      testPathIgnorePatterns: ["<rootDir>/tests/integration/"],
    },
    {
      displayName: "integration",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/tests/integration/**/*.test.ts"],
    },
  ],
};
