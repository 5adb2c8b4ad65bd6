// Part of the policy pack's rules (policy/rules.ts): imports only @pulumi/policy types and pure
// modules, no Node types (the Pulumi CLI runs the pack through ts-node without this tsconfig).
import type { ResourceValidation } from "@pulumi/policy";
import { CONTAINER_TYPE, PortBindConfig } from "./resources";
import { isLoopbackIp } from "../../model/net";

/**
 * The stack's loopback rule (model/net.ts) on a raw provider value: an empty or missing address
 * means 0.0.0.0 to Docker; the value is trimmed and may come in URL brackets.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) {
    return false;
  }
  return isLoopbackIp(address.trim().replace(/^\[(.*)\]$/, "$1"));
}

/**
 * Published ports must bind to loopback unless the policy config sets `allowNonLoopbackBind: true`
 * (the same switch the stack has; the policy cannot read stack config, so it is set for the policy
 * with `--policy-pack-config`). A port without `ip` binds 0.0.0.0; `networkMode: host` exposes every
 * container port on every host interface.
 */
export const validatePortBindLoopback: ResourceValidation = (args, reportViolation) => {
  if (args.type !== CONTAINER_TYPE) {
    return;
  }
  const { allowNonLoopbackBind } = args.getConfig<PortBindConfig>();
  if (allowNonLoopbackBind === true) {
    return;
  }
  const advice =
    "Bind to 127.0.0.1 (stack config bindAddress), or allow it explicitly: stack config " +
    "allowNonLoopbackBind=true and policy config allowNonLoopbackBind: true.";
  if (args.props.networkMode === "host") {
    reportViolation(
      `Container "${args.name}" uses networkMode "host", which exposes its ports on every host address. ${advice}`,
    );
  }
  const ports: unknown = args.props.ports;
  if (!Array.isArray(ports)) {
    return;
  }
  for (const port of ports as Array<Record<string, unknown>>) {
    const ip = typeof port.ip === "string" ? port.ip : undefined;
    if (!isLoopbackAddress(ip)) {
      const external =
        port.external === undefined ? "a random host port" : `host port ${String(port.external)}`;
      const where = ip ? `address ${ip}` : "all addresses (no ip means 0.0.0.0)";
      reportViolation(
        `Container "${args.name}" publishes port ${String(port.internal)} on ${external} at ${where}. ${advice}`,
      );
    }
  }
};
