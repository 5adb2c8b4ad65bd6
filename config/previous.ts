import * as pulumi from "@pulumi/pulumi";
import { PREVIOUS_OUTPUTS, PreviousDeployment } from "./changes";

/**
 * The stack's own outputs from its last successful update, read through a StackReference to the
 * stack itself (the engine reads the backend's last checkpoint; a new or destroyed stack has none).
 * The reference is a read: it creates, changes and deletes nothing.
 */
export async function readPreviousDeployment(): Promise<PreviousDeployment> {
  const self = new pulumi.StackReference("last-deployment", {
    name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
  });
  const entries = await Promise.all(
    PREVIOUS_OUTPUTS.map(async (key) => [key, (await self.getOutputDetails(key)).value] as const),
  );
  return Object.fromEntries(entries.filter(([, v]) => typeof v === "string"));
}
