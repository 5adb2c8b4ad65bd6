import * as docker from "@pulumi/docker";
import { stackLabelMap } from "./labels";

/** Prefix of every Docker object this project names. */
export const NAME_PREFIX = "k6obs";
/** Type token prefix of every component in this repo. */
export const PKG = "k6obs:stack";

/** Stack-scoped Docker name, e.g. `k6obs-dev-prometheus`. */
export function dockerName(stack: string, role: string): string {
  return `${NAME_PREFIX}-${stack}-${role}`;
}

/** Labels every Docker object of a stack carries (keys in labels.ts), in the provider's list shape. */
export function stackLabels(
  stack: string,
  role: string,
  extra: Record<string, string> = {},
): docker.types.input.ContainerLabel[] {
  return Object.entries(stackLabelMap(stack, role, extra)).map(([label, value]) => ({ label, value }));
}
