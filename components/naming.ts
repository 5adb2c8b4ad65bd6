import * as docker from "@pulumi/docker";

/** Prefix of every Docker object this project names. */
export const NAME_PREFIX = "k6obs";
/** Type token prefix of every component in this repo. */
export const PKG = "k6obs:stack";

/** Stack-scoped Docker name, e.g. `k6obs-dev-prometheus`. */
export function dockerName(stack: string, role: string): string {
  return `${NAME_PREFIX}-${stack}-${role}`;
}

/** Labels every Docker object of a stack carries; `docker ps --filter label=k6obs.stack=dev` finds them. */
export function stackLabels(
  stack: string,
  role: string,
  extra: Record<string, string> = {},
): docker.types.input.ContainerLabel[] {
  const labels: Record<string, string> = { "k6obs.stack": stack, "k6obs.role": role, ...extra };
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}
