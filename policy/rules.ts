/**
 * Policy rules of the k6-observatory policy pack, kept apart from the PolicyPack construction
 * (policy/index.ts) because constructing a PolicyPack starts a gRPC server: tests import this
 * module and call the validation functions directly.
 *
 * This module imports types from @pulumi/policy and pure modules of components/ and model/,
 * nothing from Node: the Pulumi CLI runs the pack through ts-node with type checking and without
 * this repository's tsconfig, so Node's types are not available to it.
 */
import type { ResourceValidation, ResourceValidationPolicy } from "@pulumi/policy";
// Shared with the program, so stack config validation and the policies apply the same rules.
import { unpinnedImageReason } from "../model/images";
import { RETAIN_LABEL } from "../model/labels";
import { isLoopbackIp } from "../model/net";

export { RETAIN_LABEL, unpinnedImageReason };

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
function readKnown<T>(read: () => T): { known: true; value: T } | { known: false } {
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
function labelValue(labels: unknown, key: string): string | undefined {
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

// ---------------------------------------------------------------------------------------------
// Data volumes are retained
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Images are pinned
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Host ports on loopback
// ---------------------------------------------------------------------------------------------

/**
 * The stack's loopback rule (model/net.ts) on a raw provider value: an empty or missing address
 * means 0.0.0.0 to Docker; the value is trimmed and may come in URL brackets.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) {
    return false;
  }
  return isLoopbackIp(address.trim().replace(/^\[(.*)\]$/, "$1"));
}

/**
 * Published ports must bind to loopback unless the policy config sets `allowNonLoopbackBind: true`
 * (the same switch the stack has; the policy cannot read stack config, so it is set for the policy
 * with `--policy-pack-config`). A port without `ip` binds 0.0.0.0; `networkMode: host` exposes every
 * container port on every host interface.
 */
export const validatePortBindLoopback: ResourceValidation = (args, reportViolation) => {
  if (args.type !== CONTAINER_TYPE) {
    return;
  }
  const { allowNonLoopbackBind } = args.getConfig<PortBindConfig>();
  if (allowNonLoopbackBind === true) {
    return;
  }
  const advice =
    "Bind to 127.0.0.1 (stack config bindAddress), or allow it explicitly: stack config " +
    "allowNonLoopbackBind=true and policy config allowNonLoopbackBind: true.";
  if (args.props.networkMode === "host") {
    reportViolation(
      `Container "${args.name}" uses networkMode "host", which exposes its ports on every host address. ${advice}`,
    );
  }
  const ports: unknown = args.props.ports;
  if (!Array.isArray(ports)) {
    return;
  }
  for (const port of ports as Array<Record<string, unknown>>) {
    const ip = typeof port.ip === "string" ? port.ip : undefined;
    if (!isLoopbackAddress(ip)) {
      const external =
        port.external === undefined ? "a random host port" : `host port ${String(port.external)}`;
      const where = ip ? `address ${ip}` : "all addresses (no ip means 0.0.0.0)";
      reportViolation(
        `Container "${args.name}" publishes port ${String(port.internal)} on ${external} at ${where}. ${advice}`,
      );
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Containers run unprivileged with no-new-privileges
// ---------------------------------------------------------------------------------------------

/** Docker accepts `no-new-privileges`, `no-new-privileges:true` and `no-new-privileges=true`. */
export function hasNoNewPrivileges(securityOpts: unknown): boolean {
  return (
    Array.isArray(securityOpts) &&
    securityOpts.some((opt) => typeof opt === "string" && /^no-new-privileges(?:[:=]true)?$/.test(opt.trim()))
  );
}

/** A container must not be privileged and must set `no-new-privileges` in securityOpts. */
export const validateContainerUnprivileged: ResourceValidation = (args, reportViolation) => {
  if (args.type !== CONTAINER_TYPE) {
    return;
  }
  if (args.props.privileged === true) {
    reportViolation(
      `Container "${args.name}" runs privileged (full access to the host's devices). Remove privileged: true.`,
    );
  }
  if (!hasNoNewPrivileges(args.props.securityOpts)) {
    reportViolation(
      `Container "${args.name}" does not set no-new-privileges, so its processes can gain privileges ` +
        `through setuid binaries. Add securityOpts: ["no-new-privileges:true"].`,
    );
  }
};

// ---------------------------------------------------------------------------------------------
// The policies
// ---------------------------------------------------------------------------------------------

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
];
