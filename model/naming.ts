/** Prefix of every Docker object this project names. */
export const NAME_PREFIX = "k6obs";
/** Type token prefix of every component in this repo. */
export const PKG = "k6obs:stack";

/**
 * Docker's rule for volume, container and network names (`docker volume create a` fails: "names
 * should be at least two alphanumeric characters"): a letter or digit, then letters, digits, `_`,
 * `.` or `-`. The stack config and the backup tools both check names with it.
 */
export const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * Longest volume name Docker's local driver can create: each volume is a directory of that name
 * under /var/lib/docker/volumes, and Linux file names are at most 255 bytes (NAME_MAX). Docker
 * itself sets no length limit on container or network names.
 */
export const DOCKER_VOLUME_NAME_MAX = 255;

/** Whether Docker accepts `name` as a volume, container or network name. */
export function isDockerName(name: string): boolean {
  return DOCKER_NAME.test(name);
}

/** Stack-scoped Docker name, e.g. `k6obs-dev-prometheus`. */
export function dockerName(stack: string, role: string): string {
  return `${NAME_PREFIX}-${stack}-${role}`;
}
