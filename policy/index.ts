/**
 * k6-observatory policy pack: `pulumi preview --policy-pack policy`. Constructing the PolicyPack
 * starts the gRPC server the Pulumi CLI talks to, so this file only wires the rules from
 * ./rules (which the unit tests import on their own).
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

new PolicyPack("k6-observatory", {
  description:
    "Guards the k6-observatory stack: retained data volumes, pinned images, loopback ports, unprivileged containers.",
  enforcementLevel: "mandatory",
  policies,
});
