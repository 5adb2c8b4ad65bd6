// The retention parsers ported from Prometheus (parity with the real binary is proven in
// tests/integration/retention-parity.test.ts); here the values, the overflow edges and the floor.
import {
  MIN_RETENTION_SIZE,
  MIN_RETENTION_TIME,
  parsePrometheusBytes,
  parsePrometheusDuration,
  retentionSizeProblem,
  retentionTimeProblem,
} from "../../model/retention";

const NS_PER_MS = 1_000_000n;
const DAY_NS = 86_400_000n * NS_PER_MS;

test.each([
  ["30d", 30n * DAY_NS],
  ["1y", 365n * DAY_NS],
  ["1d12h", DAY_NS + DAY_NS / 2n],
  [
    "1y2w3d4h5m6s7ms",
    (365n + 14n + 3n) * DAY_NS + (4n * 3600n + 5n * 60n + 6n) * 1000n * NS_PER_MS + 7n * NS_PER_MS,
  ],
  ["0", 0n],
  ["292y", 292n * 365n * DAY_NS],
  ["90d", 90n * DAY_NS],
  // The largest count of a unit Go's overflow check lets through.
  ["9223372036854ms", 9_223_372_036_854n * NS_PER_MS],
])("duration %s is %d ns", (text, ns) => {
  expect(parsePrometheusDuration(text)).toEqual({ ok: true, value: ns });
});

test.each([
  ["300y", "duration out of range"],
  ["293y", "duration out of range"],
  ["292y52w", "duration out of range"],
  ["1d1w", 'not a valid duration string: "1d1w"'],
  ["30", 'not a valid duration string: "30"'],
  ["1.5h", 'unknown unit "." in duration "1.5h"'],
  ["", "empty duration string"],
  ["1d1d", 'not a valid duration string: "1d1d"'],
  ["-1d", 'not a valid duration string: "-1d"'],
  ["d", 'not a valid duration string: "d"'],
  ["18446744073709551616ms", 'not a valid duration string: "18446744073709551616ms"'],
  ["9223372036855ms", "duration out of range"],
  ["1toString", 'unknown unit "toString" in duration "1toString"'],
])("duration %j is refused: %s", (text, error) => {
  expect(parsePrometheusDuration(text)).toEqual({ ok: false, error });
});

test.each([
  ["10GB", 10n << 30n],
  ["10GiB", 10n << 30n],
  ["1.5KB", 1536n],
  ["1GB512MB", (1n << 30n) + (512n << 20n)],
  ["0", 0n],
  ["7EB1023PB", 7n * (1n << 60n) + 1023n * (1n << 50n)],
  // Exactly 2^63 passes Go's float comparison and wraps, as the real binary logs (size=-8EiB).
  ["8EB", -(1n << 63n)],
  ["+1GB", 1n << 30n],
  ["-1GB", -(1n << 30n)],
  ["-0", 0n],
  [".5KB", 512n],
  ["2.KB", 2048n],
  ["1.25B", 1n],
  ["1PB", 1n << 50n],
  ["1TiB", 1n << 40n],
])("size %s is %d bytes", (text, bytes) => {
  expect(parsePrometheusBytes(text)).toEqual({ ok: true, value: bytes });
});

test.each([
  ["9EB", "units: overflow parsing unit"],
  ["5kB", "units: unknown unit kB in 5kB"],
  ["10", "units: unknown unit  in 10"],
  ["92233720368547758070B", "units: invalid 92233720368547758070B"],
  ["1.92233720368547758070B", "units: invalid 1.92233720368547758070B"],
  ["-9EB", "units: overflow parsing unit"],
  ["GB", "units: invalid GB"],
  [".GB", "units: invalid .GB"],
  ["+", "units: invalid +"],
  ["", "units: invalid "],
])("size %j is refused: %s", (text, error) => {
  expect(parsePrometheusBytes(text)).toEqual({ ok: false, error });
});

test("the floor: one TSDB block of time, WAL + head segments of size", () => {
  expect([MIN_RETENTION_TIME, MIN_RETENTION_SIZE]).toEqual(["2h", "512MB"]);
  expect(retentionTimeProblem("2h")).toBeUndefined();
  expect(retentionTimeProblem("119m")).toContain("at least 2h");
  expect(retentionTimeProblem("0")).toContain("at least 2h");
  expect(retentionSizeProblem("512MiB")).toBeUndefined();
  expect(retentionSizeProblem("511MB")).toContain("at least 512MB");
  expect(retentionSizeProblem("-1GB")).toContain("negative size");
  expect(retentionTimeProblem("300y")).toContain("refuses it (duration out of range)");
});
