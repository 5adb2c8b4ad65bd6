import { MetricType } from "./metrics";
import { BucketSpan, Histogram } from "./wire";

/**
 * Aggregates of one k6 time series, mirroring k6 v1.8.1's metrics/sink.go: every value is
 * cumulative since the run started (k6's remote-write output sends totals, never deltas).
 */

/** Counter: the running total (CounterSink). */
export class CounterSink {
  value = 0;
  add(v: number): void {
    this.value += v;
  }
}

/** Gauge: the last value, with min and max for the summary (GaugeSink). */
export class GaugeSink {
  value = 0;
  min = 0;
  max = 0;
  private minSet = false;
  add(v: number): void {
    this.value = v;
    if (v > this.max) this.max = v;
    if (v < this.min || !this.minSet) {
      this.min = v;
      this.minSet = true;
    }
  }
}

/** Rate: the share of non-zero values (RateSink). */
export class RateSink {
  trues = 0;
  total = 0;
  add(v: number): void {
    this.total += 1;
    if (v !== 0) this.trues += 1;
  }
  get rate(): number {
    return this.total > 0 ? this.trues / this.total : 0;
  }
}

/** Trend: every value kept, percentiles by linear interpolation between ranks (TrendSink.P). */
export class TrendSink {
  private values: number[] = [];
  private sorted = true;
  count = 0;
  min = 0;
  max = 0;
  sum = 0;

  add(v: number): void {
    if (this.count === 0) {
      this.min = v;
      this.max = v;
    } else {
      if (v > this.max) this.max = v;
      if (v < this.min) this.min = v;
    }
    this.values.push(v);
    this.sorted = false;
    this.count += 1;
    this.sum += v;
  }

  get avg(): number {
    return this.count > 0 ? this.sum / this.count : 0;
  }

  /** Percentile `pct` in [0, 1]. */
  p(pct: number): number {
    if (this.count === 0) return 0;
    if (this.count === 1) return this.values[0]!;
    if (!this.sorted) {
      this.values.sort((a, b) => a - b);
      this.sorted = true;
    }
    const i = pct * (this.count - 1);
    const lo = this.values[Math.floor(i)]!;
    const hi = this.values[Math.ceil(i)]!;
    return lo + (hi - lo) * (i - Math.floor(i));
  }
}

/** A trend statistic by its k6 name (`avg`, `p(95)`, ...): how to compute it and its series suffix. */
export interface TrendStat {
  /** As configured, e.g. `p(99.9)`. */
  readonly stat: string;
  /** Series-name suffix: `p(99.9)` -> `p999`, `p(0.5)` -> `p05`, `avg` -> `avg`. */
  readonly suffix: string;
  readonly resolve: (sink: TrendSink) => number;
}

const PERCENTILE = /^p\((\d+(?:\.\d+)?)\)$/;

/**
 * Resolvers for configured trend stats, as k6's GetResolversForTrendColumns plus the `sum` the
 * remote-write output adds (remotewrite.go setTrendStatsResolver). Throws on an unknown stat: k6
 * refuses to start with it.
 */
export function trendStat(stat: string): TrendStat {
  const fixed: Record<string, (s: TrendSink) => number> = {
    avg: (s) => s.avg,
    min: (s) => s.min,
    max: (s) => s.max,
    med: (s) => s.p(0.5),
    count: (s) => s.count,
    sum: (s) => s.sum,
  };
  const fn = fixed[stat];
  if (fn) return { stat, suffix: stat, resolve: fn };
  const m = PERCENTILE.exec(stat);
  if (m) {
    const pct = Number(m[1]) / 100;
    if (pct > 1) throw new Error(`invalid trend stat "${stat}": percentile above 100`);
    return { stat, suffix: `p${m[1]!.replace(/\./g, "")}`, resolve: (s) => s.p(pct) };
  }
  throw new Error(`invalid trend stat "${stat}": use avg, min, max, med, count, sum or p(N)`);
}

/**
 * Upper bounds of the schema-3 buckets within one power of two, as client_golang's
 * nativeHistogramBounds[3] lists them: 2^(i/8)/2 for i = 0..7.
 */
export const SCHEMA3_BOUNDS: readonly number[] = [
  0.5, 0.5452538663326288, 0.5946035575013605, 0.6484197773255048, 0.7071067811865475, 0.7711054127039704,
  0.8408964152537144, 0.9170040432046711,
];

/** client_golang's default native-histogram zero threshold (2^-128). */
export const ZERO_THRESHOLD = 2.938735877055719e-39;

const frexpView = new DataView(new ArrayBuffer(8));

/** Go's math.Frexp for finite v > 0: v = frac * 2^exp with frac in [0.5, 1), read off the bits. */
export function frexp(v: number): { frac: number; exp: number } {
  let adjust = 0;
  if (v < 2.2250738585072014e-308) {
    // Subnormal: scale into the normal range first, as Go's normalize does.
    v *= 2 ** 52;
    adjust = -52;
  }
  frexpView.setFloat64(0, v);
  const hi = frexpView.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  frexpView.setUint32(0, (hi & 0x800fffff) | (1022 << 20));
  return { frac: frexpView.getFloat64(0), exp: biased - 1022 + adjust };
}

/** Index of the first bound >= x (Go's sort.SearchFloat64s). */
function searchBounds(bounds: readonly number[], x: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bounds[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Schema-3 bucket key of |v| as client_golang computes it (frexp, then a search in the bounds). */
export function schema3Key(v: number): number {
  // client_golang files an infinity one bucket above the largest finite value.
  const inf = !Number.isFinite(v);
  const { frac, exp } = frexp(inf ? Number.MAX_VALUE : Math.abs(v));
  return searchBounds(SCHEMA3_BOUNDS, frac) + (exp - 1) * SCHEMA3_BOUNDS.length + (inf ? 1 : 0);
}

/**
 * Spans and deltas of sparse buckets, as client_golang's makeBuckets: keys sorted; a gap of one or
 * two empty buckets is filled with zero-count buckets inside the span, a larger gap starts a new
 * span; deltas are differences to the previous bucket's count.
 */
export function spansAndDeltas(buckets: ReadonlyMap<number, number>): {
  spans: BucketSpan[];
  deltas: number[];
} {
  const keys = [...buckets.keys()].sort((a, b) => a - b);
  const spans: { offset: number; length: number }[] = [];
  const deltas: number[] = [];
  let prev = 0;
  let next = 0;
  const append = (count: number): void => {
    spans[spans.length - 1]!.length += 1;
    deltas.push(count - prev);
    prev = count;
  };
  keys.forEach((key, n) => {
    const gap = key - next;
    if (n === 0 || gap > 2) {
      spans.push({ offset: gap, length: 0 });
    } else {
      for (let j = 0; j < gap; j++) append(0);
    }
    append(buckets.get(key)!);
    next = key + 1;
  });
  return { spans, deltas };
}

/**
 * A native histogram with bucket factor 1.1 (schema 3), the sink k6 uses for trends when
 * K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM is true (remotewrite/trend.go nativeHistogramSink).
 */
export class NativeHistogramSink {
  readonly schema = 3;
  count = 0;
  sum = 0;
  zeroCount = 0;
  private readonly positive = new Map<number, number>();
  private readonly negative = new Map<number, number>();

  add(v: number): void {
    this.count += 1;
    this.sum += v;
    if (v > ZERO_THRESHOLD) {
      const key = schema3Key(v);
      this.positive.set(key, (this.positive.get(key) ?? 0) + 1);
    } else if (v < -ZERO_THRESHOLD) {
      const key = schema3Key(v);
      this.negative.set(key, (this.negative.get(key) ?? 0) + 1);
    } else {
      this.zeroCount += 1;
    }
  }

  /** The cumulative histogram at `timestamp` (ms), as histogramToHistogramProto maps it. */
  toProto(timestamp: number): Histogram {
    const pos = spansAndDeltas(this.positive);
    const neg = spansAndDeltas(this.negative);
    return {
      countInt: this.count,
      sum: this.sum,
      schema: this.schema,
      zeroThreshold: ZERO_THRESHOLD,
      zeroCountInt: this.zeroCount,
      negativeSpans: neg.spans,
      negativeDeltas: neg.deltas,
      positiveSpans: pos.spans,
      positiveDeltas: pos.deltas,
      timestamp,
    };
  }
}

/** A metric type's sink; trends as native histograms when `nativeTrends` (the output's setting). */
export function sinkFor(
  type: MetricType,
  nativeTrends = false,
): CounterSink | GaugeSink | RateSink | TrendSink | NativeHistogramSink {
  switch (type) {
    case "counter":
      return new CounterSink();
    case "gauge":
      return new GaugeSink();
    case "rate":
      return new RateSink();
    case "trend":
      return nativeTrends ? new NativeHistogramSink() : new TrendSink();
  }
}
