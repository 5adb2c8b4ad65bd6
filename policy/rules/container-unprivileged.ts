// Part of the policy pack's rules (policy/rules.ts): imports only @pulumi/policy types and pure
// modules, no Node types (the Pulumi CLI runs the pack through ts-node without this tsconfig).
import type { ResourceValidation } from "@pulumi/policy";
import { CONTAINER_TYPE } from "./resources";

/** Docker accepts `no-new-privileges`, `no-new-privileges:true` and `no-new-privileges=true`. */
export function hasNoNewPrivileges(securityOpts: unknown): boolean {
  return (
    Array.isArray(securityOpts) &&
    securityOpts.some((opt) => typeof opt === "string" && /^no-new-privileges(?:[:=]true)?$/.test(opt.trim()))
  );
}

/** Whether a container `user` runs as root: unset (the image's default, often root), `root`, UID 0. */
export function runsAsRoot(user: unknown): boolean {
  if (typeof user !== "string" || user.trim() === "") return true;
  const name = user.trim().split(":")[0] ?? "";
  return name === "root" || /^0+$/.test(name);
}

/** Host paths no container of the stack may see: the Docker socket, the host root and its system trees. */
const FORBIDDEN_HOST_PATHS =
  /^\/(?:$|proc\b|sys\b|dev\b|etc\b|root\b|boot\b|var\/run\/docker\.sock$|run\/docker\.sock$)/;

interface Mount {
  readonly type?: unknown;
  readonly source?: unknown;
  readonly target?: unknown;
  readonly readOnly?: unknown;
}

/** Problems with a container's host-path mounts (`mounts` of type bind, legacy `volumes` with hostPath). */
function hostPathProblems(props: Record<string, unknown>): string[] {
  const binds: { source: string; target: string; readOnly: boolean }[] = [];
  for (const m of (Array.isArray(props.mounts) ? props.mounts : []) as Mount[]) {
    if (m?.type === "bind")
      binds.push({ source: String(m.source), target: String(m.target), readOnly: m.readOnly === true });
  }
  for (const v of (Array.isArray(props.volumes) ? props.volumes : []) as Record<string, unknown>[]) {
    if (typeof v?.hostPath === "string") {
      binds.push({ source: v.hostPath, target: String(v.containerPath), readOnly: v.readOnly === true });
    }
  }
  const problems: string[] = [];
  for (const b of binds) {
    const source = b.source.replace(/\/+$/, "") || "/";
    if (FORBIDDEN_HOST_PATHS.test(source)) {
      problems.push(`mounts the host's ${source} at ${b.target} (host control); never mount it`);
    } else if (!b.readOnly) {
      problems.push(
        `mounts the host path ${source} at ${b.target} writable; mount it readOnly: true, or use a volume`,
      );
    }
  }
  return problems;
}

/**
 * A container must run unprivileged: not privileged, `no-new-privileges` set, a non-root user, no
 * added capabilities, no host namespaces, and host paths only read-only and never the Docker
 * socket or the host's system directories.
 */
export const validateContainerUnprivileged: ResourceValidation = (args, reportViolation) => {
  if (args.type !== CONTAINER_TYPE) {
    return;
  }
  const props = args.props as Record<string, unknown>;
  const report = (what: string): void => reportViolation(`Container "${args.name}" ${what}.`);
  if (props.privileged === true) {
    report("runs privileged (full access to the host's devices). Remove privileged: true");
  }
  if (!hasNoNewPrivileges(props.securityOpts)) {
    reportViolation(
      `Container "${args.name}" does not set no-new-privileges, so its processes can gain privileges ` +
        `through setuid binaries. Add securityOpts: ["no-new-privileges:true"].`,
    );
  }
  if (runsAsRoot(props.user)) {
    report(
      `runs as root (user ${JSON.stringify(props.user ?? "unset: the image's default")}); set user to the image's unprivileged UID`,
    );
  }
  const adds = (props.capabilities as { adds?: unknown } | undefined)?.adds;
  if (Array.isArray(adds) && adds.length > 0) {
    report(`adds capabilities ${adds.map(String).join(", ")}; remove capabilities.adds`);
  }
  for (const [key, mode] of [
    ["networkMode", props.networkMode],
    ["pidMode", props.pidMode],
    ["ipcMode", props.ipcMode],
    ["usernsMode", props.usernsMode],
  ] as const) {
    if (mode === "host") report(`shares the host's namespace (${key}: host); remove it`);
  }
  for (const p of hostPathProblems(props)) report(p);
};
