// Part of the policy pack's rules (policy/rules.ts): imports only @pulumi/policy types and pure
// modules, no Node types (the Pulumi CLI runs the pack through ts-node without this tsconfig).
import type { ResourceValidation } from "@pulumi/policy";
import { CONTAINER_TYPE } from "./resources";

/** Docker accepts `no-new-privileges`, `no-new-privileges:true` and `no-new-privileges=true`. */
export function hasNoNewPrivileges(securityOpts: unknown): boolean {
  return (
    Array.isArray(securityOpts) &&
    securityOpts.some((opt) => typeof opt === "string" && /^no-new-privileges(?:[:=]true)?$/.test(opt.trim()))
  );
}

/** A container must not be privileged and must set `no-new-privileges` in securityOpts. */
export const validateContainerUnprivileged: ResourceValidation = (args, reportViolation) => {
  if (args.type !== CONTAINER_TYPE) {
    return;
  }
  if (args.props.privileged === true) {
    reportViolation(
      `Container "${args.name}" runs privileged (full access to the host's devices). Remove privileged: true.`,
    );
  }
  if (!hasNoNewPrivileges(args.props.securityOpts)) {
    reportViolation(
      `Container "${args.name}" does not set no-new-privileges, so its processes can gain privileges ` +
        `through setuid binaries. Add securityOpts: ["no-new-privileges:true"].`,
    );
  }
};
