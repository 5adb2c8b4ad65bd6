// Part of the policy pack's rules (policy/rules.ts): imports only @pulumi/policy types and pure
// modules, no Node types (the Pulumi CLI runs the pack through ts-node without this tsconfig).
import type { ResourceValidation } from "@pulumi/policy";
import { CONTAINER_TYPE } from "./resources";

/** Whether a container's `capabilities.drops` drops every capability (`ALL`, any case, `CAP_` prefix allowed). */
export function dropsAllCapabilities(capabilities: unknown): boolean {
  const drops = (capabilities as { drops?: unknown } | undefined)?.drops;
  return Array.isArray(drops) && drops.some((d) => typeof d === "string" && /^(?:CAP_)?ALL$/i.test(d.trim()));
}

/**
 * A container drops every Linux capability (`capabilities: { drops: ["ALL"] }`); Docker's default
 * set (chown, setuid, net_raw, ...) is more than any service of the stack needs (they run as
 * non-root UIDs on ports above 1024). Adding capabilities back is refused by
 * k6obs-container-unprivileged.
 */
export const validateCapabilitiesDropped: ResourceValidation = (args, reportViolation) => {
  if (args.type !== CONTAINER_TYPE) return;
  const props = args.props as Record<string, unknown>;
  if (!dropsAllCapabilities(props.capabilities)) {
    reportViolation(
      `Container "${args.name}" keeps Docker's default capabilities (capabilities.drops is ` +
        `${JSON.stringify((props.capabilities as { drops?: unknown } | undefined)?.drops ?? "unset")}). ` +
        `Set capabilities: { drops: ["ALL"] } (components/container-defaults.ts hardened()).`,
    );
  }
};
