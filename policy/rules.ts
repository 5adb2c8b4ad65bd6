/**
 * Policy rules of the k6-observatory policy pack, kept apart from the PolicyPack construction
 * (policy/index.ts) because constructing a PolicyPack starts a gRPC server: tests import this
 * module and call the validation functions directly. One rule per file under rules/.
 *
 * This module imports types from @pulumi/policy and pure modules of components/ and model/,
 * nothing from Node: the Pulumi CLI runs the pack through ts-node with type checking and without
 * this repository's tsconfig, so Node's types are not available to it.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
// Shared with the program, so stack config validation and the policies apply the same rules.
import { unpinnedImageReason } from "../model/images";
import { RETAIN_LABEL } from "../model/labels";
import { validateCapabilitiesDropped } from "./rules/container-caps-dropped";
import { validateContainerLimits } from "./rules/container-limits";
import { validateLogRotation } from "./rules/container-log-rotation";
import { validateReadOnlyRootfs } from "./rules/container-readonly-rootfs";
import { validateContainerUnprivileged } from "./rules/container-unprivileged";
import { validateImagePinned } from "./rules/image-pinned";
import { validatePortBindLoopback } from "./rules/port-loopback";
import { validateVolumeRetained } from "./rules/volume-retained";

export { RETAIN_LABEL, unpinnedImageReason };
export { CONTAINER_TYPE, PortBindConfig, REMOTE_IMAGE_TYPE, VOLUME_TYPE } from "./rules/resources";
export { hasNoNewPrivileges, validateContainerUnprivileged } from "./rules/container-unprivileged";
export { dropsAllCapabilities, validateCapabilitiesDropped } from "./rules/container-caps-dropped";
export { validateContainerLimits } from "./rules/container-limits";
export { validateLogRotation } from "./rules/container-log-rotation";
export { validateReadOnlyRootfs } from "./rules/container-readonly-rootfs";
export { validateImagePinned } from "./rules/image-pinned";
export { isLoopbackAddress, validatePortBindLoopback } from "./rules/port-loopback";
export { validateVolumeRetained } from "./rules/volume-retained";

/** The pack's policies, all mandatory: a violation fails `pulumi preview` and `pulumi up`. */
export const policies: ResourceValidationPolicy[] = [
  {
    name: "k6obs-volume-retained",
    description:
      "Docker volumes hold the stack's data and must be retained (k6obs.retain=true label) or protected.",
    enforcementLevel: "mandatory",
    validateResource: validateVolumeRetained,
  },
  {
    name: "k6obs-image-pinned",
    description: "Images are pinned to an exact tag or digest; `latest` and untagged references are refused.",
    enforcementLevel: "mandatory",
    validateResource: validateImagePinned,
  },
  {
    name: "k6obs-port-loopback",
    description: "Published ports bind to loopback unless allowNonLoopbackBind is set in the policy config.",
    enforcementLevel: "mandatory",
    configSchema: {
      properties: {
        allowNonLoopbackBind: {
          type: "boolean",
          default: false,
          description:
            "Allow publishing ports on non-loopback addresses (mirror of the stack's allowNonLoopbackBind).",
        },
      },
    },
    validateResource: validatePortBindLoopback,
  },
  {
    name: "k6obs-container-unprivileged",
    description: "Containers never run privileged and always set no-new-privileges.",
    enforcementLevel: "mandatory",
    validateResource: validateContainerUnprivileged,
  },
  {
    name: "k6obs-container-caps-dropped",
    description: 'Containers drop every Linux capability (capabilities.drops: ["ALL"]).',
    enforcementLevel: "mandatory",
    validateResource: validateCapabilitiesDropped,
  },
  {
    name: "k6obs-container-limits",
    description: "Containers have a hard memory limit without extra swap and a process cap (nproc ulimit).",
    enforcementLevel: "mandatory",
    validateResource: validateContainerLimits,
  },
  {
    name: "k6obs-container-readonly-rootfs",
    description:
      "Containers run on a read-only root filesystem, unless they take provider uploads (Docker refuses docker cp into a read-only rootfs).",
    enforcementLevel: "mandatory",
    validateResource: validateReadOnlyRootfs,
  },
  {
    name: "k6obs-container-log-rotation",
    description: "json-file logs are rotated (logOpts max-size, max-file).",
    enforcementLevel: "mandatory",
    validateResource: validateLogRotation,
  },
];
