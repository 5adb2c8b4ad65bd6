/** k6 metric types (metrics/metric_type.go). */
export type MetricType = "counter" | "gauge" | "rate" | "trend";
/** What a metric's values are (metrics/value_type.go): time in ms, data in bytes, or plain. */
export type ValueType = "default" | "time" | "data";

/** A k6 metric: built-in or declared by a script (k6/metrics). */
export interface Metric {
  readonly name: string;
  readonly type: MetricType;
  readonly contains: ValueType;
}

/** One measurement, as k6's metrics.Sample: tags are the sample's whole tag set. */
export interface MetricSample {
  readonly metric: Metric;
  readonly tags: Readonly<Record<string, string>>;
  readonly value: number;
  /** Wall-clock time in ms (fractional; k6 keeps ns and truncates to ms when mapping). */
  readonly time: number;
}

const m = (name: string, type: MetricType, contains: ValueType = "default"): Metric => ({
  name,
  type,
  contains,
});

/** k6 v1.8.1's built-in metrics the emitter produces (metrics/builtin.go). */
export const BUILTIN = {
  vus: m("vus", "gauge"),
  vusMax: m("vus_max", "gauge"),
  iterations: m("iterations", "counter"),
  iterationDuration: m("iteration_duration", "trend", "time"),
  droppedIterations: m("dropped_iterations", "counter"),
  checks: m("checks", "rate"),
  groupDuration: m("group_duration", "trend", "time"),
  httpReqs: m("http_reqs", "counter"),
  httpReqFailed: m("http_req_failed", "rate"),
  httpReqDuration: m("http_req_duration", "trend", "time"),
  httpReqBlocked: m("http_req_blocked", "trend", "time"),
  httpReqConnecting: m("http_req_connecting", "trend", "time"),
  httpReqTLSHandshaking: m("http_req_tls_handshaking", "trend", "time"),
  httpReqSending: m("http_req_sending", "trend", "time"),
  httpReqWaiting: m("http_req_waiting", "trend", "time"),
  httpReqReceiving: m("http_req_receiving", "trend", "time"),
  dataSent: m("data_sent", "counter", "data"),
  dataReceived: m("data_received", "counter", "data"),
} as const;

/**
 * k6's system tags (metrics/system_tag.go) and the default set K6_SYSTEM_TAGS falls back to
 * (lib/options.go DefaultSystemTagSet).
 */
export const ALL_SYSTEM_TAGS = [
  "proto",
  "subproto",
  "status",
  "method",
  "url",
  "name",
  "group",
  "check",
  "error",
  "error_code",
  "tls_version",
  "scenario",
  "service",
  "expected_response",
  "vu",
  "iter",
  "ip",
  "ocsp_status",
] as const;
/** k6's default set is every system tag but the per-VU/iteration ones, `ip` and `ocsp_status`. */
export const DEFAULT_SYSTEM_TAGS: readonly string[] = ALL_SYSTEM_TAGS.filter(
  (t) => !["vu", "iter", "ip", "ocsp_status"].includes(t),
);

/** Parses K6_SYSTEM_TAGS (comma-separated); throws on an unknown tag as k6 does. */
export function systemTags(raw: string | undefined): ReadonlySet<string> {
  if (raw === undefined) return new Set(DEFAULT_SYSTEM_TAGS);
  const tags = raw
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  for (const t of tags) {
    if (!(ALL_SYSTEM_TAGS as readonly string[]).includes(t)) {
      throw new Error(`K6_SYSTEM_TAGS: "${t}" is not a k6 system tag (${ALL_SYSTEM_TAGS.join(", ")})`);
    }
  }
  return new Set(tags);
}
