/**
 * What counts as a loopback address, decided once for the stack config and the policy pack. Pure
 * (no Node imports): the policy pack runs under the Pulumi CLI's ts-node without Node's types.
 *
 * Accepted: 127.0.0.0/8 as a canonical dotted quad, and ::1 in every RFC 4291 spelling
 * (`::1`, `0:0:0:0:0:0:0:1`, `::0001`, `0::1`, any case): they are one address, and Docker (Go's
 * net.ParseIP) binds each to ::1.
 * Refused: shorthand IPv4 (`127.1`, leading zeros; Docker rejects them too), IPv4-mapped or
 * -compatible IPv6 (`::ffff:127.0.0.1`: an IPv6 bind whose reach depends on the kernel's
 * bindv6only), zone ids, host names and anything with whitespace. Callers strip URL brackets or
 * trim raw provider values themselves, saying why.
 */

const IPV4_OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4_LOOPBACK = new RegExp(`^127(?:\\.${IPV4_OCTET}){3}$`);

/** The eight 16-bit groups of an IPv6 address without embedded IPv4, or undefined. */
function ipv6Groups(address: string): number[] | undefined {
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const split = (part: string | undefined): string[] => (part ? part.split(":") : []);
  const head = split(halves[0]);
  const tail = split(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return all.map((g) => parseInt(g, 16));
}

/** True for 127.0.0.0/8 (canonical dotted quad) and every spelling of ::1; see the module doc. */
export function isLoopbackIp(address: string): boolean {
  if (IPV4_LOOPBACK.test(address)) return true;
  const groups = ipv6Groups(address);
  return groups !== undefined && groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1;
}

/** True for the "all interfaces" addresses `0.0.0.0` and `::` (in any spelling). */
export function isUnspecifiedIp(address: string): boolean {
  if (address === "0.0.0.0") return true;
  const groups = ipv6Groups(address);
  return groups !== undefined && groups.every((g) => g === 0);
}

/** An address as the host part of a URL: IPv6 in brackets. */
export function urlHost(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}

/** Text naming what {@link isLoopbackIp} accepts, for error messages. */
export const LOOPBACK_ALLOWED = "a loopback address (127.0.0.0/8 or ::1)";
