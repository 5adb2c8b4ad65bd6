// Part of the policy pack's rules (policy/rules.ts): imports only @pulumi/policy types and pure
// modules, no Node types (the Pulumi CLI runs the pack through ts-node without this tsconfig).
import type { ResourceValidation } from "@pulumi/policy";
import { VOLUME_TYPE, labelValue } from "./resources";
import { RETAIN_LABEL } from "../../model/labels";

/**
 * Every Docker volume of this stack holds data (the Prometheus TSDB, grafana.db) and must survive
 * `pulumi destroy` and replacements. The engine never sends `retainOnDelete` to policies, so the
 * rule accepts what it can see: the `k6obs.retain=true` label that the volume helper always sets
 * together with `retainOnDelete: true`, or `protect: true`.
 */
export const validateVolumeRetained: ResourceValidation = (args, reportViolation) => {
  if (args.type !== VOLUME_TYPE) {
    return;
  }
  if (args.opts.protect) {
    return;
  }
  const retain = labelValue(args.props.labels, RETAIN_LABEL);
  if (retain === "true") {
    return;
  }
  const name = typeof args.props.name === "string" ? args.props.name : args.name;
  const found = retain === undefined ? "has no such label" : `has ${RETAIN_LABEL}=${retain}`;
  reportViolation(
    `Volume "${name}" is not retained: it ${found} and is not protected, so \`pulumi destroy\` or a ` +
      `replacement would delete its data. Create it with the volume helper (label ${RETAIN_LABEL}=true ` +
      `plus retainOnDelete: true) or set protect: true.`,
  );
};
