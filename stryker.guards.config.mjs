// The data guards and the secret redaction only (docs/TESTING.md, "Mutation testing"), judged by
// the unit tests of config/ and model/: the whole-program mock runs (tests/program, tests/components)
// cover these lines too but cost about a minute per mutant on 2 cores.
import { createRequire } from "node:module";

const base = createRequire(import.meta.url)("./stryker.config.json");

export default {
  ...base,
  mutate: [
    // Data guards: refuse a change that would lose data, and what they call.
    "config/changes.ts",
    "config/deployment.ts",
    "config/migration-backup.ts",
    "config/previous.ts",
    "model/retention.ts",
    "model/images.ts:147-174", // releaseVersion .. imageBaseName
    // Secret redaction: what messages show instead of a credential.
    "model/net.ts:92-98", // redactUrlCredentials
    "model/remote-write.ts:105-128", // redactRemoteWrite, redactUrl
    "model/remote-write.ts:222-235",
    "model/remote-write.ts:288-299", // hasRemoteWriteCredentials
    "config/parse.ts:49-61", // CREDENTIAL_NAME, urlWithCredentials
    "config/parse.ts:164-210", // k6Env / k6SecretEnv values never echoed
    "config/parse.ts:278-291", // grafanaRootUrl
    "config/parse.ts:364-376", // grafanaAdminPassword
    "config/parse.ts:408-420", // alertWebhookUrl
    "config/parse.ts:458-460",
    "config/parse.ts:486-495", // k6TargetUrl
    "config/parse.ts:506-512",
    "config/parse.ts:556-585",
    "config/parse.ts:630-645", // prometheusRemoteWrite
  ],
  jest: {
    ...base.jest,
    config: { testMatch: ["<rootDir>/tests/config/**/*.test.ts", "<rootDir>/tests/model/**/*.test.ts"] },
  },
  incrementalFile: "reports/stryker-incremental-guards.json",
  htmlReporter: { fileName: "reports/mutation/guards.html" },
  jsonReporter: { fileName: "reports/mutation/guards.json" },
};
