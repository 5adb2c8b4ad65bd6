/**
 * Label contract between the program, the policy pack and the ops tools (purge-data selects the
 * volumes it may delete by these labels; backup/restore recognises ownership labels by the
 * prefix). Pure (no imports): the policy pack runs under the Pulumi CLI's ts-node without Node's
 * types, so it can import this file but not the components that declare resources. Changing a
 * label key breaks existing volumes' contract: tests pin each literal.
 */

/** Label keys every Docker object of a stack may carry. */
export const LABEL = {
  /** The stack that owns the object: `docker ps --filter label=k6obs.stack=dev`. */
  stack: "k6obs.stack",
  /** What the object is in the stack (prometheus, grafana-data, ...). */
  role: "k6obs.role",
  /** Marks a volume as retained data; the policy pack reads it (policies never see retainOnDelete). */
  retain: "k6obs.retain",
  /** Whether a data volume was adopted by name (e.g. from docker-compose). */
  adopted: "k6obs.adopted",
  /** The k6 runner a k6 container is (k6Runners): `local` or an extra host's runner name. */
  runner: "k6obs.runner",
} as const;

/** Prefix of every label key this project sets. */
export const LABEL_PREFIX = "k6obs.";

/** The retain label key under the name the policy pack exports. */
export const RETAIN_LABEL = LABEL.retain;

/** The labels of one stack object as a plain map (the program converts it to the provider's list). */
export function stackLabelMap(
  stack: string,
  role: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { [LABEL.stack]: stack, [LABEL.role]: role, ...extra };
}
