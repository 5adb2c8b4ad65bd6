// Shared parameters of the example scripts. Every value can be overridden with an environment
// variable (`pulumi config set k6Env '{"VUS":"20"}'`, or `k6 run -e VUS=20`).

/** Base URL of the system under test, without a trailing slash. */
export function targetUrl() {
  const url = (__ENV.TARGET_URL || "").replace(/\/+$/, "");
  if (url === "") {
    throw new Error("TARGET_URL is empty: set it to the base URL of the system under test");
  }
  return url;
}

/**
 * `PATHS`: comma-separated request paths (commas inside a path must be written %2C).
 * @param {string[]} defaults
 * @returns {string[]}
 */
export function paths(defaults) {
  const raw = __ENV.PATHS;
  if (raw === undefined || raw.trim() === "") {
    return defaults;
  }
  return raw
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map((p) => (p.startsWith("/") ? p : `/${p}`));
}

/**
 * Positive integer from the environment, or the default.
 * @param {string} name
 * @param {number} fallback
 * @returns {number}
 */
export function intParam(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === "") {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name}=${raw} is not a non-negative integer`);
  }
  return value;
}

/**
 * Number from the environment, or the default.
 * @param {string} name
 * @param {number} fallback
 * @returns {number}
 */
export function numberParam(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === "") {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) {
    throw new Error(`${name}=${raw} is not a number`);
  }
  return value;
}

/**
 * k6 duration string (`30s`, `2m`, `1m30s`) from the environment, or the default.
 * @param {string} name
 * @param {string} fallback
 * @returns {string}
 */
export function durationParam(name, fallback) {
  const raw = __ENV[name] || fallback;
  durationSeconds(raw, name);
  return raw;
}

/**
 * Seconds in a k6 duration string such as `1m30s` or `45s`.
 * @param {string} text
 * @param {string} name
 * @returns {number}
 */
export function durationSeconds(text, name) {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = "";
  let m;
  while ((m = re.exec(text)) !== null) {
    const unit = /** @type {Record<string, number>} */ ({ ms: 0.001, s: 1, m: 60, h: 3600 })[m[2]];
    total += Number(m[1]) * unit;
    consumed += m[0];
  }
  if (consumed !== text || total <= 0) {
    throw new Error(`${name}=${text} is not a duration such as 30s, 2m or 1m30s`);
  }
  return total;
}

/**
 * The `name` tag of a request: the path without its query string, numeric segments replaced by
 * `:id`. Grouping URLs this way keeps one series per endpoint instead of one per URL; k6 then also
 * uses it as the `url` tag.
 * @param {string} path
 * @returns {string}
 */
export function endpointName(path) {
  const bare = path.split("?")[0] || "/";
  return bare
    .split("/")
    .map((segment) => (/^\d+$/.test(segment) || /^[0-9a-f-]{16,}$/i.test(segment) ? ":id" : segment))
    .join("/");
}

/** The path the scripts request to produce deliberate 404s. */
export const NOT_FOUND_PATH = "/k6obs/deliberately-missing";

/**
 * Thresholds shared by the scripts. The deliberate 404 share (NOT_FOUND_EVERY) counts as failed
 * requests, so MAX_FAILURE_RATE leaves room for it.
 */
export function thresholds() {
  return {
    http_req_failed: [`rate<${numberParam("MAX_FAILURE_RATE", 0.05)}`],
    http_req_duration: [`p(95)<${numberParam("P95_MS", 500)}`],
    checks: [`rate>${numberParam("MIN_CHECK_RATE", 0.95)}`],
  };
}
