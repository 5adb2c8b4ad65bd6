// Part of the policy pack's rules (policy/rules.ts): imports only @pulumi/policy types and pure
// modules, no Node types (the Pulumi CLI runs the pack through ts-node without this tsconfig).
import type { ResourceValidation } from "@pulumi/policy";
import { CONTAINER_TYPE, readKnown } from "./resources";

/**
 * A container's root filesystem is read-only (`readOnly: true`; scratch paths on tmpfs, data on
 * volumes). The one exception is measured, not chosen: Docker refuses `docker cp` - the provider's
 * `uploads` - into a read-only root filesystem unless the target is on a volume or bind mount, and
 * a tmpfs is not mounted yet when the provider uploads (before start). So a container with
 * `uploads` may keep a writable root filesystem (Grafana's admin password file).
 */
export const validateReadOnlyRootfs: ResourceValidation = (args, reportViolation) => {
  if (args.type !== CONTAINER_TYPE) return;
  const props = args.props as Record<string, unknown>;
  if (props.readOnly === true) return;
  // An upload's content (a generated password) is unknown in a first preview; the list is not.
  const uploads = readKnown(() => (Array.isArray(props.uploads) ? props.uploads.length : 0));
  if (!uploads.known || uploads.value > 0) return;
  reportViolation(
    `Container "${args.name}" has a writable root filesystem (readOnly is ${JSON.stringify(props.readOnly ?? "unset")}). ` +
      "Set readOnly: true and put scratch paths on tmpfs (components/container-defaults.ts hardened()).",
  );
};
