import { TrendMode } from "./trend-mode";

/** UID of the `k6` user of the official image, which owns its home directory (the results mount). */
export const K6_USER = "12345";

/** Where the repo's provisioning/k6 directory is mounted in the k6 container (read-only). */
export const K6_SCRIPTS_DIR = "/k6";
/**
 * Where the k6 container writes end-of-test summaries: the results volume is mounted on the
 * image's home directory because Docker gives a fresh volume the ownership of the directory it is
 * mounted over (k6, UID 12345); a path the image lacks would be root-owned and unwritable.
 */
export const K6_RESULTS_DIR = "/home/k6";

/**
 * Trend statistics k6 turns into gauges in stats mode. k6's default is `p(99)` alone, which is
 * why "p95 panel always empty" is the most common complaint about k6 dashboards.
 */
export const K6_TREND_STATS = ["p(95)", "p(99)", "min", "max", "avg", "med"] as const;

/**
 * System tags k6 attaches to samples (K6_SYSTEM_TAGS). k6's default also sends `url` (a duplicate
 * of `name`: k6 copies the name into it when a script sets one, and uses the URL as the name when
 * it does not), `proto`, `subproto`, `tls_version`, `service` (gRPC) and `error` (free-text error
 * messages, one series per distinct message). Every series keeps what the dashboards and thresholds
 * group by: endpoint (`name`), `status`, `method`, `expected_response`, `error_code`, `check`,
 * `group`, `scenario`.
 */
export const K6_SYSTEM_TAGS = [
  "status",
  "method",
  "name",
  "group",
  "check",
  "error_code",
  "scenario",
  "expected_response",
] as const;

/**
 * Env variable names managed by the stack; user-supplied k6Env may not set them. Everything
 * starting with K6_ is reserved as well.
 */
export const RESERVED_SCRIPT_ENV = ["TARGET_URL", "TESTID"] as const;

/** Env variable names k6 and the scripts read (k6Env, k6SecretEnv); anything else is refused. */
export const K6_ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Where a run's secret env (k6SecretEnv, a secret target URL, remote-write credentials) is
 * uploaded into the k6 container before it starts: never an env var, so it is absent from `docker
 * inspect`, previews and the container's config in state (the upload is a secret output).
 */
export const K6_SECRET_ENV_FILE = "/run/secrets/k6obs-k6-env";

/**
 * Env names that change how the k6 container runs rather than parameterise the script, each with
 * why; k6Env may not set them. Allowed on purpose: TZ (only local-time printing changes; samples
 * carry epoch timestamps), NODE_OPTIONS (there is no Node.js in the image: k6 runs scripts in its
 * own Go JS engine) and any other name.
 */
export const RUNTIME_ENV: Readonly<Record<string, string>> = {
  PATH: "Docker finds the image's entrypoint `k6` through it; another PATH and the container does not start",
  HOME: "k6 reads its config file from $HOME/.config",
  XDG_CONFIG_HOME: "k6 reads its config file from it",
  HTTP_PROXY: "Go sends every request through it, the remote write to Prometheus included",
  HTTPS_PROXY: "Go sends every https request through it",
  NO_PROXY: "it decides which requests bypass the proxy variables",
  SSL_CERT_FILE: "Go replaces the image's trusted CA certificates with it",
  SSL_CERT_DIR: "Go replaces the image's trusted CA certificates with it",
  GODEBUG: "it switches Go's TLS, HTTP and DNS behaviour for every request",
  GOMAXPROCS: "it sets how many CPUs k6 uses, which the measured throughput depends on",
  GOGC: "a Go runtime setting of k6, not a script parameter",
  GOMEMLIMIT: "a Go runtime setting of k6, not a script parameter",
  GOTRACEBACK: "a Go runtime setting of k6, not a script parameter",
};

/** Why k6Env may not set `name` (a {@link RUNTIME_ENV} name, or `LD_*`), or undefined. */
export function runtimeEnvReason(name: string): string | undefined {
  if (name.startsWith("LD_")) {
    return "the dynamic loader of every dynamically linked program in the image (its shell) obeys LD_*";
  }
  // Go reads the proxy variables in lower case as well; everything else is read in upper case only.
  const key = /^(http_proxy|https_proxy|no_proxy)$/.test(name) ? name.toUpperCase() : name;
  return Object.prototype.hasOwnProperty.call(RUNTIME_ENV, key) ? RUNTIME_ENV[key] : undefined;
}

/** Inputs of {@link k6Env}. */
export interface K6EnvArgs {
  /** Trend mode of the stack. */
  readonly trendMode: TrendMode;
  /** Prometheus remote-write endpoint as seen from k6 (never localhost inside a container). */
  readonly remoteWriteUrl: string;
  /** K6_PROMETHEUS_RW_PUSH_INTERVAL, a Go duration such as `5s`. */
  readonly pushInterval: string;
  /** Base URL of the system under test, passed to the script as TARGET_URL. */
  readonly targetUrl: string;
  /** Extra script parameters (already validated: no K6_ prefix, no reserved names). */
  readonly extraEnv?: Readonly<Record<string, string>>;
  /** File k6's HTML report is exported to at the end of the run ({@link k6ReportEnv}), if any. */
  readonly reportExport?: string;
}

/** Path of a run's JSON end-of-test summary inside the results volume. */
export function k6SummaryPath(testId: string): string {
  return `${K6_RESULTS_DIR}/${testId}.summary.json`;
}

/** Path of a run's HTML report (k6's web dashboard export) inside the results volume. */
export function k6ReportPath(testId: string): string {
  return `${K6_RESULTS_DIR}/${testId}.report.html`;
}

/**
 * Env that makes k6 write its own HTML report (the built-in web dashboard's export) to `file` when
 * the run ends. k6 has no command-line flag for the dashboard; it is configured by env only.
 */
export function k6ReportEnv(file: string): Record<string, string> {
  return {
    K6_WEB_DASHBOARD: "true",
    K6_WEB_DASHBOARD_EXPORT: file,
    // -1 disables the dashboard's HTTP server (default 127.0.0.1:5665); the export is still written.
    // Without it nothing would reach the port inside the container, and k6 waits for open browser
    // windows before it exits.
    K6_WEB_DASHBOARD_PORT: "-1",
  };
}

/** Environment of a k6 run. Used by the k6 container and by the integration tests. */
export function k6Env(args: K6EnvArgs): Record<string, string> {
  const env: Record<string, string> = {
    ...args.extraEnv,
    TARGET_URL: args.targetUrl,
    K6_PROMETHEUS_RW_SERVER_URL: args.remoteWriteUrl,
    K6_PROMETHEUS_RW_PUSH_INTERVAL: args.pushInterval,
    // End every series with a stale marker when the run ends, so panels stop instead of
    // repeating the last value for five minutes.
    K6_PROMETHEUS_RW_STALE_MARKERS: "true",
    K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM: args.trendMode === "nativeHistogram" ? "true" : "false",
    K6_SYSTEM_TAGS: K6_SYSTEM_TAGS.join(","),
    // k6 otherwise reports usage to stats.grafana.org on every run.
    K6_NO_USAGE_REPORT: "true",
    ...(args.reportExport === undefined ? {} : k6ReportEnv(args.reportExport)),
  };
  if (args.trendMode === "stats") {
    env.K6_PROMETHEUS_RW_TREND_STATS = K6_TREND_STATS.join(",");
  }
  return env;
}

/** Single-quotes a value for POSIX sh: the shell reads it back byte for byte, `$` and all. */
function shQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

/**
 * The file {@link k6SecretEntrypoint} sources: one `export NAME='value'` line per variable. Names are
 * checked here too (they are written unquoted into a shell script); a bad one throws.
 */
export function k6SecretEnvFile(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([name, value]) => {
      if (!K6_ENV_NAME.test(name)) {
        throw new Error(
          `k6 secret env: ${JSON.stringify(name)} is not a variable name ([A-Za-z_][A-Za-z0-9_]*)`,
        );
      }
      return `export ${name}=${shQuote(value)}\n`;
    })
    .join("");
}

/**
 * Entrypoint that exports the variables of the uploaded secret env file, then `exec`s k6 with the
 * container's command (the unchanged k6 argv) as its arguments: `sh -c SCRIPT k6 run ...` passes
 * them as "$@", so no argument is ever re-parsed by the shell. k6 stays PID 1 and the script sees
 * the variables through __ENV as before. The official grafana/k6 image is Alpine-based (/bin/sh).
 */
export function k6SecretEntrypoint(file: string = K6_SECRET_ENV_FILE): string[] {
  return ["/bin/sh", "-c", `. ${shQuote(file)} && exec k6 "$@"`, "k6"];
}

/** The env that stays plain: everything but the names delivered through the secret env file. */
export function k6PlainEnv(
  env: Readonly<Record<string, string>>,
  secretNames: readonly string[],
): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !secretNames.includes(name)));
}

/** Inputs of {@link k6Args}. */
export interface K6ArgsArgs {
  /** Script path as k6 sees it. */
  readonly script: string;
  /** Value of the `testid` tag on every sample of this run. */
  readonly testId: string;
  /** File the end-of-test summary is exported to (JSON), if any. */
  readonly summaryExport?: string;
}

/** Command-line arguments of a k6 run (after the `k6` binary). */
export function k6Args(args: K6ArgsArgs): string[] {
  const argv = ["run", "--out", "experimental-prometheus-rw", "--tag", `testid=${args.testId}`];
  if (args.summaryExport !== undefined) {
    argv.push("--summary-export", args.summaryExport);
  }
  argv.push(args.script);
  return argv;
}
