import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { parseConfig } from "./parse";
import { CONFIG_NAMESPACE, ConfigKey, ObservatoryConfig } from "./schema";

/**
 * Entries of an object key stored in plaintext in a stack file. The engine marks an object secret
 * when any one entry is (`config set --secret --path k.A` then `config set --path k.B`), so only
 * the file tells that B is plaintext. Undefined when the file or the key is not there (another
 * config source, e.g. `--config-file`): nothing can be told then.
 */
export function plaintextEntriesIn(stackFile: string): (key: ConfigKey) => string[] | undefined {
  let doc: unknown;
  try {
    doc = parseYaml(fs.readFileSync(stackFile, "utf8"));
  } catch {
    return () => undefined;
  }
  const config = (doc as { config?: Record<string, unknown> } | null)?.config ?? {};
  const isSecure = (v: unknown) => typeof v === "object" && v !== null && "secure" in v;
  return (key) => {
    const value = config[`${CONFIG_NAMESPACE}:${key}`];
    if (typeof value !== "object" || value === null || Array.isArray(value) || isSecure(value))
      return undefined;
    return Object.entries(value)
      .filter(([, v]) => !isSecure(v))
      .map(([name]) => name);
  };
}

/** Reads and validates the current stack's config; throws {@link ConfigError} before anything is declared. */
export function loadConfig(repoRoot: string): ObservatoryConfig {
  // Config.get returns the raw string (objects as JSON, secrets decrypted) without Pulumi's own
  // typed parsing, so every message about a value comes from parseConfig.
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  // isConfigSecret is not in the SDK's typings; without it the plaintext check is skipped.
  const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret?: (fullKey: string) => boolean })
    .isConfigSecret;
  return parseConfig((key) => config.get(key), {
    stack: pulumi.getStack(),
    repoRoot,
    isSecret: isConfigSecret ? (key) => isConfigSecret(`${CONFIG_NAMESPACE}:${key}`) : undefined,
    plaintextEntries: plaintextEntriesIn(path.join(repoRoot, `Pulumi.${pulumi.getStack()}.yaml`)),
    // The provider's own precedence: docker:host, then DOCKER_HOST, then the local socket.
    localDockerHost: new pulumi.Config("docker").get("host") ?? process.env.DOCKER_HOST,
  });
}
