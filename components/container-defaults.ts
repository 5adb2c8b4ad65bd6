import * as docker from "@pulumi/docker";
import { ContainerLimits } from "../model/container-limits";
import { stackLabelMap } from "../model/labels";

/** Security options every container of the stack runs with. */
export const SECURITY_OPTS = ["no-new-privileges:true"];

/** Published port on the configured host address. */
export interface PublishedPort {
  /** Host address, loopback by default. */
  readonly ip: string;
  /** Host port. */
  readonly external: number;
  /** Container port. */
  readonly internal: number;
}

/** Docker provider port block for a {@link PublishedPort}. */
export function portBlock(port: PublishedPort): docker.types.input.ContainerPort {
  return { internal: port.internal, external: port.external, ip: port.ip, protocol: "tcp" };
}

/** `http://host:port` of a published port as seen from the Docker host (IPv6 in brackets). */
export function hostUrl(port: PublishedPort): string {
  const host = port.ip.includes(":") ? `[${port.ip}]` : port.ip;
  return `http://${host}:${port.external}`;
}

/**
 * A duration in Go's canonical `time.Duration.String()` form (`30s`, `1m0s`, `1m30s`, `1h0m0s`,
 * `500ms`). Docker stores healthcheck durations as nanoseconds and the provider reads them back in
 * this form, so any other spelling (`60s`) is a permanent diff, and with
 * `replaceOnChanges: ["healthcheck"]` a replacement on every `up`.
 */
export function goDuration(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  if (!Number.isFinite(seconds) || seconds < 0 || Math.abs(ms - seconds * 1000) > 1e-6) {
    throw new Error(
      `goDuration: seconds is ${seconds}; allowed: a finite number >= 0 in whole milliseconds (e.g. 0.5, 30, 90)`,
    );
  }
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const rest = ms % 60_000;
  const s = `${Math.floor(rest / 1000)}${
    rest % 1000 === 0
      ? ""
      : `.${String(rest % 1000)
          .padStart(3, "0")
          .replace(/0+$/, "")}`
  }s`;
  if (h > 0) return `${h}h${m}m${s}`;
  if (m > 0) return `${m}m${s}`;
  return s;
}

/** A pinned image pulled once and kept on the host when the stack is destroyed. */
export function pinnedImage(
  name: string,
  ref: string,
  parent: import("@pulumi/pulumi").Resource,
): docker.RemoteImage {
  return new docker.RemoteImage(name, { name: ref, keepLocally: true }, { parent });
}

/** Labels every Docker object of a stack carries (keys in labels.ts), in the provider's list shape. */
export function stackLabels(
  stack: string,
  role: string,
  extra: Record<string, string> = {},
): docker.types.input.ContainerLabel[] {
  return Object.entries(stackLabelMap(stack, role, extra)).map(([label, value]) => ({ label, value }));
}

/** Log rotation of Docker's json-file driver: at most max-file × max-size of logs per container. */
export const LOG_ROTATION = { driver: "json-file", maxSize: "10m", maxFile: "3" } as const;

/**
 * Why a container that takes provider `uploads` keeps a writable root filesystem (measured on the
 * Docker Engine, README "Hardening"): Docker refuses `docker cp` into a read-only root filesystem
 * unless the target is on a volume or bind mount, and a tmpfs is only mounted at start, after the
 * provider's upload. A volume would keep the uploaded secret on disk beyond the container.
 */
export const UPLOADS_NEED_WRITABLE_ROOTFS =
  "docker cp (the provider's uploads) is refused into a read-only root filesystem outside volumes";

/** Options of {@link hardened}. */
export interface HardenedOptions {
  /** Memory and process limits (model/container-limits.ts). */
  readonly limits: ContainerLimits;
  /** Writable scratch paths on a read-only root filesystem, as tmpfs: container path → mount options. */
  readonly tmpfs?: Readonly<Record<string, string>>;
  /**
   * Why this container's root filesystem must stay writable; unset means read-only. Only a
   * measured reason belongs here (e.g. Docker refuses `uploads` into a read-only rootfs).
   */
  readonly writableRootfsReason?: string;
  /** Seconds between SIGTERM and SIGKILL, for the provider's destroy/replace and for `docker stop`. */
  readonly stopGraceSeconds?: number;
}

/**
 * The hardened defaults every container of the stack spreads into its args: no capabilities (the
 * images run as non-root UIDs and bind ports above 1024, so they need none), a read-only root
 * filesystem with tmpfs for scratch paths, hard memory limit without swap, a process cap, log
 * rotation and `no-new-privileges`. `stopGraceSeconds` also sets Docker's own stop timeout, so a
 * manual `docker stop` or a daemon shutdown gives the same grace as `pulumi destroy` (Docker's
 * default is 10 s).
 */
export function hardened(opts: HardenedOptions) {
  const { limits } = opts;
  return {
    capabilities: { drops: ["ALL"] },
    readOnly: opts.writableRootfsReason === undefined,
    ...(opts.tmpfs ? { tmpfs: { ...opts.tmpfs } } : {}),
    memory: limits.memoryMiB,
    memorySwap: limits.memoryMiB,
    ulimits: [{ name: "nproc", soft: limits.processes, hard: limits.processes }],
    logDriver: LOG_ROTATION.driver,
    logOpts: { "max-size": LOG_ROTATION.maxSize, "max-file": LOG_ROTATION.maxFile },
    stopSignal: "SIGTERM",
    ...(opts.stopGraceSeconds === undefined
      ? {}
      : { stopTimeout: opts.stopGraceSeconds, destroyGraceSeconds: opts.stopGraceSeconds }),
  } satisfies Partial<docker.ContainerArgs>;
}
