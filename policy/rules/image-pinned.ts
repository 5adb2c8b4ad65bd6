// Part of the policy pack's rules (policy/rules.ts): imports only @pulumi/policy types and pure
// modules, no Node types (the Pulumi CLI runs the pack through ts-node without this tsconfig).
import type { ResourceValidation } from "@pulumi/policy";
import { REMOTE_IMAGE_TYPE, CONTAINER_TYPE, readKnown } from "./resources";
import { unpinnedImageReason } from "../../model/images";

const PIN_ADVICE =
  "Pin an exact release tag (e.g. prom/prometheus:v3.15.1), optionally with @sha256:<digest>.";

/**
 * RemoteImage `name` must be pinned; a container's `image` must be pinned when it is a literal
 * reference. A container normally takes `RemoteImage.imageId`, unknown during a first preview: then
 * the RemoteImage it comes from is the resource this rule checks.
 */
export const validateImagePinned: ResourceValidation = (args, reportViolation) => {
  if (args.type === REMOTE_IMAGE_TYPE) {
    const name: unknown = args.props.name;
    if (typeof name !== "string") {
      reportViolation(`RemoteImage "${args.name}" has no image name. ${PIN_ADVICE}`);
      return;
    }
    const reason = unpinnedImageReason(name);
    if (reason) {
      reportViolation(`RemoteImage "${args.name}" image "${name}" ${reason}. ${PIN_ADVICE}`);
    }
    return;
  }
  if (args.type === CONTAINER_TYPE) {
    const image = readKnown(() => args.props.image as unknown);
    if (!image.known || typeof image.value !== "string") {
      return;
    }
    const reason = unpinnedImageReason(image.value);
    if (reason) {
      reportViolation(
        `Container "${args.name}" image "${image.value}" ${reason}. Point the container at a ` +
          `pinned RemoteImage's imageId. ${PIN_ADVICE}`,
      );
    }
  }
};
