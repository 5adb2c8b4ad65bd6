/**
 * Pinned container images. The integration tests build k6 and Prometheus from source at exactly
 * these versions (scripts/install-tools.sh reads this file), so the binaries under test are the
 * ones the containers run.
 */

/** A container image pinned to an exact version. */
export interface PinnedImage {
  /** Repository, e.g. `prom/prometheus`. */
  readonly repo: string;
  /** Exact release tag, never `latest`. */
  readonly tag: string;
}

export const PROMETHEUS_IMAGE: PinnedImage = { repo: "prom/prometheus", tag: "v3.15.1" };
export const GRAFANA_IMAGE: PinnedImage = { repo: "grafana/grafana", tag: "13.0.1" };
export const K6_IMAGE: PinnedImage = { repo: "grafana/k6", tag: "1.8.1" };

/** `repo:tag` reference of a pinned image. */
export function imageRef(image: PinnedImage): string {
  return `${image.repo}:${image.tag}`;
}

/** Go module version of a Prometheus release: v3.N.M is published as v0.3NN.M. */
export function prometheusGoModuleVersion(tag: string): string {
  const m = /^v?3\.(\d+)\.(\d+)$/.exec(tag);
  if (!m) {
    throw new Error(`Prometheus tag "${tag}" is not a v3.N.M release tag`);
  }
  const [, minor = "", patch = ""] = m;
  return `v0.3${minor.padStart(2, "0")}.${patch}`;
}
