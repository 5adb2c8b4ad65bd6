// Golden cases from k6 v1.8.1's own tests of its remote-write output
// (grafana/k6 at v1.8.1, internal/output/prometheusrw/...), each naming the file and test it comes from.
// The emitter must produce exactly what k6 expects there.
import { BUILTIN, Metric, MetricSample } from "../harness/k6-emitter/metrics";
import {
  RemoteWriteOutput,
  STALE_NAN_BITS,
  remoteWriteConfig,
  seriesLabels,
} from "../harness/k6-emitter/output";
import { NativeHistogramSink, schema3Key, spansAndDeltas, trendStat } from "../harness/k6-emitter/sinks";
import { TimeSeries, decodeWriteRequest, encodeWriteRequest } from "../harness/k6-emitter/wire";

const trend = (name: string, contains: Metric["contains"] = "default"): Metric => ({
  name,
  type: "trend",
  contains,
});
const sample = (
  metric: Metric,
  value: number,
  time: number,
  tags: Record<string, string> = {},
): MetricSample => ({
  metric,
  value,
  time,
  tags,
});
const nameOf = (ts: TimeSeries): string => ts.labels.find((l) => l.name === "__name__")!.value;
const byName = (series: TimeSeries[]): TimeSeries[] =>
  [...series].sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : 1));

function output(env: Record<string, string> = {}, now = () => 1000): RemoteWriteOutput {
  return new RemoteWriteOutput(remoteWriteConfig(env), () => undefined, now);
}

describe("native histograms", () => {
  // remotewrite/trend_test.go TestNativeHistogramSinkMapPrompb: 1.52 and 3.14 observed.
  test("1.52 and 3.14 give count 2, sum 4.66, schema 3, spans [5,1] [8,1], deltas [1,0]", () => {
    const sink = new NativeHistogramSink();
    sink.add(1.52);
    sink.add(3.14);
    expect(sink.toProto(3000)).toEqual({
      countInt: 2,
      sum: 4.66,
      schema: 3,
      zeroThreshold: 2.938735877055719e-39,
      zeroCountInt: 0,
      negativeSpans: [],
      negativeDeltas: [],
      positiveSpans: [
        { offset: 5, length: 1 },
        { offset: 8, length: 1 },
      ],
      positiveDeltas: [1, 0],
      timestamp: 3000,
    });
  });

  // remotewrite/trend_test.go TestNativeHistogramSinkAdd: 3 s and 2 s as ms values of a time
  // trend are observed in seconds (sum 5).
  test("a time trend is observed in seconds and named _seconds", () => {
    const o = output({ K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM: "true" });
    const [ts] = o.convert([sample(trend("d", "time"), 3000, 5), sample(trend("d", "time"), 2000, 6)]);
    expect(nameOf(ts!)).toBe("k6_d_seconds");
    expect(ts!.histograms![0]).toMatchObject({ countInt: 2, sum: 5, timestamp: 6 });
  });

  // remotewrite/trend_test.go TestBaseUnit: data trends are _bytes, other trends have no suffix.
  test("data trends are named _bytes, plain trends keep their name", () => {
    const o = output({ K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM: "true" });
    const names = o
      .convert([sample(trend("b", "data"), 10, 1), sample(trend("p"), 10, 1)])
      .map(nameOf)
      .sort();
    expect(names).toEqual(["k6_b_bytes", "k6_p"]);
  });

  // client_golang prometheus/histogram.go: key = SearchFloat64s(bounds, frac) + (exp-1)*8; an
  // exact bucket boundary belongs to the lower bucket (upper bounds are inclusive).
  test("bucket index as client_golang computes it, boundaries included in the lower bucket", () => {
    expect(schema3Key(1)).toBe(0); // 1 = 0.5 * 2^1: frac 0.5 is bounds[0], exp 1
    expect(schema3Key(2)).toBe(8);
    expect(schema3Key(0.5)).toBe(-8);
    expect(schema3Key(1.0000001)).toBe(1);
    expect(schema3Key(1.52)).toBe(5);
    expect(schema3Key(3.14)).toBe(14);
    expect(schema3Key(Infinity)).toBe(schema3Key(Number.MAX_VALUE) + 1);
  });

  // client_golang makeBuckets: gaps of one or two buckets stay inside the span as empty buckets.
  test("small gaps are filled, larger gaps start a new span", () => {
    expect(
      spansAndDeltas(
        new Map([
          [0, 1],
          [2, 3],
          [6, 1],
        ]),
      ),
    ).toEqual({
      spans: [
        { offset: 0, length: 3 },
        { offset: 3, length: 1 },
      ],
      deltas: [1, -1, 3, -2],
    });
  });
});

describe("trend stats", () => {
  // remotewrite/remotewrite_test.go TestOutputSetTrendStatsResolver.
  test.each([
    ["p(27)", "p27"],
    ["p(0.999)", "p0999"],
    ["p(99.9)", "p999"],
    ["p(1)", "p1"],
    ["p(0)", "p0"],
    ["count", "count"],
    ["sum", "sum"],
    ["med", "med"],
  ])("%s is sent as _%s", (stat, suffix) => {
    expect(trendStat(stat).suffix).toBe(suffix);
  });

  test("an unknown stat is refused, as k6 refuses to start", () => {
    expect(() => trendStat("p95")).toThrow('invalid trend stat "p95"');
  });

  // remotewrite/trend.go extendedTrendSink.MapPrompb + adaptUnit: every stat of a time trend is
  // divided by 1000, count included.
  test("every stat of a time trend is divided by 1000, count included", () => {
    const o = output({ K6_PROMETHEUS_RW_TREND_STATS: "count,sum,avg,p(90)" });
    const series = byName(
      o.convert([sample(trend("t", "time"), 100, 1), sample(trend("t", "time"), 300, 1)]),
    );
    expect(series.map((s) => [nameOf(s), s.samples![0]!.value])).toEqual([
      ["k6_t_avg", 0.2],
      ["k6_t_count", 0.002],
      ["k6_t_p90", 0.28],
      ["k6_t_sum", 0.4],
    ]);
  });

  // remotewrite/trend_test.go TestExtendedTrendSinkMapPrompb: a plain trend keeps its values.
  test("a plain trend keeps its values", () => {
    const o = output({ K6_PROMETHEUS_RW_TREND_STATS: "count,min,max,avg,med,p(90),sum" });
    const series = o.convert([sample(trend("test"), 1, 1)]);
    expect(series.map((s) => s.samples![0]!.value)).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  test("k6's default trend stats are p(99) only (the empty-p95 misconfiguration)", () => {
    expect(
      output()
        .convert([sample(trend("t", "time"), 5, 1)])
        .map(nameOf),
    ).toEqual(["k6_t_p99"]);
  });
});

describe("labels", () => {
  // remotewrite/prometheus_test.go TestMapSeries.
  test("tags sorted by name, empty keys and values dropped, __name__ first", () => {
    expect(
      seriesLabels("test", { tagk1: "tagv1", b1: "v1", tagEmptyValue: "", "": "tagEmptyKey" }, ""),
    ).toEqual([
      { name: "__name__", value: "k6_test" },
      { name: "b1", value: "v1" },
      { name: "tagk1", value: "tagv1" },
    ]);
  });

  test("counters end in _total, rates in _rate, gauges keep their name", () => {
    const o = output();
    const names = o
      .convert([sample(BUILTIN.httpReqs, 1, 1), sample(BUILTIN.checks, 1, 1), sample(BUILTIN.vus, 3, 1)])
      .map(nameOf)
      .sort();
    expect(names).toEqual(["k6_checks_rate", "k6_http_reqs_total", "k6_vus"]);
  });
});

describe("series state", () => {
  // remotewrite/remotewrite_test.go TestOutputConvertToPbSeries: a counter's samples out of order
  // add up and the series carries its latest timestamp.
  test("cumulative value at the latest timestamp", () => {
    const o = output();
    const sept1 = Date.UTC(2022, 8, 1);
    const aug31 = Date.UTC(2022, 7, 31);
    const [ts] = o.convert([
      sample(BUILTIN.httpReqs, 3, sept1, { tagk1: "tagv1" }),
      sample(BUILTIN.httpReqs, 4, aug31, { tagk1: "tagv1" }),
    ]);
    expect(ts!.samples).toEqual([{ value: 7, timestamp: sept1 }]);
  });

  // remotewrite/remotewrite_test.go TestOutputConvertToPbSeries_WithPreviousState: a series with
  // no newer millisecond is not sent again, but its value still accumulates.
  test("only series with a newer sample are sent, values stay cumulative", () => {
    const o = output();
    o.convert([sample(BUILTIN.httpReqs, 1, 10.2), sample(BUILTIN.iterations, 1, 10)]);
    expect(o.convert([sample(BUILTIN.httpReqs, 1, 10.9)])).toEqual([]);
    const again = o.convert([sample(BUILTIN.httpReqs, 1, 11)]);
    expect(again.map((s) => [nameOf(s), s.samples![0]])).toEqual([
      ["k6_http_reqs_total", { value: 3, timestamp: 11 }],
    ]);
  });
});

describe("stale markers", () => {
  /** Tag byte 0x09 (field 1, fixed64) then 0x7ff0000000000002 little-endian, typed out by hand. */
  const STALE_NAN_ON_WIRE = "09" + "020000000000f07f";

  // remotewrite/remotewrite_test.go TestOutputStaleMarkers: now = 1 s gives timestamp 1001 ms,
  // and stale/stale.go: the value is math.Float64frombits(0x7ff0000000000002).
  test("every series marked at now + 1 ms with Prometheus' stale NaN bits, on the wire", async () => {
    const requests: TimeSeries[][] = [];
    const raw: Buffer[] = [];
    const server = await import("node:http").then((http) =>
      http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", async () => {
          const { unsnappyBlock } = await import("../harness/k6-emitter/wire");
          const body = Buffer.from(unsnappyBlock(Buffer.concat(chunks)));
          raw.push(body);
          requests.push(decodeWriteRequest(body));
          res.writeHead(204).end();
        });
      }),
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as import("node:net").AddressInfo;
    const o = new RemoteWriteOutput(
      remoteWriteConfig({
        K6_PROMETHEUS_RW_SERVER_URL: `http://127.0.0.1:${port}/api/v1/write`,
        K6_PROMETHEUS_RW_STALE_MARKERS: "true",
        K6_PROMETHEUS_RW_TREND_STATS: "p(99)",
      }),
      () => undefined,
      () => 1000.7,
    );
    o.add([
      sample(trend("metric1"), 1, 500),
      sample({ name: "metric2", type: "counter", contains: "default" }, 1, 500),
    ]);
    await o.stop();
    server.close();
    expect(requests).toHaveLength(2);
    const markers = byName(requests[1]!);
    expect(markers.map(nameOf)).toEqual(["k6_metric1_p99", "k6_metric2_total"]);
    expect(markers.map((m) => m.samples![0]!.timestamp)).toEqual([1001, 1001]);
    // On the wire: each sample's double (field 1, wire type 1 = byte 0x09) little-endian. The
    // expected bytes are written out here, not derived from the emitter: Prometheus' StaleNaN is
    // 0x7ff0000000000002 (prometheus/model/value), little-endian 02 00 00 00 00 00 f0 7f
    // (python3 -c "import struct; print(struct.pack('<Q', 0x7ff0000000000002).hex())").
    // A quiet NaN (0x7ff8...) would be a different value to Prometheus, which compares the exact bits.
    expect(raw[1]!.toString("hex").split(STALE_NAN_ON_WIRE)).toHaveLength(3);
    expect(markers.map((m) => Number.isNaN(m.samples![0]!.value))).toEqual([true, true]);
  });

  test("the stale-marker check tells Prometheus' StaleNaN from a quiet NaN", () => {
    const series = (value: number): TimeSeries[] => [
      { labels: [{ name: "__name__", value: "k6_x" }], samples: [{ value, timestamp: 1 }] },
    ];
    const wire = (bits: bigint): string => {
      const view = new DataView(new ArrayBuffer(8));
      view.setBigUint64(0, bits);
      return Buffer.from(encodeWriteRequest(series(view.getFloat64(0)))).toString("hex");
    };
    // A quiet NaN, 0x7ff8000000000001: little-endian 01 00 00 00 00 00 f8 7f, no stale marker.
    expect(wire(0x7ff8000000000001n)).toContain("09010000000000f87f");
    expect(wire(0x7ff8000000000001n)).not.toContain(STALE_NAN_ON_WIRE);
    expect(wire(0x7ff0000000000002n)).toContain(STALE_NAN_ON_WIRE);
    // The emitter's constant is the same bit pattern as the literal.
    expect(wire(STALE_NAN_BITS)).toContain(STALE_NAN_ON_WIRE);
  });
});
