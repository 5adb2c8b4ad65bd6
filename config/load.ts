import * as pulumi from "@pulumi/pulumi";
import { parseConfig } from "./parse";
import { CONFIG_NAMESPACE, ObservatoryConfig } from "./schema";

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
    // The provider's own precedence: docker:host, then DOCKER_HOST, then the local socket.
    localDockerHost: new pulumi.Config("docker").get("host") ?? process.env.DOCKER_HOST,
  });
}
