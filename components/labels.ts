/**
 * Label contract between the program and the policy pack. Pure (no imports): the policy pack runs
 * under the Pulumi CLI's ts-node without Node's types, so it can import this file but not the
 * components that declare resources.
 */

/** Label that marks a volume as retained data; the policy pack reads it (policies never see retainOnDelete). */
export const RETAIN_LABEL = "k6obs.retain";
