import * as protobuf from "protobufjs";
import * as snappy from "snappyjs";

/**
 * The subset of Prometheus' remote-write v1 `prompb.WriteRequest` that k6's output fills
 * (prompb/types.proto, prompb/remote.proto): labels, float samples and native histograms with
 * integer counts. Field numbers are Prometheus' own.
 */
const PROTO = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; }
message TimeSeries {
  repeated Label labels = 1;
  repeated Sample samples = 2;
  repeated Histogram histograms = 4;
}
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
message BucketSpan { sint32 offset = 1; uint32 length = 2; }
message Histogram {
  oneof count { uint64 count_int = 1; double count_float = 2; }
  double sum = 3;
  sint32 schema = 4;
  double zero_threshold = 5;
  oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
  repeated BucketSpan negative_spans = 8;
  repeated sint64 negative_deltas = 9;
  repeated double negative_counts = 10;
  repeated BucketSpan positive_spans = 11;
  repeated sint64 positive_deltas = 12;
  repeated double positive_counts = 13;
  int32 reset_hint = 14;
  int64 timestamp = 15;
}
`;

const root = protobuf.parse(PROTO, { keepCase: false }).root;
const WriteRequestType = root.lookupType("prometheus.WriteRequest");

/** A label of a series; the series' labels are sorted by name and include `__name__`. */
export interface Label {
  readonly name: string;
  readonly value: string;
}

/** One float sample (ms timestamp). */
export interface Sample {
  readonly value: number;
  readonly timestamp: number;
}

/** A contiguous run of buckets: `offset` from the end of the previous span, `length` buckets. */
export interface BucketSpan {
  readonly offset: number;
  readonly length: number;
}

/** A native histogram with integer counts, as client_golang writes it. */
export interface Histogram {
  readonly countInt: number;
  readonly sum: number;
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly zeroCountInt: number;
  readonly negativeSpans: readonly BucketSpan[];
  readonly negativeDeltas: readonly number[];
  readonly positiveSpans: readonly BucketSpan[];
  readonly positiveDeltas: readonly number[];
  readonly timestamp: number;
}

/** One remote-write series: labels plus either samples or histograms. */
export interface TimeSeries {
  readonly labels: readonly Label[];
  readonly samples?: readonly Sample[];
  readonly histograms?: readonly Histogram[];
}

/** Protobuf bytes of a WriteRequest holding `series` (no metadata, as k6 sends). */
export function encodeWriteRequest(series: readonly TimeSeries[]): Uint8Array {
  const message = WriteRequestType.fromObject({ timeseries: series });
  return WriteRequestType.encode(message).finish();
}

/** Decodes WriteRequest protobuf bytes (tests and the receiving side of golden checks). */
export function decodeWriteRequest(bytes: Uint8Array): TimeSeries[] {
  const message = WriteRequestType.decode(bytes);
  const plain = WriteRequestType.toObject(message, { longs: Number, defaults: false, arrays: true }) as {
    timeseries?: TimeSeries[];
  };
  return plain.timeseries ?? [];
}

/** Snappy block format (not the framed format), as Prometheus' remote-write handler expects. */
export function snappyBlock(bytes: Uint8Array): Uint8Array {
  return snappy.compress(bytes);
}

/** Inverse of {@link snappyBlock}. */
export function unsnappyBlock(bytes: Uint8Array): Uint8Array {
  return snappy.uncompress(bytes);
}

/** Headers k6 v1.8.1 sends on every push (internal/output/prometheusrw/remote/client.go). */
export const REMOTE_WRITE_HEADERS: Readonly<Record<string, string>> = {
  "User-Agent": "k6-prometheus-rw-output",
  "Content-Encoding": "snappy",
  "Content-Type": "application/x-protobuf",
  "X-Prometheus-Remote-Write-Version": "0.1.0",
};

/** k6's remote-write client timeout when K6_PROMETHEUS_RW_TIMEOUT is not set. */
export const DEFAULT_TIMEOUT_MS = 5000;

/** Outcome of one push. */
export interface PushResult {
  /** HTTP status, or 0 when the request itself failed. */
  readonly status: number;
  readonly error?: string;
}

/** Extra request settings from K6_PROMETHEUS_RW_* (auth, headers, timeout). */
export interface PushOptions {
  readonly timeoutMs: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * One POST of a snappy-compressed WriteRequest. Like k6: no retry; a non-2xx answer is reported to
 * the caller, which logs it and drops the batch.
 */
export async function push(
  url: string,
  series: readonly TimeSeries[],
  options: PushOptions,
): Promise<PushResult> {
  const body = snappyBlock(encodeWriteRequest(series));
  try {
    const res = await fetch(url, {
      method: "POST",
      // User-supplied headers first: k6 clones them, then sets its own four on top.
      headers: { ...options.headers, ...REMOTE_WRITE_HEADERS },
      body,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = await res.text();
    return res.ok ? { status: res.status } : { status: res.status, error: text.trim().slice(0, 500) };
  } catch (err) {
    return { status: 0, error: err instanceof Error ? err.message : String(err) };
  }
}
