/**
 * Prometheus' own parsers of `--storage.tsdb.retention.time` and `--storage.tsdb.retention.size`,
 * ported line for line so the stack refuses exactly what the pinned Prometheus refuses, before its
 * old container is deleted (a value Prometheus rejects at start-up is an outage otherwise).
 * tests/integration/retention-parity.test.ts runs the pinned binary on a table and compares.
 *
 * - time: kingpin calls `model.Duration.Set` -> `model.ParseDuration` of
 *   github.com/prometheus/common v0.71.0 (model/time.go), the version Prometheus v3.15.1's go.mod pins;
 * - size: kingpin v2.4.0 `BytesVar` -> `units.ParseBase2Bytes` of github.com/alecthomas/units
 *   v0.0.0-20240927000941-0f3dac36c52b (bytes.go, util.go, si.go).
 *
 * Values are BigInt where Go uses 64-bit integers, and float64 (JS number) where Go does.
 */

import { PROMETHEUS_IMAGE } from "./images";

const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** Go's time.Duration units in nanoseconds, with their required order (model/time.go unitMap). */
const DURATION_UNITS: Readonly<Record<string, { readonly pos: number; readonly mult: bigint }>> = {
  ms: { pos: 7, mult: 1_000_000n },
  s: { pos: 6, mult: 1_000_000_000n },
  m: { pos: 5, mult: 60n * 1_000_000_000n },
  h: { pos: 4, mult: 3600n * 1_000_000_000n },
  d: { pos: 3, mult: 24n * 3600n * 1_000_000_000n },
  w: { pos: 2, mult: 7n * 24n * 3600n * 1_000_000_000n },
  y: { pos: 1, mult: 365n * 24n * 3600n * 1_000_000_000n },
};

/** Result of a port: the value Prometheus would use, or the error it would print. */
export type Parsed =
  { readonly ok: true; readonly value: bigint } | { readonly ok: false; readonly error: string };

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

/**
 * `model.ParseDuration`: nanoseconds of a Prometheus duration (`1y2w3d4h5m6s7ms`, units biggest
 * first, each at most once; a year is 365d; `0` alone needs no unit), with its overflow check.
 */
export function parsePrometheusDuration(s: string): Parsed {
  if (s === "0") return { ok: true, value: 0n };
  if (s === "") return { ok: false, error: "empty duration string" };
  const orig = s;
  const invalid: Parsed = { ok: false, error: `not a valid duration string: ${JSON.stringify(orig)}` };
  let dur = 0n;
  let lastUnitPos = 0;
  while (s !== "") {
    if (!isDigit(s[0])) return invalid;
    let i = 0;
    while (i < s.length && isDigit(s[i])) i++;
    // strconv.ParseUint(s[:i], 10, 0): digits only here, so the only error is a value over 2^64-1.
    const v = BigInt(s.slice(0, i));
    if (v > UINT64_MAX) return invalid;
    s = s.slice(i);
    i = 0;
    while (i < s.length && !isDigit(s[i])) i++;
    if (i === 0) return invalid;
    const u = s.slice(0, i);
    s = s.slice(i);
    const unit = Object.prototype.hasOwnProperty.call(DURATION_UNITS, u) ? DURATION_UNITS[u] : undefined;
    if (unit === undefined) {
      return { ok: false, error: `unknown unit ${JSON.stringify(u)} in duration ${JSON.stringify(orig)}` };
    }
    if (unit.pos <= lastUnitPos) return invalid;
    lastUnitPos = unit.pos;
    // Go: `if v > 1<<63/unit.mult` (integer division), then `dur > 1<<63-1` after adding.
    if (v > (1n << 63n) / unit.mult) return { ok: false, error: "duration out of range" };
    dur += v * unit.mult;
    if (dur > INT64_MAX) return { ok: false, error: "duration out of range" };
  }
  return { ok: true, value: dur };
}

/** units.MakeUnitMap(suffix, shortSuffix, 1024): the base-2 scale, "K" only (never "k"). */
function makeUnitMap(suffix: string, shortSuffix: string): ReadonlyMap<string, number> {
  const scale = 1024;
  return new Map<string, number>([
    [shortSuffix, 1],
    [`K${suffix}`, scale],
    [`M${suffix}`, scale ** 2],
    [`G${suffix}`, scale ** 3],
    [`T${suffix}`, scale ** 4],
    [`P${suffix}`, scale ** 5],
    [`E${suffix}`, scale ** 6],
  ]);
}
const BYTES_UNIT_MAP = makeUnitMap("iB", "B");
const OLD_BYTES_UNIT_MAP = makeUnitMap("B", "B");

/** units.leadingInt: the leading [0-9]* as int64, undefined on its (conservative) overflow check. */
function leadingInt(s: string): { x: bigint; rem: string } | undefined {
  let x = 0n;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s[i];
    if (!isDigit(c)) break;
    if (x >= (INT64_MAX - 9n) / 10n) return undefined; // Go: (1<<63-10)/10
    x = x * 10n + BigInt(Number(c));
  }
  return { x, rem: s.slice(i) };
}

/** units.ParseUnit: `[-+]?([0-9]*(\.[0-9]*)?[a-zA-Z]+)+` summed in float64, then int64(f). */
function parseUnit(s: string, unitMap: ReadonlyMap<string, number>): Parsed {
  const orig = s;
  const invalid: Parsed = { ok: false, error: `units: invalid ${orig}` };
  let f = 0;
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return { ok: true, value: 0n };
  if (s === "") return invalid;
  while (s !== "") {
    if (!(s[0] === "." || isDigit(s[0]))) return invalid;
    const pl = s.length;
    const whole = leadingInt(s);
    if (whole === undefined) return invalid;
    s = whole.rem;
    // float64(x) of an int64: Number(bigint) rounds to nearest, ties to even, as Go does.
    let g = Number(whole.x);
    const pre = pl !== s.length;
    let post = false;
    if (s !== "" && s[0] === ".") {
      s = s.slice(1);
      const pl2 = s.length;
      const frac = leadingInt(s);
      if (frac === undefined) return invalid;
      s = frac.rem;
      let scale = 1.0;
      for (let n = pl2 - s.length; n > 0; n--) scale *= 10;
      g += Number(frac.x) / scale;
      post = pl2 !== s.length;
    }
    if (!pre && !post) return invalid;
    let i = 0;
    for (; i < s.length; i++) {
      const c = s[i];
      if (c === "." || isDigit(c)) break;
    }
    const u = s.slice(0, i);
    s = s.slice(i);
    const unit = unitMap.get(u);
    if (unit === undefined) return { ok: false, error: `units: unknown unit ${u} in ${orig}` };
    f += g * unit;
  }
  if (neg) f = -f;
  // Go compares against float64(1<<63-1), which rounds to 2^63: exactly 2^63 passes.
  if (f < -(2 ** 63) || f > 2 ** 63) return { ok: false, error: "units: overflow parsing unit" };
  const truncated = BigInt(Math.trunc(f));
  // int64(2^63) is out of range; amd64 and arm64 Go give the "integer indefinite" value -2^63.
  return { ok: true, value: truncated > INT64_MAX ? -(1n << 63n) : truncated };
}

/**
 * `units.ParseBase2Bytes`: bytes of a size like `512MB`, `10GiB`, `1.5GB` (KB and KiB both mean
 * 1024; `kB` is refused; a unit is required except for `0`).
 */
export function parsePrometheusBytes(s: string): Parsed {
  const first = parseUnit(s, BYTES_UNIT_MAP);
  return first.ok ? first : parseUnit(s, OLD_BYTES_UNIT_MAP);
}

/** Shortest retention time the stack accepts: one TSDB block (--storage.tsdb.min-block-duration=2h). */
export const MIN_RETENTION_TIME = "2h";
/**
 * Smallest retention size the stack accepts. Prometheus counts WAL, out-of-order WAL and head chunk
 * files against it before any block (tsdb BeyondSizeRetention); each grows in 128 MiB segments, so
 * below 512 MiB the head alone fills the budget and every persisted block is deleted.
 */
export const MIN_RETENTION_SIZE = "512MB";

// Parsed on use rather than at import: the parsers then run only inside the tests that call them,
// so mutation testing (docs/TESTING.md) can tell which tests cover which of their lines.
const minRetentionNs = (): bigint => retentionTimeNs(MIN_RETENTION_TIME);
const minRetentionBytes = (): bigint => retentionSizeBytes(MIN_RETENTION_SIZE);

/**
 * Why a retention time is not allowed (what Prometheus says, or the floor), undefined when it is.
 * The message is the "what is allowed" part of a ConfigError line.
 */
export function retentionTimeProblem(value: string): string | undefined {
  const p = parsePrometheusDuration(value);
  if (!p.ok) {
    return `Prometheus ${PROMETHEUS_IMAGE.tag} refuses it (${p.error}); use a Prometheus duration with units y, w, d, h, m, s, ms in that order (each once), at most 292y, e.g. 15d, 12w, 1y, 1d12h`;
  }
  if (p.value < minRetentionNs()) {
    return `at least ${MIN_RETENTION_TIME} (one TSDB block); a shorter retention deletes each block as soon as it is written`;
  }
  return undefined;
}

/** Why a retention size is not allowed (what Prometheus says, or the floor), undefined when it is. */
export function retentionSizeProblem(value: string): string | undefined {
  const p = parsePrometheusBytes(value);
  if (!p.ok) {
    return `Prometheus ${PROMETHEUS_IMAGE.tag} refuses it (${p.error}); use a number with a unit B, KB, MB, GB, TB, PB, EB (or KiB to EiB; powers of 1024), below 8EB, e.g. 512MB or 10GB`;
  }
  if (p.value < minRetentionBytes()) {
    const reads = p.value < 0n ? "a negative size, which disables the size limit" : `${p.value} bytes`;
    return `at least ${MIN_RETENTION_SIZE} (Prometheus reads it as ${reads}; WAL and head chunks alone count up to ${MIN_RETENTION_SIZE}, so less deletes every block)`;
  }
  return undefined;
}

/** Nanoseconds of a valid retention time (throws on one {@link retentionTimeProblem} refuses). */
export function retentionTimeNs(value: string): bigint {
  const p = parsePrometheusDuration(value);
  if (!p.ok) throw new Error(`retention time ${JSON.stringify(value)}: ${p.error}`);
  return p.value;
}

/** Bytes of a valid retention size (throws on one {@link retentionSizeProblem} refuses). */
export function retentionSizeBytes(value: string): bigint {
  const p = parsePrometheusBytes(value);
  if (!p.ok) throw new Error(`retention size ${JSON.stringify(value)}: ${p.error}`);
  return p.value;
}
