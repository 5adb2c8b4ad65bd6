import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { REPO_DIR } from "./tools";

/**
 * What Grafana does to a Prometheus panel query before sending it: variable interpolation and the
 * interval arithmetic ($__interval, $__rate_interval, $__range), reproduced from Grafana's
 * Prometheus datasource so the tests run exactly the query a panel would run.
 */

/** A provisioned dashboard JSON, as far as the tests read it. */
export interface DashboardJson {
  uid: string;
  title: string;
  panels: { id: number; title: string; type: string; targets?: TargetJson[] }[];
  templating: { list?: VariableJson[] };
  annotations?: { list?: AnnotationJson[] };
}

/** A dashboard annotation query (Prometheus datasource). */
export interface AnnotationJson {
  name: string;
  enable?: boolean;
  datasource?: { type?: string; uid?: string };
  /** Current form; Grafana moves the legacy top-level `expr`/`step` into it. */
  target?: { expr?: string; interval?: string; refId?: string };
  expr?: string;
  step?: string;
  useValueForTime?: boolean;
  titleFormat?: string;
  textFormat?: string;
  tagKeys?: string;
}

/** A Prometheus panel target. */
export interface TargetJson {
  expr: string;
  refId: string;
  instant?: boolean;
  range?: boolean;
  datasource?: { type?: string; uid?: string };
  legendFormat?: string;
}

/** A dashboard variable. */
export interface VariableJson {
  name: string;
  type: string;
  query?: string | { query?: string };
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  datasource?: { type?: string; uid?: string };
  /** Grafana regex applied to each value's text (`/.../`); the first capture group is kept. */
  regex?: string;
  /** Grafana's VariableSort: 0 disabled (query order), 1 alphabetical asc, 2 alphabetical desc. */
  sort?: number;
}

/** Dashboards Grafana provisions for a trend mode: the JSON files of `common` and the mode's folder. */
export function provisionedDashboardFiles(
  folders: readonly string[],
): { file: string; json: DashboardJson }[] {
  const out: { file: string; json: DashboardJson }[] = [];
  for (const folder of folders) {
    const dir = path.join(REPO_DIR, "provisioning/grafana/dashboards", folder);
    for (const name of fs
      .readdirSync(dir)
      .filter((n) => n.endsWith(".json"))
      .sort()) {
      const file = path.join(dir, name);
      out.push({ file, json: JSON.parse(fs.readFileSync(file, "utf8")) as DashboardJson });
    }
  }
  return out;
}

/** The dashboard a trend mode's folder provisions whose uid starts with `prefix`, or throws. */
export function provisionedDashboard(mode: string, prefix: string): DashboardJson {
  const found = provisionedDashboardFiles([mode]).find(({ json }) => json.uid.startsWith(prefix));
  if (found === undefined) throw new Error(`no ${prefix}* dashboard in ${mode}`);
  return found.json;
}

/**
 * The datasource's minimum interval (jsonData.timeInterval of the provisioned datasource), which
 * Grafana also uses as the scrape interval in $__rate_interval. Grafana's default is 15s.
 */
export function datasourceTimeIntervalSeconds(): number {
  const file = path.join(REPO_DIR, "provisioning/grafana/provisioning/datasources/prometheus.yaml");
  if (fs.existsSync(file)) {
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) as {
      datasources?: { uid?: string; jsonData?: { timeInterval?: string } }[];
    };
    const ti = doc.datasources?.find((d) => d.uid === "prometheus")?.jsonData?.timeInterval;
    if (ti !== undefined) {
      return parseDuration(ti);
    }
  }
  return 15;
}

/** Seconds in a Grafana/Prometheus duration such as `15s`, `1m`, `1h30m`. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  let total = 0;
  let consumed = "";
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g)) {
    total += Number(m[1]) * (units[m[2] ?? "s"] ?? 1);
    consumed += m[0];
  }
  if (consumed !== text) {
    throw new Error(`not a duration: ${text}`);
  }
  return total;
}

/** Grafana's `kbn.roundInterval`: the interval snapped to a "nice" value, in seconds. */
export function roundInterval(seconds: number): number {
  const ms = seconds * 1000;
  const table: [number, number][] = [
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1500, 1000],
    [3500, 2000],
    [7500, 5000],
    [12500, 10000],
    [17500, 15000],
    [25000, 20000],
    [45000, 30000],
    [90000, 60000],
    [210000, 120000],
    [450000, 300000],
    [750000, 600000],
    [1050000, 900000],
    [1500000, 1200000],
    [2700000, 1800000],
    [5400000, 3600000],
    [9000000, 7200000],
    [16200000, 10800000],
    [32400000, 21600000],
    [86400000, 43200000],
    [604800000, 86400000],
    [1814400000, 604800000],
    [3628800000, 2592000000],
  ];
  for (const [limit, value] of table) {
    if (ms < limit) {
      return value / 1000;
    }
  }
  return 31536000;
}

/** A dashboard time range in Unix seconds. */
export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

/** Selected values of the dashboard's variables. */
export type VariableSelection = Record<string, { readonly values: readonly string[] } | "all">;

/** The query Grafana sends for one panel target. */
export interface PreparedQuery {
  readonly expr: string;
  readonly instant: boolean;
  /** Range query step (the panel's $__interval), seconds. */
  readonly step: number;
  /** Range query start/end after Grafana aligns them to the step; instant queries use `end`. */
  readonly start: number;
  readonly end: number;
}

/** Options of {@link prepareQuery}. */
export interface PrepareOptions {
  readonly range: TimeRange;
  readonly variables: readonly VariableJson[];
  readonly selection: VariableSelection;
  /** Options of query variables (for "All" without allValue). */
  readonly variableOptions?: Record<string, readonly string[]>;
  /** Panel width in pixels; Grafana's max data points. */
  readonly maxDataPoints?: number;
  /** Datasource min interval = scrape interval, seconds. */
  readonly scrapeInterval?: number;
}

/** Grafana's regex escaping of a variable value inside a Prometheus regex matcher. */
export function prometheusRegexEscape(value: string): string {
  return value.replace(/\\/g, "\\\\\\\\").replace(/[$^*{}[\]'+?.()|]/g, "\\\\$&");
}

/** Interpolates Grafana's variables into a panel's PromQL and computes step and range, as Grafana does. */
export function prepareQuery(target: TargetJson, options: PrepareOptions): PreparedQuery {
  const scrape = options.scrapeInterval ?? datasourceTimeIntervalSeconds();
  const rangeSeconds = Math.max(1, Math.round(options.range.to - options.range.from));
  const interval = Math.max(roundInterval(rangeSeconds / (options.maxDataPoints ?? 1000)), scrape);
  const rateInterval = Math.max(interval + scrape, 4 * scrape);

  const builtins: Record<string, string> = {
    __interval: `${interval}s`,
    __interval_ms: String(interval * 1000),
    __rate_interval: `${rateInterval}s`,
    __rate_interval_ms: String(rateInterval * 1000),
    __range: `${rangeSeconds}s`,
    __range_s: String(rangeSeconds),
    __range_ms: String(rangeSeconds * 1000),
  };
  const custom: Record<string, string> = {};
  for (const v of options.variables) {
    const sel = options.selection[v.name];
    if (sel === undefined) {
      throw new Error(`no selection for dashboard variable $${v.name}`);
    }
    if (sel === "all") {
      if (!v.includeAll) {
        throw new Error(`variable $${v.name} has no "All" option`);
      }
      const all = options.variableOptions?.[v.name] ?? [];
      custom[v.name] = v.allValue ?? `(${all.map(prometheusRegexEscape).join("|")})`;
    } else if (v.multi || v.includeAll) {
      const escaped = sel.values.map(prometheusRegexEscape);
      custom[v.name] = escaped.length === 1 ? (escaped[0] ?? "") : `(${escaped.join("|")})`;
    } else {
      custom[v.name] = (sel.values[0] ?? "").replace(/\\/g, "\\\\").replace(/'/g, "\\\\'");
    }
  }
  const lookup = (name: string): string => {
    const value = builtins[name] ?? custom[name];
    if (value === undefined) {
      throw new Error(`unknown variable $${name} in ${target.expr}`);
    }
    return value;
  };
  const expr = target.expr
    .replace(/\$\{(\w+)\}/g, (_, name: string) => lookup(name))
    .replace(/\[\[(\w+)\]\]/g, (_, name: string) => lookup(name))
    .replace(/\$(\w+)/g, (_, name: string) => lookup(name));

  // Grafana aligns range queries to the step so that refreshes hit the same evaluation points.
  const start = Math.floor(options.range.from / interval) * interval;
  const end = Math.ceil(options.range.to / interval) * interval;
  return {
    expr,
    instant: target.instant === true,
    step: interval,
    start,
    end: target.instant === true ? options.range.to : end,
  };
}

/** The expression of a query variable (`label_values(metric{...}, label)`), or undefined. */
export function variableQuery(v: VariableJson): string | undefined {
  if (typeof v.query === "string") {
    return v.query;
  }
  return v.query?.query;
}

/** The answers the variable and annotation evaluation needs from a Prometheus server. */
export interface PrometheusApi {
  api<T>(apiPath: string, params: Record<string, string>): Promise<{ data: T }>;
  queryRange(
    expr: string,
    start: number,
    end: number,
    stepSeconds: number,
  ): Promise<{ metric: Record<string, string>; values?: [number, string][] }[]>;
}

/** The variables an expression refers to (`$name`, `${name}`, `[[name]]`), builtins excluded. */
function referencedVariables(expr: string, variables: readonly VariableJson[]): VariableJson[] {
  return variables.filter((v) => new RegExp(`\\$\\{?${v.name}\\b|\\[\\[${v.name}\\]\\]`).test(expr));
}

/** Grafana's variable regex: `/body/flags`, the first capture group (or the whole match) kept. */
function applyVariableRegex(texts: readonly string[], regex: string | undefined): string[] {
  if (regex === undefined || regex === "") {
    return [...texts];
  }
  const m = /^\/(.*)\/([gimsuy]*)$/.exec(regex);
  if (m === null) {
    throw new Error(`variable regex ${regex} is not of the form /.../flags`);
  }
  const re = new RegExp(m[1] ?? "", m[2]);
  const out: string[] = [];
  for (const text of texts) {
    const match = re.exec(text);
    if (match !== null) {
      out.push(match[1] ?? match[0]);
    }
  }
  return out;
}

/**
 * The values Grafana offers for a query variable over `range`, in the order it shows them:
 * - `label_values(selector, label)`: /api/v1/label/<label>/values with the selector and the range;
 * - `query_result(expr)`: an instant query at the range's end, each vector element as the text
 *   `name{k="v",...} value ms` (Grafana's metric_find_query format);
 * then the variable's regex (first capture group), duplicates dropped, and its sort (0 keeps the
 * query's order). Variables the query refers to are interpolated from `selection`.
 */
export async function variableValues(
  prom: PrometheusApi,
  v: VariableJson,
  options: {
    readonly range: TimeRange;
    readonly variables: readonly VariableJson[];
    readonly selection: VariableSelection;
  },
): Promise<string[]> {
  const raw = variableQuery(v) ?? "";
  const expr = prepareQuery(
    { expr: raw, refId: "var", instant: true },
    {
      range: options.range,
      variables: referencedVariables(raw, options.variables),
      selection: options.selection,
    },
  ).expr;
  let texts: string[];
  const labelValues = /^label_values\((.*),\s*(\w+)\)$/.exec(expr);
  const queryResult = /^query_result\((.*)\)$/.exec(expr);
  if (labelValues !== null) {
    const values = await prom.api<string[]>(`/api/v1/label/${labelValues[2]}/values`, {
      "match[]": labelValues[1] ?? "",
      start: String(options.range.from),
      end: String(options.range.to),
    });
    texts = values.data;
  } else if (queryResult !== null) {
    const answer = await prom.api<{
      resultType: string;
      result: { metric: Record<string, string>; value: [number, string] }[];
    }>("/api/v1/query", { query: queryResult[1] ?? "", time: String(options.range.to) });
    if (answer.data.resultType !== "vector") {
      throw new Error(
        `query_result of ${v.name} returned a ${answer.data.resultType}; the harness handles vectors`,
      );
    }
    texts = answer.data.result.map(({ metric, value }) => {
      const { __name__: name = "", ...labels } = metric;
      const pairs = Object.entries(labels).map(([k, val]) => `${k}="${val}"`);
      return `${name}{${pairs.join(",")}} ${value[1]} ${value[0] * 1000}`;
    });
  } else {
    throw new Error(
      `variable ${v.name}: the harness reads label_values(...) and query_result(...), not ${raw}`,
    );
  }
  const values = [...new Set(applyVariableRegex(texts, v.regex))];
  switch (v.sort ?? 0) {
    case 0:
      return values;
    case 1:
      return values.sort();
    case 2:
      return values.sort().reverse();
    default:
      throw new Error(`variable ${v.name}: sort ${String(v.sort)} is not reproduced by the harness`);
  }
}

/** One annotation event as Grafana draws it: a marker (time = timeEnd) or a region, in ms. */
export interface AnnotationEvent {
  readonly annotation: string;
  readonly labels: Record<string, string>;
  readonly time: number;
  readonly timeEnd: number;
}

/**
 * The events of a dashboard's Prometheus annotation queries over `range`, as Grafana computes them
 * (its Prometheus datasource's annotation support): a range query with the annotation's step as
 * the minimum interval (60s by default); per series, the points with a value > 0 (with
 * `useValueForTime`, every point, its value taken as the time in ms) grouped into one event while
 * consecutive times are at most one step apart.
 */
export async function annotationEvents(
  prom: PrometheusApi,
  json: DashboardJson,
  options: { readonly range: TimeRange; readonly selection: VariableSelection },
): Promise<AnnotationEvent[]> {
  const out: AnnotationEvent[] = [];
  for (const a of json.annotations?.list ?? []) {
    const raw = a.target?.expr ?? a.expr;
    if (raw === undefined || a.enable === false) {
      continue;
    }
    const minStep = parseDuration(a.target?.interval ?? a.step ?? "60s");
    const variables = referencedVariables(raw, json.templating.list ?? []);
    const q = prepareQuery(
      { expr: raw, refId: "Anno" },
      { range: options.range, variables, selection: options.selection, scrapeInterval: minStep },
    );
    const stepMs = q.step * 1000;
    for (const series of await prom.queryRange(q.expr, q.start, q.end, q.step)) {
      const points = (series.values ?? []).map(([t, v]): [number, number] =>
        a.useValueForTime ? [Math.floor(Number(v)), 1] : [Math.floor(t * 1000), Number(v)],
      );
      const times = points.filter(([, v]) => v > 0).map(([t]) => t);
      let open: { time: number; timeEnd: number } | undefined;
      for (const t of times) {
        if (open !== undefined && open.timeEnd + stepMs >= t) {
          open.timeEnd = t;
          continue;
        }
        if (open !== undefined) {
          out.push({ annotation: a.name, labels: series.metric, ...open });
        }
        open = { time: t, timeEnd: t };
      }
      if (open !== undefined) {
        out.push({ annotation: a.name, labels: series.metric, ...open });
      }
    }
  }
  return out;
}
