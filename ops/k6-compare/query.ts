/**
 * Prometheus for the gate: which URL (flag, env, stack output), a small HTTP API client over the
 * global fetch, and each run's window, trend mode and whole-run figures (PromQL from
 * model/run-queries.ts, the dashboards' own).
 */
import {
  runErrorRateQuery,
  runLatencyQuantileQuery,
  runLatencySeriesSelectors,
  runSelector,
  runStartQuery,
  runThroughputQuery,
  runCheckRateQuery,
  runVusSamplesQuery,
} from "../../model/run-queries";
import { TrendMode, isTrendMode } from "../../model/trend-mode";
import { Figure, RunFigures, RunSummary } from "./compare";
import { UnavailableError, UsageError } from "./errors";

/** Where the Prometheus URL came from, for error messages. */
export interface PrometheusTarget {
  /** Base URL without a trailing slash. */
  readonly url: string;
  /** How it was chosen, e.g. `--prometheus`, `PROMETHEUS_URL`, `stack output prometheusUrl of stack dev`. */
  readonly source: string;
  /** The stack's trendMode output, when the stack outputs were read. */
  readonly trendModeHint?: TrendMode;
  /** Basic auth for a Prometheus that requires it (stack setting prometheusAuth / an exposed bind). */
  readonly auth?: { readonly user: string; readonly password: string; readonly source: string };
}

/** What the stack outputs give the gate. */
export interface StackPrometheus {
  readonly prometheusUrl: string;
  readonly trendMode?: string;
  /** Basic-auth user (stack output prometheusUser). */
  readonly prometheusUser?: string;
  /** Basic-auth password (stack output prometheusPassword, read with --show-secrets). */
  readonly prometheusPassword?: string;
}

/**
 * Credentials from PROMETHEUS_USER and PROMETHEUS_PASSWORD (both or neither; never a flag, which
 * `ps` would show).
 */
function envAuth(env: Readonly<Record<string, string | undefined>>): PrometheusTarget["auth"] {
  const user = env.PROMETHEUS_USER || undefined;
  const password = env.PROMETHEUS_PASSWORD || undefined;
  if (user === undefined && password === undefined) return undefined;
  if (user === undefined || password === undefined) {
    throw new UsageError(
      `PROMETHEUS_USER and PROMETHEUS_PASSWORD go together; only ${user === undefined ? "PROMETHEUS_PASSWORD" : "PROMETHEUS_USER"} is set`,
    );
  }
  return { user, password, source: "PROMETHEUS_USER/PROMETHEUS_PASSWORD" };
}

/**
 * The Prometheus to ask: `--prometheus`, else PROMETHEUS_URL, else the stack output
 * prometheusUrl (read only then, so CI without a stack needs no Pulumi).
 *
 * @param flag The value of --prometheus.
 * @param env The environment (PROMETHEUS_URL).
 * @param stack The stack whose outputs are read.
 * @param readStack Reads the stack's prometheusUrl (and trendMode); throws when it cannot.
 */
export function resolvePrometheus(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  stack: string,
  readStack: () => StackPrometheus,
): PrometheusTarget {
  const fromEnv =
    env.PROMETHEUS_URL !== undefined && env.PROMETHEUS_URL !== "" ? env.PROMETHEUS_URL : undefined;
  const given = envAuth(env);
  const withAuth = given !== undefined ? { auth: given } : {};
  if (flag !== undefined) return { url: checkUrl(flag, "--prometheus"), source: "--prometheus", ...withAuth };
  if (fromEnv !== undefined) {
    return { url: checkUrl(fromEnv, "PROMETHEUS_URL"), source: "PROMETHEUS_URL", ...withAuth };
  }
  let outputs: StackPrometheus;
  try {
    outputs = readStack();
  } catch (err) {
    throw new UnavailableError(
      `${err instanceof Error ? err.message : String(err)} (no --prometheus and no PROMETHEUS_URL, so the stack output prometheusUrl of stack ${stack} was needed)`,
    );
  }
  const source = `stack output prometheusUrl of stack ${stack}`;
  const hint =
    outputs.trendMode !== undefined && isTrendMode(outputs.trendMode) ? outputs.trendMode : undefined;
  const stackAuth =
    outputs.prometheusUser !== undefined && outputs.prometheusPassword !== undefined
      ? {
          user: outputs.prometheusUser,
          password: outputs.prometheusPassword,
          source: `stack outputs prometheusUser/prometheusPassword of stack ${stack}`,
        }
      : undefined;
  const auth = given ?? stackAuth;
  return {
    url: checkUrl(outputs.prometheusUrl, source),
    source,
    ...(hint !== undefined ? { trendModeHint: hint } : {}),
    ...(auth !== undefined ? { auth } : {}),
  };
}

function checkUrl(value: string, source: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(value);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw new UsageError(
      `${source} ${JSON.stringify(value)} is not a URL: expected http(s)://host:port, e.g. http://127.0.0.1:9090`,
    );
  }
  return value.replace(/\/+$/, "");
}

interface ApiAnswer {
  status?: string;
  error?: string;
  data?: unknown;
}

/** One series of an instant query's answer. */
interface Series {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

/** Prometheus' HTTP API, as much as the gate uses. Errors name the URL and how it was chosen. */
export class PrometheusClient {
  constructor(
    readonly target: PrometheusTarget,
    private readonly timeoutMs = 30_000,
  ) {}

  private async get(apiPath: string, params: URLSearchParams): Promise<unknown> {
    const url = `${this.target.url}${apiPath}?${params.toString()}`;
    const where = `Prometheus at ${this.target.url} (from ${this.target.source})`;
    let res: Response;
    try {
      const auth = this.target.auth;
      res = await fetch(url, {
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: auth
          ? { Authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString("base64")}` }
          : {},
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
      throw new UnavailableError(
        `cannot reach ${where}: ${reason}; is the stack up (npm run up), or pass --prometheus URL / PROMETHEUS_URL`,
      );
    }
    const text = await res.text();
    let body: ApiAnswer | undefined;
    try {
      body = JSON.parse(text) as ApiAnswer;
    } catch {
      body = undefined;
    }
    if (res.status === 401) {
      throw new UnavailableError(
        `${where} answered 401 Unauthorized: it requires basic auth; ` +
          (this.target.auth
            ? `the credentials from ${this.target.auth.source} were refused`
            : "set PROMETHEUS_USER and PROMETHEUS_PASSWORD (the stack outputs prometheusUser and prometheusPassword)"),
      );
    }
    if (!res.ok || body?.status !== "success") {
      throw new UnavailableError(
        `${where} answered ${apiPath} ${JSON.stringify(params.get("query") ?? params.getAll("match[]").join(" "))} with HTTP ${res.status}: ${body?.error ?? text.slice(0, 200)}`,
      );
    }
    return body.data;
  }

  /** Instant query at `time` (Unix seconds); the series of a vector or matrix answer. */
  async query(expr: string, time: number): Promise<Series[]> {
    const data = (await this.get(
      "/api/v1/query",
      new URLSearchParams({ query: expr, time: String(time) }),
    )) as {
      result?: Series[];
    };
    return Array.isArray(data.result) ? data.result : [];
  }

  /** Label sets of the series matching any selector in [start, end]. */
  async series(selectors: readonly string[], start: number, end: number): Promise<Record<string, string>[]> {
    const params = new URLSearchParams({ start: String(start), end: String(end) });
    for (const s of selectors) params.append("match[]", s);
    return (await this.get("/api/v1/series", params)) as Record<string, string>[];
  }
}

/**
 * Seconds after the last k6_vus sample at which the figures are read: k6's last push (and its
 * stale markers) follows the last VU sample by up to a push interval.
 */
export const EVAL_DELAY_S = 60;

/** Why a run has no latency figures, for the "no data" error. */
export const NO_LATENCY_SERIES =
  "neither k6_http_req_duration_p95 nor k6_http_req_duration_seconds exists for it " +
  "(in stats mode K6_PROMETHEUS_RW_TREND_STATS must include p(95); k6's default is p(99) alone)";

/** How far back the gate looks for runs (Prometheus' default retention of this stack is 30d). */
export const LOOKBACK = "400d";
/** Window of the list of runs, for `latest` and the "known testids" hint. */
export const LIST_RANGE_DAYS = 30;

/** A stored run and when it started. */
export interface KnownRun {
  readonly testId: string;
  /** Unix seconds: exact for runs that started within the last hour, else to the minute. */
  readonly start: number;
}

function numberOf(series: Series): number | undefined {
  const n = Number(series.value?.[1]);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Stored runs, newest start first, that have k6_vus samples in the last {@link LIST_RANGE_DAYS}
 * days. Two subqueries: the last hour at 1 s resolution (exact, so back-to-back CI runs are
 * ordered right) and the whole window at 1 m (cheap).
 */
export async function listRuns(client: PrometheusClient, now: number): Promise<KnownRun[]> {
  const all = 'testid=~".+"';
  const [recent, older] = await Promise.all([
    client.query(runStartQuery(all, "1h", "1s"), now),
    client.query(runStartQuery(all, `${LIST_RANGE_DAYS}d`, "1m"), now),
  ]);
  const starts = new Map<string, number>();
  for (const s of older) {
    const start = numberOf(s);
    if (s.metric.testid !== undefined && start !== undefined) starts.set(s.metric.testid, start);
  }
  for (const s of recent) {
    const start = numberOf(s);
    // A run seen at the window's first step may have started before the hour: keep the coarse value.
    if (s.metric.testid !== undefined && start !== undefined && start > now - 3600 + 2) {
      starts.set(s.metric.testid, start);
    }
  }
  return [...starts.entries()]
    .map(([testId, start]) => ({ testId, start }))
    .sort((a, b) => b.start - a.start || a.testId.localeCompare(b.testId));
}

function knownHint(runs: readonly KnownRun[]): string {
  if (runs.length === 0) return `no run has k6_vus samples in the last ${LIST_RANGE_DAYS} days`;
  const newest = runs
    .slice(0, 5)
    .map((r) => `${r.testId} (${new Date(r.start * 1000).toISOString()})`)
    .join(", ");
  return `newest known testids: ${newest}`;
}

/** Resolves `latest` to the newest run by start; throws when there is none. */
export async function latestRun(client: PrometheusClient, now: number): Promise<string> {
  const runs = await listRuns(client, now);
  const newest = runs[0];
  if (newest === undefined) {
    throw new UsageError(
      `--candidate latest: no run found in Prometheus at ${client.target.url} (from ${client.target.source}): ${knownHint(runs)}`,
    );
  }
  return newest.testId;
}

/** A run's first and last k6_vus sample; throws a UsageError naming the testid when it has none. */
export async function runWindow(
  client: PrometheusClient,
  testId: string,
  role: string,
  now: number,
): Promise<{ start: number; end: number }> {
  let selector: string;
  try {
    selector = runSelector(testId);
  } catch (err) {
    throw new UsageError(`--${role}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const series = await client.query(runVusSamplesQuery(selector, LOOKBACK), now);
  const times = series.flatMap((s) => (s.values ?? []).map(([t]) => t));
  if (times.length === 0) {
    const runs = await listRuns(client, now);
    throw new UsageError(
      `--${role} ${testId}: unknown testid, Prometheus at ${client.target.url} (from ${client.target.source}) has no k6_vus samples for it; ${knownHint(runs)}`,
    );
  }
  return { start: Math.min(...times), end: Math.max(...times) };
}

/**
 * The trend mode a run was written in, from which http_req_duration series it has; the stack's
 * trendMode only decides when both exist. Undefined when it has neither.
 */
export async function runTrendMode(
  client: PrometheusClient,
  testId: string,
  window: { start: number; end: number },
  hint: TrendMode | undefined,
): Promise<TrendMode | undefined> {
  const selectors = runLatencySeriesSelectors(runSelector(testId));
  const found = await client.series(Object.values(selectors), window.start - 60, window.end + EVAL_DELAY_S);
  const names = new Set(found.map((s) => s.__name__));
  const has = (mode: TrendMode): boolean => names.has(/^(\w+)/.exec(selectors[mode])?.[1] ?? "");
  if (has("stats") && has("nativeHistogram")) return hint ?? "nativeHistogram";
  if (has("nativeHistogram")) return "nativeHistogram";
  if (has("stats")) return "stats";
  return undefined;
}

/** The PromQL of each figure for a run, evaluated at the run's end + {@link EVAL_DELAY_S}. */
export function figureQueries(
  testId: string,
  mode: TrendMode | undefined,
  window: { start: number; end: number },
): Record<Figure, string | undefined> {
  const selector = runSelector(testId);
  // The range reaches back from the evaluation time to before the run's first sample.
  const range = `${Math.ceil(window.end - window.start) + EVAL_DELAY_S + 60}s`;
  return {
    p95: mode !== undefined ? runLatencyQuantileQuery(mode, "0.95", selector, range) : undefined,
    p99: mode !== undefined ? runLatencyQuantileQuery(mode, "0.99", selector, range) : undefined,
    throughput: runThroughputQuery(selector, range),
    errorRate: runErrorRateQuery(selector, range),
    checkRate: runCheckRateQuery(selector, range),
  };
}

/** Reads a run's window, trend mode and whole-run figures. */
export async function readRun(
  client: PrometheusClient,
  testId: string,
  role: "baseline" | "candidate",
  now: number,
): Promise<RunSummary & { queries: Record<Figure, string | undefined> }> {
  const window = await runWindow(client, testId, role, now);
  const mode = await runTrendMode(client, testId, window, client.target.trendModeHint);
  const queries = figureQueries(testId, mode, window);
  const at = window.end + EVAL_DELAY_S;
  const entries = await Promise.all(
    Object.entries(queries).map(async ([figure, expr]) => {
      if (expr === undefined) return [figure, undefined] as const;
      const [first] = await client.query(expr, at);
      return [figure, first !== undefined ? numberOf(first) : undefined] as const;
    }),
  );
  const figures: RunFigures = Object.fromEntries(entries.filter(([, v]) => v !== undefined));
  return {
    testId,
    trendMode: mode,
    start: window.start,
    end: window.end,
    figures,
    queries,
  };
}
