/** Calling one policy rule the way @pulumi/policy calls it, without an engine. */
import type { ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";

/** A resource as a rule sees it. */
export interface ResourceSpec {
  type: string;
  props: Record<string, unknown>;
  name?: string;
  protect?: boolean;
  config?: object;
}

/** ResourceValidationArgs as @pulumi/policy builds them for a resource's inputs. */
export function resourceArgs(spec: ResourceSpec): ResourceValidationArgs {
  const name = spec.name ?? "res";
  return {
    type: spec.type,
    props: spec.props,
    urn: `urn:pulumi:dev::k6-observatory::${spec.type}::${name}`,
    name,
    opts: {
      protect: spec.protect ?? false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
    },
    stackTags: new Map<string, string>(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => (spec.config ?? {}) as T,
    notApplicable: (reason?: string): never => {
      throw new Error(`not applicable: ${reason ?? ""}`);
    },
  };
}

/** Runs one validation and returns the messages it reported. */
export async function violations(validate: ResourceValidation, spec: ResourceSpec): Promise<string[]> {
  const reported: string[] = [];
  await validate(resourceArgs(spec), (message) => {
    reported.push(message);
  });
  return reported;
}

/** A container as components/ declares it: pinned image id, loopback port, hardened. */
export const goodContainer = {
  name: "k6obs-dev-grafana",
  image: "sha256:" + "a".repeat(64),
  ports: [{ internal: 3000, external: 3000, ip: "127.0.0.1", protocol: "tcp" }],
  securityOpts: ["no-new-privileges:true"],
  privileged: false,
  user: "472",
  capabilities: { drops: ["ALL"] },
  readOnly: true,
  memory: 1024,
  memorySwap: 1024,
  ulimits: [{ name: "nproc", soft: 1024, hard: 1024 }],
  logDriver: "json-file",
  logOpts: { "max-size": "10m", "max-file": "3" },
  mounts: [
    { type: "volume", source: "k6obs-dev-grafana-data", target: "/var/lib/grafana" },
    {
      type: "bind",
      source: "/repo/provisioning/grafana/provisioning",
      target: "/etc/grafana/provisioning",
      readOnly: true,
    },
  ],
};
