import * as docker from "@pulumi/docker";

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

/** A pinned image pulled once and kept on the host when the stack is destroyed. */
export function pinnedImage(
  name: string,
  ref: string,
  parent: import("@pulumi/pulumi").Resource,
): docker.RemoteImage {
  return new docker.RemoteImage(name, { name: ref, keepLocally: true }, { parent });
}
