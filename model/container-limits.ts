/**
 * Memory and process limits of the stack's containers: the defaults, the parser of the
 * `*MemoryLimit` config keys and the Go runtime's matching soft limit. Pure (no Pulumi imports), so
 * config, components, policy and tests share one home for these numbers.
 */

/** Services whose memory limit is a config key. */
export type LimitedService = "prometheus" | "grafana" | "k6";

/** Memory and process limits of one container. */
export interface ContainerLimits {
  /** Hard memory limit in MiB; swap is not allowed on top of it (memory + swap = the same value). */
  readonly memoryMiB: number;
  /**
   * RLIMIT_NPROC (`ulimit -u`): processes and threads of the container's UID. The pinned Docker
   * provider (5.2.0) has no `pidsLimit`, so this is the only process cap it can declare; the kernel
   * counts it per UID across the host (containers share the host's user namespace), not per
   * container, which is why every service runs as its own UID.
   */
  readonly processes: number;
}

/** Smallest and largest memory limit a config key accepts, in MiB. */
export const MEMORY_LIMIT_RANGE: Readonly<Record<LimitedService, { min: number; max: number }>> = {
  // Head block, WAL replay and query buffers; below this a TSDB of any size restarts in a loop.
  prometheus: { min: 256, max: 1024 * 1024 },
  grafana: { min: 128, max: 1024 * 1024 },
  // Docker's own floor is 6 MiB; k6 with its JS runtime needs more than that for one VU.
  k6: { min: 64, max: 1024 * 1024 },
};

/**
 * Process caps (RLIMIT_NPROC). Go servers use a thread per busy P plus blocked syscalls: Prometheus
 * and k6 run tens of threads, Grafana tens plus its plugin processes. A fork bomb stops here.
 */
export const PROCESS_LIMITS: Readonly<Record<LimitedService | "prometheusReload", number>> = {
  prometheus: 1024,
  grafana: 1024,
  k6: 1024,
  prometheusReload: 64,
};

/** Alertmanager's limits: a few MiB of silences and notification log, one receiver, tens of threads. */
export const ALERTMANAGER_LIMITS: ContainerLimits = { memoryMiB: 256, processes: 1024 };

/** Memory of the one-shot reload trigger (busybox wget), in MiB. */
export const RELOAD_MEMORY_MIB = 32;

const UNIT_MIB: Record<string, number> = {
  "": 1,
  b: 1 / (1024 * 1024),
  k: 1 / 1024,
  m: 1,
  g: 1024,
  t: 1024 * 1024,
};
const MEMORY = /^(\d+)(b|[kmgt](?:i?b)?)?$/i;

/**
 * MiB of a memory limit: a whole number of MiB (`2048`) or Docker's unit syntax (`512m`, `2g`;
 * `512MiB`, `2GB`, `2gb` are binary units, as Docker reads them). Returns
 * a reason when the value is malformed or not a whole number of MiB (the provider takes MiB).
 */
export function parseMemoryMiB(value: string): { mib: number } | { reason: string } {
  const m = MEMORY.exec(value);
  if (!m)
    return {
      reason: "a whole number of MiB (e.g. 2048) or a size with a unit b, k, m, g, t (e.g. 512m, 2g)",
    };
  const mib = Number(m[1]) * (UNIT_MIB[(m[2] ?? "").charAt(0).toLowerCase()] ?? Number.NaN);
  if (!Number.isSafeInteger(mib)) return { reason: "a whole number of MiB (the Docker provider takes MiB)" };
  return { mib };
}

/**
 * GOMEMLIMIT for a Go server with a hard memory limit: 90% of it, in Go's own `MiB` syntax.
 * GOMEMLIMIT bounds only what the Go runtime manages (heap, stacks, runtime metadata); the rest of
 * the cgroup's charge (non-Go allocations, page cache of mmapped TSDB chunks that the kernel must
 * reclaim before it OOM-kills) needs headroom. 0.9 is also Prometheus' own `--auto-gomemlimit.ratio`
 * default.
 */
export function goMemLimit(memoryMiB: number): string {
  return `${Math.floor(memoryMiB * 0.9)}MiB`;
}
