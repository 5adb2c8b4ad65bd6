import { GRAFANA_OWNER } from "../../model/grafana";
import { PROMETHEUS_OWNER } from "../../model/prometheus";

/** What a volume holds; decides who must own the files after a restore. */
export type VolumeRole = "prometheus" | "grafana" | "data";
export const VOLUME_ROLES: readonly VolumeRole[] = ["prometheus", "grafana", "data"];

/** A numeric owner. */
export interface Owner {
  readonly uid: number;
  readonly gid: number;
}

/**
 * The user each official image runs as. Prometheus runs as `nobody` (65534:65534, /prometheus).
 * Grafana runs as UID 472 with GID 0: its Dockerfile has `ARG GF_UID="472"`, `ARG GF_GID="0"`
 * and chowns /var/lib/grafana to them. `data` volumes keep the ownership in the archive as is.
 */
export const ROLE_OWNERS: Readonly<Record<Exclude<VolumeRole, "data">, Owner>> = {
  prometheus: PROMETHEUS_OWNER,
  grafana: GRAFANA_OWNER,
};

/** A volume to back up and what it holds. */
export interface VolumeSpec {
  /** Docker volume name. */
  readonly name: string;
  /** What the volume holds. */
  readonly role: VolumeRole;
  /** Containers (besides any running container that mounts the volume) stopped while it is copied. */
  readonly containers: readonly string[];
}

/** Owner the files of a role must end up with after a restore, if the role fixes one. */
export function roleOwner(role: VolumeRole): Owner | undefined {
  return role === "data" ? undefined : ROLE_OWNERS[role];
}
