import { createHash } from "node:crypto";
import { Metric, MetricSample } from "./metrics";
import { CounterSink, GaugeSink, RateSink, TrendSink, sinkFor, trendStat } from "./sinks";

type Sink = CounterSink | GaugeSink | RateSink | TrendSink;

/** One threshold expression, e.g. `p(95)<500` on `http_req_duration`. */
export interface Threshold {
  readonly source: string;
  readonly aggregation: string;
  readonly op: string;
  readonly value: number;
  failed: boolean;
}

interface Tracked {
  readonly metric: Metric;
  readonly sink: Sink;
  /** Tag filter of a sub-metric (`http_req_duration{name:/x}`), empty for the metric itself. */
  readonly filter: Readonly<Record<string, string>>;
  readonly thresholds: Threshold[];
  samples: number;
}

const EXPRESSION = /^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?)\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** The summary's sink of a metric: trends keep every value (percentiles over the whole run). */
const summarySink = (metric: Metric): Sink => sinkFor(metric.type) as Sink;

function aggregate(t: Tracked, aggregation: string, durationMs: number): number {
  const s = t.sink;
  if (s instanceof CounterSink) {
    if (aggregation === "count") return s.value;
    if (aggregation === "rate") return durationMs > 0 ? s.value / (durationMs / 1000) : 0;
  } else if (s instanceof GaugeSink) {
    if (aggregation === "value") return s.value;
  } else if (s instanceof RateSink) {
    if (aggregation === "rate") return s.rate;
  } else if (aggregation !== "sum" && aggregation !== "count") {
    return trendStat(aggregation).resolve(s);
  }
  throw new Error(`threshold on ${t.metric.name}: "${aggregation}" does not apply to a ${t.metric.type}`);
}

function compare(a: number, op: string, b: number): boolean {
  switch (op) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "!=":
      return a !== b;
    default:
      return a === b;
  }
}

/** A check's counts in the root group or a group. */
interface CheckCount {
  passes: number;
  fails: number;
}

/**
 * The end-of-test summary: every metric aggregated over the whole run, thresholds evaluated on
 * those aggregates, checks counted per group; rendered in `--summary-export`'s JSON shape (k6's
 * "old JSON summary", internal/js/summary-wrapper.js oldJSONSummary).
 */
export class Summary {
  private readonly tracked = new Map<string, Tracked>();
  private readonly groups = new Map<string, Map<string, CheckCount>>([["", new Map()]]);

  constructor(
    thresholds: Readonly<Record<string, readonly string[] | string>> = {},
    private readonly trendStats: readonly string[] = ["avg", "min", "med", "max", "p(90)", "p(95)"],
    private readonly resolveMetric: (name: string) => Metric | undefined = () => undefined,
  ) {
    for (const stat of trendStats) trendStat(stat);
    for (const [key, exprs] of Object.entries(thresholds)) {
      const m = /^([A-Za-z_][\w]*)(?:\{(.*)\})?$/.exec(key.trim());
      if (!m) throw new Error(`thresholds: "${key}" is not a metric name or name{tag:value}`);
      const filter: Record<string, string> = {};
      for (const pair of (m[2] ?? "").split(",").filter((p) => p.trim() !== "")) {
        const at = pair.indexOf(":");
        if (at < 1) throw new Error(`thresholds: "${key}": "${pair}" is not tag:value`);
        filter[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
      }
      const metric = this.resolveMetric(m[1]!);
      if (!metric)
        throw new Error(`thresholds: no metric "${m[1]}" (a built-in metric, or one the script declares)`);
      const list = (Array.isArray(exprs) ? exprs : [exprs]).map((e) =>
        typeof e === "string" ? e : (e as { threshold: string }).threshold,
      );
      const parsed = list.map((source) => {
        const x = EXPRESSION.exec(source);
        if (!x) throw new Error(`thresholds: ${key}: "${source}" is not "<aggregation> <op> <number>"`);
        return { source, aggregation: x[1]!, op: x[2]!, value: Number(x[3]), failed: false };
      });
      this.tracked.set(key, { metric, sink: summarySink(metric), filter, thresholds: parsed, samples: 0 });
    }
  }

  add(samples: readonly MetricSample[]): void {
    for (const s of samples) {
      let own = this.tracked.get(s.metric.name);
      if (!own) {
        own = { metric: s.metric, sink: summarySink(s.metric), filter: {}, thresholds: [], samples: 0 };
        this.tracked.set(s.metric.name, own);
      }
      for (const t of this.tracked.values()) {
        if (t.metric.name !== s.metric.name) continue;
        if (Object.entries(t.filter).every(([k, v]) => s.tags[k] === v)) {
          t.sink.add(s.value);
          t.samples += 1;
        }
      }
    }
  }

  /** Registers a group path and its parents (a group without checks still appears). */
  touchGroup(group: string): Map<string, CheckCount> {
    const parts = group.split("::").slice(1);
    for (let i = 1; i <= parts.length; i++) {
      const p = `::${parts.slice(0, i).join("::")}`;
      if (!this.groups.has(p)) this.groups.set(p, new Map());
    }
    return this.groups.get(group)!;
  }

  addCheck(group: string, name: string, ok: boolean): void {
    const checks = this.touchGroup(group);
    const c = checks.get(name) ?? { passes: 0, fails: 0 };
    if (ok) c.passes += 1;
    else c.fails += 1;
    checks.set(name, c);
  }

  /** Evaluates every threshold; true when all pass. */
  evaluate(durationMs: number): boolean {
    let ok = true;
    for (const t of this.tracked.values()) {
      for (const th of t.thresholds) {
        // A threshold on a metric without samples is evaluated on zero values, as in k6.
        th.failed = !compare(aggregate(t, th.aggregation, durationMs), th.op, th.value);
        ok &&= !th.failed;
      }
    }
    return ok;
  }

  /** Thresholds with their outcome, for the text summary. */
  thresholds(): { metric: string; source: string; failed: boolean }[] {
    return [...this.tracked.entries()].flatMap(([key, t]) =>
      t.thresholds.map((th) => ({ metric: key, source: th.source, failed: th.failed })),
    );
  }

  /** Values of one metric as the summary reports them. */
  values(key: string, durationMs: number): Record<string, number> | undefined {
    const t = this.tracked.get(key);
    if (!t) return undefined;
    const s = t.sink;
    if (s instanceof CounterSink)
      return { count: s.value, rate: durationMs > 0 ? s.value / (durationMs / 1000) : 0 };
    if (s instanceof GaugeSink) return { value: s.value, min: s.min, max: s.max };
    if (s instanceof RateSink) return { passes: s.trues, fails: s.total - s.trues, value: s.rate };
    return Object.fromEntries(this.trendStats.map((stat) => [stat, trendStat(stat).resolve(s)]));
  }

  /** The `--summary-export` document. */
  exportJson(durationMs: number): Record<string, unknown> {
    const metrics: Record<string, unknown> = {};
    for (const [key, t] of this.tracked) {
      if (t.samples === 0 && t.thresholds.length === 0) continue;
      const values: Record<string, unknown> = { ...this.values(key, durationMs) };
      if (t.thresholds.length > 0) {
        values.thresholds = Object.fromEntries(t.thresholds.map((th) => [th.source, th.failed]));
      }
      metrics[key] = values;
    }
    return { root_group: this.group(""), metrics };
  }

  private group(path: string): Record<string, unknown> {
    const name = path === "" ? "" : path.slice(path.lastIndexOf("::") + 2);
    const children = [...this.groups.keys()].filter(
      (g) => g !== path && g.startsWith(`${path}::`) && !g.slice(path.length + 2).includes("::"),
    );
    const checks = this.groups.get(path) ?? new Map<string, CheckCount>();
    return {
      name,
      path,
      id: md5(path),
      groups: Object.fromEntries(children.map((g) => [g.slice(g.lastIndexOf("::") + 2), this.group(g)])),
      checks: Object.fromEntries(
        [...checks.entries()].map(([n, c]) => [
          n,
          { name: n, path: `${path}::${n}`, id: md5(`${path}::${n}`), ...c },
        ]),
      ),
    };
  }
}

function md5(text: string): string {
  return createHash("md5").update(text).digest("hex");
}
