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

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, `::ffff:7f00:1`), or undefined. */
function mappedIpv4(address: string): string | undefined {
  const dotted = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  const octets = dotted ? dotted.slice(2).map(Number) : [];
  if (octets.some((o) => o > 255)) return undefined;
  const [a = 0, b = 0, c = 0, d = 0] = octets;
  const groups = ipv6Groups(
    dotted ? `${dotted[1]}${(a * 256 + b).toString(16)}:${(c * 256 + d).toString(16)}` : address,
  );
  if (!groups || !groups.slice(0, 5).every((g) => g === 0) || groups[5] !== 0xffff) return undefined;
  const [hi = 0, lo = 0] = groups.slice(6);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
}

/**
 * True for a host name or address that, dialled from inside a container, reaches that container
 * itself: `localhost` in any case, with the root's trailing dot (`localhost.`) or as a subdomain
 * (`shop.localhost`, RFC 6761), every loopback spelling, the unspecified addresses (`0.0.0.0`,
 * `::`: Linux connects them to the local host) and their IPv4-mapped forms. URL brackets are
 * stripped here. Used by k6TargetUrl and scrapeTargets.
 */
export function isContainerSelfHost(host: string): boolean {
  const h = host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  const ip = mappedIpv4(h) ?? h;
  return isLoopbackIp(ip) || isUnspecifiedIp(ip);
}

/**
 * Why a URL given in config cannot be used as it is, or undefined: anything but printable ASCII
 * (whitespace anywhere, control characters, NBSP, zero-width or bidi characters, fullwidth or
 * other look-alike digits). WHATWG URL parsing silently drops tabs and newlines and maps some
 * Unicode, so the URL validated would differ from the text the container receives; international
 * host names are written in their `xn--` form.
 */
export function urlTextProblem(raw: string): string | undefined {
  const bad = [...raw].find((c) => c < "!" || c > "~");
  if (bad === undefined) return undefined;
  const code = `U+${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
  return /\s/.test(bad) || bad < " " || bad === "\u007f"
    ? `it contains whitespace or a control character (${code}); remove it`
    : `it contains the non-ASCII character ${code}; write the URL in ASCII (international host names in their xn-- form)`;
}

/**
 * A URL with its userinfo (`user:password@`) replaced by `***@`, for messages; works on text that
 * does not parse as a URL too, so no message ever echoes a password.
 */
export function redactUrlCredentials(raw: string): string {
  return raw.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, "$1***@");
}

/** An address as the host part of a URL: IPv6 in brackets. */
export function urlHost(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}

/** Text naming what {@link isLoopbackIp} accepts, for error messages. */
export const LOOPBACK_ALLOWED = "a loopback address (127.0.0.0/8 or ::1)";
