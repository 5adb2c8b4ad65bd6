// Part of the policy pack's rules (policy/rules.ts): imports only @pulumi/policy types and pure
// modules, no Node types (the Pulumi CLI runs the pack through ts-node without this tsconfig).
import type { ResourceValidation } from "@pulumi/policy";
import { CONTAINER_TYPE } from "./resources";

/** Docker's size syntax for json-file's max-size: a positive number with an optional k, m or g. */
const SIZE = /^[1-9]\d*[kmg]?$/i;

/**
 * A container's logs are rotated. Docker's default json-file driver keeps every line forever
 * unless `logOpts` sets `max-size` (and `max-file`, default 1); a chatty or crash-looping
 * container then fills the host's disk. Other drivers are left to their own settings.
 */
export const validateLogRotation: ResourceValidation = (args, reportViolation) => {
  if (args.type !== CONTAINER_TYPE) return;
  const props = args.props as Record<string, unknown>;
  const driver = props.logDriver ?? "json-file";
  if (driver !== "json-file") return;
  const opts = (props.logOpts ?? {}) as Record<string, unknown>;
  const maxSize = opts["max-size"];
  if (typeof maxSize !== "string" || !SIZE.test(maxSize)) {
    reportViolation(
      `Container "${args.name}" logs to json-file without rotation (logOpts max-size is ` +
        `${JSON.stringify(maxSize ?? "unset")}). Set logOpts { "max-size": "10m", "max-file": "3" } ` +
        "(components/container-defaults.ts hardened()).",
    );
  }
};
