// Part of the policy pack's rules (policy/rules.ts): imports only @pulumi/policy types and pure
// modules, no Node types (the Pulumi CLI runs the pack through ts-node without this tsconfig).

/** Resource type tokens of the Docker provider resources the policies look at. */
export const VOLUME_TYPE = "docker:index/volume:Volume";
export const REMOTE_IMAGE_TYPE = "docker:index/remoteImage:RemoteImage";
export const CONTAINER_TYPE = "docker:index/container:Container";

/** Policy configuration of {@link portBindLoopback}, set with `--policy-pack-config`. */
export interface PortBindConfig {
  /** Allow host ports on non-loopback addresses (the stack's own allowNonLoopbackBind, mirrored). */
  readonly allowNonLoopbackBind?: boolean;
}

/**
 * Runs `read` and tells whether the value it reads is unknown during preview. @pulumi/policy wraps
 * resource inputs in a proxy that throws `UnknownValueError` on reading a value that is only known
 * after apply (e.g. a container's `image` set from `RemoteImage.imageId`); that class is internal to
 * the SDK, so it is recognised by name.
 */
export function readKnown<T>(read: () => T): { known: true; value: T } | { known: false } {
  try {
    return { known: true, value: read() };
  } catch (err) {
    if (err instanceof Error && err.constructor.name === "UnknownValueError") {
      return { known: false };
    }
    throw err;
  }
}

/** Docker labels as the provider takes them (`[{label, value}]`), or as a plain map. */
export function labelValue(labels: unknown, key: string): string | undefined {
  if (Array.isArray(labels)) {
    for (const entry of labels) {
      if (entry && typeof entry === "object" && (entry as { label?: unknown }).label === key) {
        const value = (entry as { value?: unknown }).value;
        return typeof value === "string" ? value : undefined;
      }
    }
    return undefined;
  }
  if (labels && typeof labels === "object") {
    const value = (labels as Record<string, unknown>)[key];
    return typeof value === "string" ? value : undefined;
  }
  return undefined;
}
