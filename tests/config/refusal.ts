/** What the bad-input tests share: the config checks run once, and one refusal with its fragments. */
import { ConfigError, ConfigKey, ObservatoryConfig, parseConfig } from "../../config";
import { REPO_ROOT } from "../harness/program";

export type Values = Partial<Record<ConfigKey, string>>;

export const parse = (values: Values, stack = "dev", repoRoot = REPO_ROOT): ObservatoryConfig =>
  parseConfig((k) => values[k], { stack, repoRoot });

export function problemsOf(values: Values, stack = "dev", repoRoot = REPO_ROOT): string[] {
  try {
    parse(values, stack, repoRoot);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error(`config ${JSON.stringify(values)} was accepted`);
}

/** Exactly one problem, containing every fragment and none of the forbidden ones. */
export function expectRefused(problems: string[], fragments: string[], forbidden: string[] = []): void {
  expect(problems).toHaveLength(1);
  for (const f of fragments) expect(problems[0]).toContain(f);
  for (const f of forbidden) expect(problems[0]).not.toContain(f);
}

export const K = (key: ConfigKey) => `k6-observatory:${key}`;
export const PORT_ALLOWED = "a whole number from 1024 to 65535";
export const SELF = "there is the k6 container itself - use host.docker.internal";
export const HEX64 = "a".repeat(64);
export const PINNED = "an image pinned as repo:x.y.z or repo:tag@sha256:<64 hex>";
