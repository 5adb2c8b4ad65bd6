import { Metric, MetricSample } from "./metrics";
import {
  CounterSink,
  GaugeSink,
  NativeHistogramSink,
  RateSink,
  TrendSink,
  TrendStat,
  sinkFor,
  trendStat,
} from "./sinks";
import { DEFAULT_TIMEOUT_MS, Label, PushResult, TimeSeries, push } from "./wire";

/** Settings of k6's experimental-prometheus-rw output, read from the same env k6 reads. */
export interface RemoteWriteConfig {
  readonly url: string;
  readonly pushIntervalMs: number;
  readonly timeoutMs: number;
  readonly trendAsNativeHistogram: boolean;
  readonly trendStats: readonly TrendStat[];
  readonly staleMarkers: boolean;
  readonly headers: Readonly<Record<string, string>>;
}

/** Go's time.ParseDuration for the units k6 users write (ns..h, combined: `1m30s`). */
export function parseGoDuration(text: string, key: string): number {
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let match = re.exec(text); match; match = re.exec(text)) {
    total += Number(match[1]) * units[match[2]!]!;
    end = re.lastIndex;
  }
  if (text === "" || end !== text.length) {
    throw new Error(`${key}=${JSON.stringify(text)} is not a duration such as 5s, 500ms or 1m30s`);
  }
  return total;
}

/** Go's strconv.ParseBool, which k6's envconfig uses for boolean settings. */
export function parseGoBool(text: string, key: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  throw new Error(`${key}=${JSON.stringify(text)} is not a boolean`);
}

/** The output's config from env, with k6 v1.8.1's defaults (remotewrite/config.go). */
export function remoteWriteConfig(env: Readonly<Record<string, string | undefined>>): RemoteWriteConfig {
  const headers: Record<string, string> = {};
  const user = env.K6_PROMETHEUS_RW_USERNAME;
  if (user !== undefined || env.K6_PROMETHEUS_RW_PASSWORD !== undefined) {
    headers.Authorization = `Basic ${Buffer.from(`${user ?? ""}:${env.K6_PROMETHEUS_RW_PASSWORD ?? ""}`).toString("base64")}`;
  }
  if (env.K6_PROMETHEUS_RW_BEARER_TOKEN)
    headers.Authorization = `Bearer ${env.K6_PROMETHEUS_RW_BEARER_TOKEN}`;
  for (const pair of (env.K6_PROMETHEUS_RW_HTTP_HEADERS ?? "").split(",").filter((p) => p.trim() !== "")) {
    const at = pair.indexOf(":");
    if (at < 1) throw new Error(`K6_PROMETHEUS_RW_HTTP_HEADERS: "${pair}" is not name:value`);
    headers[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith("K6_PROMETHEUS_RW_HEADERS_") && v !== undefined) {
      headers[k.slice("K6_PROMETHEUS_RW_HEADERS_".length)] = v;
    }
  }
  const stats = (env.K6_PROMETHEUS_RW_TREND_STATS ?? "p(99)")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const bool = (key: string): boolean => (env[key] === undefined ? false : parseGoBool(env[key], key));
  return {
    url: env.K6_PROMETHEUS_RW_SERVER_URL ?? "http://localhost:9090/api/v1/write",
    pushIntervalMs: parseGoDuration(
      env.K6_PROMETHEUS_RW_PUSH_INTERVAL ?? "5s",
      "K6_PROMETHEUS_RW_PUSH_INTERVAL",
    ),
    timeoutMs:
      env.K6_PROMETHEUS_RW_TIMEOUT === undefined
        ? DEFAULT_TIMEOUT_MS
        : parseGoDuration(env.K6_PROMETHEUS_RW_TIMEOUT, "K6_PROMETHEUS_RW_TIMEOUT"),
    trendAsNativeHistogram: bool("K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM"),
    trendStats: stats.map(trendStat),
    staleMarkers: bool("K6_PROMETHEUS_RW_STALE_MARKERS"),
    headers,
  };
}

/** Prometheus' staleness marker: a NaN with this exact bit pattern (prometheus/model/value). */
export const STALE_NAN_BITS = 0x7ff0000000000002n;
const staleView = new DataView(new ArrayBuffer(8));
staleView.setBigUint64(0, STALE_NAN_BITS);
/** The stale-marker float; JS keeps NaN payloads through Float64 typed arrays and protobuf writes. */
export const STALE_MARKER = staleView.getFloat64(0);

/**
 * Labels of a series: the sample's tags with empty keys or values dropped, plus `__name__`
 * (`k6_<metric>[_suffix]`), sorted by name (remotewrite/prometheus.go MapSeries).
 */
export function seriesLabels(
  metric: string,
  tags: Readonly<Record<string, string>>,
  suffix: string,
): Label[] {
  const labels: Label[] = Object.entries(tags)
    .filter(([k, v]) => k !== "" && v !== "")
    .map(([name, value]) => ({ name, value }));
  labels.push({ name: "__name__", value: `k6_${metric}${suffix === "" ? "" : `_${suffix}`}` });
  return labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

type Sink = CounterSink | GaugeSink | RateSink | TrendSink | NativeHistogramSink;

interface Series {
  readonly metric: Metric;
  readonly tags: Readonly<Record<string, string>>;
  readonly sink: Sink;
  /** Latest sample time, truncated to ms. */
  latest: number;
}

/** k6 converts time trends from ms to seconds, for every stat (count included). */
const adaptUnit = (metric: Metric, v: number): number => (metric.contains === "time" ? v / 1000 : v);

/** A series' identity: metric name plus its full tag set (k6's metrics.TimeSeries). */
function seriesKey(metric: Metric, tags: Readonly<Record<string, string>>): string {
  const pairs = Object.keys(tags)
    .sort()
    .map((k) => `${k}\u0000${tags[k]}`);
  return `${metric.name}\u0001${pairs.join("\u0001")}`;
}

/** What one flush sent, for logs and tests. */
export interface FlushRecord {
  readonly series: readonly TimeSeries[];
  readonly result: PushResult;
  readonly stale: boolean;
}

/**
 * The remote-write output: buffers samples, and every push interval sends one request with only
 * the series that got a newer sample since the previous flush, each with its cumulative value at
 * its latest timestamp; on stop, a last flush and, with stale markers enabled, one more request
 * marking every series ever sent as stale at now + 1 ms.
 */
export class RemoteWriteOutput {
  private readonly tsdb = new Map<string, Series>();
  private buffer: MetricSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Every request made, in order. */
  readonly flushes: FlushRecord[] = [];

  constructor(
    readonly config: RemoteWriteConfig,
    private readonly log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.config.pushIntervalMs);
  }

  add(samples: readonly MetricSample[]): void {
    for (const s of samples) this.buffer.push(s);
  }

  /** One flush; flushes never overlap (k6's periodic flusher runs them one at a time). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushOnce());
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    if (!this.config.staleMarkers || this.tsdb.size === 0) return;
    const series = this.staleMarkers();
    const result = await push(this.config.url, series, this.config);
    this.flushes.push({ series, result, stale: true });
    if (result.error !== undefined)
      this.log(`level=error msg="marking time series as stale failed: ${describe(result)}"`);
  }

  /** Samples converted to series without sending (the conversion k6's flush does). */
  convert(samples: readonly MetricSample[]): TimeSeries[] {
    const seen = new Set<string>();
    for (const sample of samples) {
      const key = seriesKey(sample.metric, sample.tags);
      const t = Math.trunc(sample.time);
      let series = this.tsdb.get(key);
      if (!series) {
        series = {
          metric: sample.metric,
          tags: sample.tags,
          sink: sinkFor(sample.metric.type, this.config.trendAsNativeHistogram),
          latest: t,
        };
        this.tsdb.set(key, series);
        seen.add(key);
      } else if (t > series.latest) {
        // Only a strictly newer millisecond is sent again: a repeat would be a duplicate sample.
        series.latest = t;
        seen.add(key);
      }
      series.sink.add(
        sample.metric.type === "trend" && this.config.trendAsNativeHistogram
          ? adaptUnit(sample.metric, sample.value)
          : sample.value,
      );
    }
    return [...seen].flatMap((key) => this.toSeries(this.tsdb.get(key)!));
  }

  private async flushOnce(): Promise<void> {
    const samples = this.buffer;
    this.buffer = [];
    if (samples.length === 0) return;
    const series = this.convert(samples);
    const result = await push(this.config.url, series, this.config);
    this.flushes.push({ series, result, stale: false });
    if (result.error !== undefined) {
      this.log(
        `level=error msg="Failed to send the time series data to the endpoint" error="${describe(result)}"`,
      );
    }
  }

  private toSeries(s: Series): TimeSeries[] {
    const sample = (suffix: string, value: number): TimeSeries => ({
      labels: seriesLabels(s.metric.name, s.tags, suffix),
      samples: [{ value, timestamp: s.latest }],
    });
    if (s.sink instanceof CounterSink) return [sample("total", s.sink.value)];
    if (s.sink instanceof GaugeSink) return [sample("", s.sink.value)];
    if (s.sink instanceof RateSink) return [sample("rate", s.sink.rate)];
    if (s.sink instanceof NativeHistogramSink) {
      const suffix = s.metric.contains === "time" ? "seconds" : s.metric.contains === "data" ? "bytes" : "";
      return [
        { labels: seriesLabels(s.metric.name, s.tags, suffix), histograms: [s.sink.toProto(s.latest)] },
      ];
    }
    const trend = s.sink;
    return this.config.trendStats.map((stat) =>
      sample(stat.suffix, adaptUnit(s.metric, stat.resolve(trend))),
    );
  }

  /** Every series seen, marked stale at now + 1 ms; native series keep their last histogram. */
  private staleMarkers(): TimeSeries[] {
    const timestamp = Math.trunc(this.now()) + 1;
    return [...this.tsdb.values()].flatMap((s) =>
      this.toSeries(s).map((ts) => ({ ...ts, samples: [{ value: STALE_MARKER, timestamp }] })),
    );
  }
}

function describe(result: PushResult): string {
  return result.status === 0
    ? `HTTP POST request failed: ${result.error ?? ""}`
    : `got status code: ${result.status} instead expected a 2xx successful status code: ${result.error ?? ""}`;
}
