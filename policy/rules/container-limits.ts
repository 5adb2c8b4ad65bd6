// Part of the policy pack's rules (policy/rules.ts): imports only @pulumi/policy types and pure
// modules, no Node types (the Pulumi CLI runs the pack through ts-node without this tsconfig).
import type { ResourceValidation } from "@pulumi/policy";
import { CONTAINER_TYPE } from "./resources";

/** The `nproc` ulimit of a container's `ulimits` (`[{name, soft, hard}]`), or undefined. */
function nprocLimit(ulimits: unknown): { soft: number; hard: number } | undefined {
  if (!Array.isArray(ulimits)) return undefined;
  const u = ulimits.find((x) => (x as { name?: unknown } | null)?.name === "nproc") as
    { soft?: unknown; hard?: unknown } | undefined;
  return u && typeof u.soft === "number" && typeof u.hard === "number"
    ? { soft: u.soft, hard: u.hard }
    : undefined;
}

/**
 * A container has a hard memory limit (`memory` in MiB, > 0) with no swap on top (`memorySwap`
 * equal to it, when set), and a process cap: the pinned Docker provider has no `pidsLimit`, so the
 * cap is the `nproc` ulimit (> 0). One runaway service then cannot take the host's memory or PIDs.
 */
export const validateContainerLimits: ResourceValidation = (args, reportViolation) => {
  if (args.type !== CONTAINER_TYPE) return;
  const props = args.props as Record<string, unknown>;
  const report = (what: string): void => reportViolation(`Container "${args.name}" ${what}.`);
  const memory = props.memory;
  if (typeof memory !== "number" || memory <= 0) {
    report(
      `has no memory limit (memory is ${JSON.stringify(memory ?? "unset")}); set memory in MiB ` +
        `(components/container-defaults.ts hardened(), config keys *MemoryLimit)`,
    );
  } else if (props.memorySwap !== undefined && props.memorySwap !== memory) {
    report(
      `may swap beyond its memory limit (memorySwap ${JSON.stringify(props.memorySwap)} != memory ${memory}); ` +
        "set memorySwap equal to memory",
    );
  }
  const nproc = nprocLimit(props.ulimits);
  if (!nproc || nproc.hard <= 0 || nproc.soft <= 0 || nproc.soft > nproc.hard) {
    report(
      `has no process cap; add ulimits: [{ name: "nproc", soft: N, hard: N }] with N > 0 ` +
        "(the Docker provider has no pidsLimit)",
    );
  }
};
