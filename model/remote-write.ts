/**
 * Long-term history: the stack's Prometheus forwards what it stores to other stores (Thanos,
 * Mimir, VictoriaMetrics, a hosted Prometheus) with `remote_write` (the `prometheusRemoteWrite`
 * stack setting). Pure: the config, the component and the integration tests share it.
 *
 * Credentials never go into the generated Prometheus config: it names files (`password_file`,
 * `credentials_file`) that the component uploads into the container as secrets, so the config on
 * the host, `docker inspect` and previews show paths only.
 */
import * as YAML from "yaml";
import { isLoopbackIp, isUnspecifiedIp } from "./net";
import { DOCKER_HOST_NAME } from "./scrape-targets";
import { TrendMode } from "./trend-mode";

/** Queue settings of one target (Prometheus' `queue_config`, camelCase). */
export interface RemoteWriteQueue {
  /** Samples buffered per shard before reading the WAL blocks. */
  readonly capacity: number;
  /** Upper bound of parallel senders. */
  readonly maxShards: number;
  /** Parallel senders at start. */
  readonly minShards: number;
  /** Samples per request. */
  readonly maxSamplesPerSend: number;
  /** Longest a sample waits for a full batch, a Prometheus duration. */
  readonly batchSendDeadline: string;
  /** First retry delay after a recoverable error. */
  readonly minBackoff: string;
  /** Longest retry delay. */
  readonly maxBackoff: string;
  /** Retry (instead of dropping) a batch the store answers with 429 Too Many Requests. */
  readonly retryOnHttp429: boolean;
}

/** One validated remote-write target. */
export interface RemoteWriteTarget {
  /** Unique name: Prometheus' `remote_name` label on its remote-storage metrics, and the secret file name. */
  readonly name: string;
  /** Write endpoint, e.g. `https://mimir.example.com/api/v1/push`; no credentials in it. */
  readonly url: string;
  /** Basic auth user; `password` is then required. */
  readonly username?: string;
  /** Basic auth password (secret config). */
  readonly password?: string;
  /** Bearer token (secret config); excludes basic auth. */
  readonly bearerToken?: string;
  /** Send only k6's series (`__name__=~"k6_.*"`), not Prometheus' own or the scraped services'. */
  readonly k6Only: boolean;
  /** Queue settings, defaults filled in. */
  readonly queue: RemoteWriteQueue;
}

/**
 * Prometheus v3.15's own `DefaultQueueConfig` (config/config.go), except `retryOnHttp429`: a
 * hosted store answering 429 under a rate limit would otherwise make Prometheus drop that batch of
 * a run's history for good; retried, it only arrives later (the WAL keeps it).
 */
export const REMOTE_WRITE_QUEUE_DEFAULTS: RemoteWriteQueue = {
  capacity: 10_000,
  maxShards: 50,
  minShards: 1,
  maxSamplesPerSend: 2_000,
  batchSendDeadline: "5s",
  minBackoff: "30ms",
  maxBackoff: "5s",
  retryOnHttp429: true,
};

/** Upper bounds of the numeric queue settings: beyond them a typo, not a tuning, is more likely. */
export const REMOTE_WRITE_QUEUE_LIMITS = {
  capacity: 1_000_000,
  maxShards: 1_000,
  minShards: 1_000,
  maxSamplesPerSend: 100_000,
} as const;

/** Where the remote-write credentials are uploaded in the Prometheus container (one file each). */
export const REMOTE_WRITE_SECRETS_DIR = "/run/secrets/k6obs-remote-write";
/**
 * Where the stack's own config (the committed prometheus.yml plus `remote_write`) is mounted when
 * targets are set: a per-stack host directory, because a stack's targets cannot live in git.
 */
export const PROMETHEUS_STACK_CONFIG_DIR = "/etc/prometheus-stack";
/** File name of that config, in its directory. */
export const STACK_CONFIG_FILE = "prometheus.yml";
/** The k6 series selector of `k6Only`; every name k6's remote-write output sends starts so. */
export const K6_SERIES_REGEX = "k6_.*";

/** What an entry allows, for error messages. */
export const REMOTE_WRITE_ALLOWED =
  'an array of {"url": "https://<host>/<path>", "name"?: "<name>", "username"?: "<user>", "password"?: "<secret>", ' +
  '"bearerToken"?: "<secret>", "k6Only"?: true|false, "queue"?: {"capacity", "maxShards", "minShards", ' +
  '"maxSamplesPerSend", "batchSendDeadline", "minBackoff", "maxBackoff", "retryOnHttp429"}}';

const FIELDS = ["name", "url", "username", "password", "bearerToken", "k6Only", "queue"];
const SECRET_FIELDS = ["password", "bearerToken"] as const;
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

function durationMs(value: string): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(value);
  if (!m || value === "") return undefined;
  const [h = 0, min = 0, s = 0, ms = 0] = m.slice(1).map((x) => Number(x ?? 0));
  return ((h * 60 + min) * 60 + s) * 1000 + ms;
}

/**
 * The value with every credential replaced by a description, so an error message can show what
 * was given without showing a secret.
 */
export function redactRemoteWrite(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactRemoteWrite);
  if (typeof value === "string") return redactUrl(value);
  if (typeof value !== "object" || value === null) return value;
  // Any field that looks like a credential, at any depth: a user may write Prometheus' own shape
  // (basic_auth.password, authorization.credentials), which is refused but must not be echoed.
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) =>
      /pass|token|secret|credential|auth|key/i.test(k) && (typeof v === "string" || typeof v === "number")
        ? [k, typeof v === "string" ? `(secret, ${v.length} characters)` : "(secret)"]
        : [k, redactRemoteWrite(v)],
    ),
  );
}

/** A URL with any userinfo replaced, so a password pasted into a URL is never echoed. */
function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1(credentials)@");
}

/** Default name of a target: its host, made a name. */
function nameOf(url: URL): string {
  return url.hostname
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
}

function checkQueue(value: unknown, where: string, problems: string[]): RemoteWriteQueue {
  if (value === undefined) return REMOTE_WRITE_QUEUE_DEFAULTS;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.push(`${where}: queue ${JSON.stringify(value)} is not an object`);
    return REMOTE_WRITE_QUEUE_DEFAULTS;
  }
  const q = value as Record<string, unknown>;
  const allowed = Object.keys(REMOTE_WRITE_QUEUE_DEFAULTS);
  const unknown = Object.keys(q).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    problems.push(`${where}: queue has unknown fields ${unknown.join(", ")}; allowed: ${allowed.join(", ")}`);
  }
  const out: Record<string, unknown> = { ...REMOTE_WRITE_QUEUE_DEFAULTS };
  for (const [k, max] of Object.entries(REMOTE_WRITE_QUEUE_LIMITS)) {
    const v = q[k];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
      problems.push(`${where}: queue.${k} ${JSON.stringify(v)} is not a whole number from 1 to ${max}`);
    } else out[k] = v;
  }
  for (const [k, [lo, hi, hint]] of Object.entries({
    batchSendDeadline: [100, 300_000, "100ms to 5m"],
    minBackoff: [1, 60_000, "1ms to 1m"],
    maxBackoff: [1, 600_000, "1ms to 10m"],
  } as const)) {
    const v = q[k];
    if (v === undefined) continue;
    const ms = typeof v === "string" ? durationMs(v) : undefined;
    if (ms === undefined || ms < lo || ms > hi) {
      problems.push(
        `${where}: queue.${k} ${JSON.stringify(v)} is not a duration from ${hint}, e.g. 5s or 500ms`,
      );
    } else out[k] = v;
  }
  if (q.retryOnHttp429 !== undefined) {
    if (typeof q.retryOnHttp429 !== "boolean")
      problems.push(
        `${where}: queue.retryOnHttp429 ${JSON.stringify(q.retryOnHttp429)} is not true or false`,
      );
    else out.retryOnHttp429 = q.retryOnHttp429;
  }
  const queue = out as unknown as RemoteWriteQueue;
  if (queue.minShards > queue.maxShards) {
    problems.push(
      `${where}: queue.minShards ${queue.minShards} is greater than queue.maxShards ${queue.maxShards}`,
    );
  }
  if (queue.maxSamplesPerSend > queue.capacity) {
    problems.push(
      `${where}: queue.maxSamplesPerSend ${queue.maxSamplesPerSend} is greater than queue.capacity ${queue.capacity} (a shard could never fill a batch)`,
    );
  }
  if (durationMs(queue.minBackoff)! > durationMs(queue.maxBackoff)!) {
    problems.push(
      `${where}: queue.minBackoff ${queue.minBackoff} is longer than queue.maxBackoff ${queue.maxBackoff}`,
    );
  }
  return queue;
}

/**
 * Validates a parsed `prometheusRemoteWrite` value; returns the targets (defaults filled in) and
 * every problem found, each naming the entry and what is allowed. Messages never contain a
 * credential.
 */
export function checkRemoteWrite(value: unknown): { targets: RemoteWriteTarget[]; problems: string[] } {
  if (!Array.isArray(value)) return { targets: [], problems: [`expected ${REMOTE_WRITE_ALLOWED}`] };
  const problems: string[] = [];
  const targets: RemoteWriteTarget[] = [];
  const names = new Set<string>();
  const urls = new Set<string>();
  value.forEach((entry: unknown, i) => {
    const where = `entry ${i}`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      problems.push(`${where} is not an object; expected ${REMOTE_WRITE_ALLOWED}`);
      return;
    }
    const e = entry as Record<string, unknown>;
    const unknown = Object.keys(e).filter((k) => !FIELDS.includes(k));
    if (unknown.length > 0) {
      problems.push(`${where} has unknown fields ${unknown.join(", ")}; allowed: ${FIELDS.join(", ")}`);
    }
    let url: URL | undefined;
    if (typeof e.url !== "string" || !URL.canParse(e.url)) {
      problems.push(
        `${where}: url ${JSON.stringify(typeof e.url === "string" ? redactUrl(e.url) : e.url)} is not an absolute http:// or https:// URL`,
      );
    } else {
      url = new URL(e.url);
      const host = url.hostname.replace(/^\[|\]$/g, "");
      const shown = JSON.stringify(redactUrl(e.url));
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        problems.push(`${where}: url ${shown} is not http:// or https://`);
      } else if (url.username !== "" || url.password !== "") {
        problems.push(
          `${where}: url ${shown} carries credentials, which would be stored in clear in the Prometheus config; use username/password or bearerToken (secret config) instead`,
        );
      } else if (host === "") {
        problems.push(`${where}: url ${shown} has no host`);
      } else if (host.toLowerCase() === "localhost" || isLoopbackIp(host) || isUnspecifiedIp(host)) {
        problems.push(
          `${where}: url ${shown} is loopback, which inside the Prometheus container is the container itself: use ${DOCKER_HOST_NAME} for a store on the Docker host, or the store's own address`,
        );
      } else if (url.search !== "" || url.hash !== "") {
        problems.push(`${where}: url ${shown} has a query or fragment; tokens belong in bearerToken`);
      }
      if (urls.has(url.href)) problems.push(`${where}: url ${shown} appears twice`);
      urls.add(url.href);
    }
    const name = e.name ?? (url ? nameOf(url) : undefined);
    if (typeof name !== "string" || !NAME.test(name)) {
      problems.push(
        `${where}: name ${JSON.stringify(name)} is not 1-63 lowercase letters, digits and '-' starting with a letter or digit`,
      );
    } else if (names.has(name)) {
      problems.push(
        `${where}: name ${JSON.stringify(name)} appears twice${e.name === undefined ? " (derived from the url's host; set a name)" : ""}`,
      );
    }
    if (typeof name === "string") names.add(name);
    for (const f of ["username", ...SECRET_FIELDS] as const) {
      const v = e[f];
      if (v !== undefined && (typeof v !== "string" || v === "" || /[\r\n]/.test(v))) {
        problems.push(`${where}: ${f} is not a non-empty one-line string`);
      }
    }
    if ((e.username === undefined) !== (e.password === undefined)) {
      problems.push(`${where}: username and password go together (basic auth)`);
    }
    if (e.bearerToken !== undefined && (e.username !== undefined || e.password !== undefined)) {
      problems.push(`${where}: bearerToken and username/password exclude each other`);
    }
    if (e.k6Only !== undefined && typeof e.k6Only !== "boolean") {
      problems.push(`${where}: k6Only ${JSON.stringify(e.k6Only)} is not true or false`);
    }
    const queue = checkQueue(e.queue, where, problems);
    targets.push({
      name: name as string,
      url: typeof e.url === "string" ? e.url : "",
      ...(typeof e.username === "string" ? { username: e.username } : {}),
      ...(typeof e.password === "string" ? { password: e.password } : {}),
      ...(typeof e.bearerToken === "string" ? { bearerToken: e.bearerToken } : {}),
      k6Only: e.k6Only !== false,
      queue,
    });
  });
  return { targets: problems.length === 0 ? targets : [], problems };
}

/** Whether any target carries a credential (then the config value must be a secret). */
export function hasRemoteWriteCredentials(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.some(
      (e: unknown) =>
        typeof e === "object" &&
        e !== null &&
        SECRET_FIELDS.some((f) => (e as Record<string, unknown>)[f] !== undefined),
    )
  );
}

/** One credential file: its path inside the container and its content (a secret). */
export interface RemoteWriteSecretFile {
  readonly path: string;
  readonly content: string;
}

/** The credential files the targets need, under `secretsDir` (the container's by default). */
export function remoteWriteSecretFiles(
  targets: readonly RemoteWriteTarget[],
  secretsDir = REMOTE_WRITE_SECRETS_DIR,
): RemoteWriteSecretFile[] {
  return targets.flatMap((t) => {
    const secret = t.password ?? t.bearerToken;
    return secret === undefined ? [] : [{ path: `${secretsDir}/${t.name}`, content: secret }];
  });
}

/** Inputs of {@link remoteWriteSection}. */
export interface RemoteWriteSectionArgs {
  /** Trend mode: native-histogram stacks must forward native histograms too. */
  readonly trendMode: TrendMode;
  /** Directory of the credential files, as Prometheus sees it (the container's by default). */
  readonly secretsDir?: string;
}

/** Prometheus' `remote_write` list for the targets; credentials only by file path. */
export function remoteWriteSection(
  targets: readonly RemoteWriteTarget[],
  args: RemoteWriteSectionArgs,
): Record<string, unknown>[] {
  const dir = args.secretsDir ?? REMOTE_WRITE_SECRETS_DIR;
  return targets.map((t) => ({
    name: t.name,
    url: t.url,
    ...(t.username !== undefined
      ? { basic_auth: { username: t.username, password_file: `${dir}/${t.name}` } }
      : {}),
    ...(t.bearerToken !== undefined
      ? { authorization: { type: "Bearer", credentials_file: `${dir}/${t.name}` } }
      : {}),
    // Off by default in Prometheus: without it a nativeHistogram stack would forward everything
    // but k6's latency histograms.
    ...(args.trendMode === "nativeHistogram" ? { send_native_histograms: true } : {}),
    ...(t.k6Only
      ? { write_relabel_configs: [{ source_labels: ["__name__"], regex: K6_SERIES_REGEX, action: "keep" }] }
      : {}),
    queue_config: {
      capacity: t.queue.capacity,
      max_shards: t.queue.maxShards,
      min_shards: t.queue.minShards,
      max_samples_per_send: t.queue.maxSamplesPerSend,
      batch_send_deadline: t.queue.batchSendDeadline,
      min_backoff: t.queue.minBackoff,
      max_backoff: t.queue.maxBackoff,
      retry_on_http_429: t.queue.retryOnHttp429,
    },
  }));
}

const STACK_HEADER =
  "# Generated on `pulumi up` from provisioning/prometheus/prometheus.yml plus the stack's prometheusRemoteWrite\n" +
  "# (model/remote-write.ts). Per stack, not in git; credentials are files under " +
  `${REMOTE_WRITE_SECRETS_DIR}.\n`;

/**
 * The stack's Prometheus config: the committed config text with the `remote_write` section set
 * (any existing one replaced), so every other edit of the committed file still applies.
 */
export function withRemoteWrite(
  committedConfig: string,
  section: readonly Record<string, unknown>[],
): string {
  const doc = (YAML.parse(committedConfig) ?? {}) as Record<string, unknown>;
  return STACK_HEADER + YAML.stringify({ ...doc, remote_write: section });
}
