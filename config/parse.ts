import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import {
  ALERTMANAGER_IMAGE,
  GRAFANA_IMAGE,
  K6_IMAGE,
  PROMETHEUS_IMAGE,
  ImageSpec,
  PinnedImage,
  imageRef,
  malformedImageReason,
  parseImageRef,
  unpinnedImageReason,
} from "../model/images";
import { MEMORY_LIMIT_RANGE, PROCESS_LIMITS, parseMemoryMiB } from "../model/container-limits";
import { K6_ENV_NAME, RESERVED_SCRIPT_ENV, runtimeEnvReason } from "../model/k6";
import { webhookUrlProblem } from "../model/alertmanager";
import { retentionSizeProblem, retentionTimeProblem } from "../model/retention";
import { checkScrapeTargets } from "../model/scrape-targets";
import { checkRemoteWrite, hasRemoteWriteCredentials, redactRemoteWrite } from "../model/remote-write";
import { PROMETHEUS_ALIAS } from "../model/prometheus";
import { GRAFANA_ALIAS } from "../model/grafana";
import { DEFAULT_DOCKER_HOST, checkK6Runners, checkRunnerPrometheus } from "../model/k6-runners";
import {
  CONFIG_DEFAULTS,
  CONFIG_NAMESPACE,
  ConfigError,
  ConfigKey,
  ObservatoryConfig,
  RawConfig,
} from "./schema";
import { DOCKER_VOLUME_NAME_MAX, dockerName, isDockerName } from "../model/naming";
import { TREND_MODES, TrendMode, isTrendMode } from "../model/trend-mode";
import {
  LOOPBACK_ALLOWED,
  isContainerSelfHost,
  isLoopbackIp,
  isUnspecifiedIp,
  redactUrlCredentials,
  urlHost,
  urlTextProblem,
} from "../model/net";

const GO_DURATION = /^(\d+)(ms|s|m)$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** How the Pulumi CLI (Go's time.Time) rewrites an unquoted YAML date such as 2026-12-01. */
const GO_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4} [A-Z]+$/;
/** Variable names that say "credential": they belong in k6SecretEnv, not the plaintext k6Env. */
const CREDENTIAL_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|CREDENTIAL|PRIVATE_?KEY)/i;

/** Whether a value is a URL carrying credentials (`scheme://user:pass@host`). */
function urlWithCredentials(value: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return false;
  try {
    const u = new URL(value);
    return u.username !== "" || u.password !== "";
  } catch {
    return /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*@/i.test(value);
  }
}

function pinned(image: PinnedImage): ImageSpec {
  return { ref: imageRef(image), repo: image.repo, tag: image.tag };
}

/** Milliseconds of a Go duration like `5s`; undefined when malformed. */
function goDurationMs(value: string): number | undefined {
  const m = GO_DURATION.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000;
}

/**
 * Why the script at `file` (inside `k6Dir` as written) cannot run in the k6 container, which sees
 * `k6Dir` alone through a bind mount, or undefined. Symlinks are resolved as the host resolves them:
 * one leading outside `k6Dir` would not even resolve in the container.
 */
function scriptFileProblem(k6Dir: string, file: string): string | undefined {
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    const dangling = fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink() === true;
    return `an existing file; ${file} ${dangling ? "is a symlink to nothing" : "does not exist"}`;
  }
  const inside = path.relative(fs.realpathSync(k6Dir), real);
  if (inside === ".." || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
    return `a file inside the k6 scripts directory; ${file} resolves through a symlink to ${real}, which the k6 container cannot see`;
  }
  const st = fs.statSync(real);
  if (st.isFile()) return undefined;
  const kind = st.isDirectory()
    ? "directory"
    : st.isFIFO()
      ? "named pipe (FIFO)"
      : st.isSocket()
        ? "socket"
        : "device";
  return `a regular file; ${file} is a ${kind}`;
}

/** Context the config is validated in. */
export interface ParseContext {
  /** Pulumi stack name. */
  readonly stack: string;
  /** Absolute path of the repository root (where provisioning/ lives). */
  readonly repoRoot: string;
  /** Whether a key's value is stored encrypted in the stack file; unknown when absent. */
  readonly isSecret?: (key: ConfigKey) => boolean;
  /** Entries of an object key the stack file holds in plaintext (see plaintextEntriesIn). */
  readonly plaintextEntries?: (key: ConfigKey) => readonly string[] | undefined;
  /**
   * How a message tells the user to make a value secret (default: the `pulumi config set --secret`
   * command); `flags` is `--path ` for object keys.
   */
  readonly secretHint?: (key: string, value: string, flags?: string) => string;
  /** How messages name a key (default `k6-observatory:<key>`; the Observatory component names its args). */
  readonly label?: (key: ConfigKey) => string;
  /** What the error is about (default "k6-observatory stack config"). */
  readonly subject?: string;
  /** The provisioning directory (default `<repoRoot>/provisioning`). */
  readonly provisioningDir?: string;
  /** Directory k6Script is relative to (default repoRoot), and how messages describe it. */
  readonly scriptBase?: { readonly dir: string; readonly hint: string };
  /** Docker host URL of the stack's own engine (docker:host, DOCKER_HOST; default the local socket). */
  readonly localDockerHost?: string;
}

/**
 * Validates raw stack config and returns the typed config. Every problem is collected and thrown
 * together as a {@link ConfigError}, before any resource is declared.
 */
export function parseConfig(raw: RawConfig, ctx: ParseContext): ObservatoryConfig {
  const problems: string[] = [];
  const label = ctx.label ?? ((key: ConfigKey) => `${CONFIG_NAMESPACE}:${key}`);
  const bad = (key: ConfigKey, value: string, allowed: string): void => {
    problems.push(`${label(key)} = ${JSON.stringify(value)} is not allowed: ${allowed}`);
  };
  const str = (key: ConfigKey): string => {
    const v = raw(key);
    const d = CONFIG_DEFAULTS[key];
    return v ?? (typeof d === "string" ? d : JSON.stringify(d));
  };
  const bool = (key: ConfigKey): boolean => {
    const v = str(key);
    if (v === "true" || v === "false") return v === "true";
    bad(key, v, "true or false");
    return CONFIG_DEFAULTS[key] === true;
  };
  const port = (key: "grafanaPort" | "prometheusPort" | "alertmanagerPort"): number => {
    const v = str(key);
    const n = Number(v);
    if (/^\d+$/.test(v) && n >= 1024 && n <= 65535) return n;
    bad(key, v, "a whole number from 1024 to 65535 (unprivileged host ports)");
    return CONFIG_DEFAULTS[key];
  };

  const secretHow =
    ctx.secretHint ??
    ((key: string, value: string, flags = "") =>
      `set it with \`pulumi config set --secret ${flags}'${key}' ${value}\``);
  /** An object of env variables (k6Env, k6SecretEnv); a secret one's values are never echoed. */
  const envObject = (
    key: "k6Env" | "k6SecretEnv",
    shape: string,
    secret: boolean,
  ): Record<string, string> => {
    const raw = str(key);
    const out: Record<string, string> = {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      bad(key, secret ? "(secret)" : raw, shape);
      return out;
    }
    // A plaintext object holding something credential-like is not echoed either (refused below).
    const credentialLike = Object.entries(parsed).some(
      ([n, v]) => CREDENTIAL_NAME.test(n) || (typeof v === "string" && urlWithCredentials(v)),
    );
    const shown = secret ? "(secret)" : credentialLike ? `(${Object.keys(parsed).join(", ")})` : raw;
    for (const [name, value] of Object.entries(parsed)) {
      if (
        !K6_ENV_NAME.test(name) ||
        name.startsWith("K6_") ||
        (RESERVED_SCRIPT_ENV as readonly string[]).includes(name)
      ) {
        bad(
          key,
          shown,
          `variable names matching [A-Za-z_][A-Za-z0-9_]*, not starting with K6_ and not ${RESERVED_SCRIPT_ENV.join(" or ")} (managed by the stack); got ${JSON.stringify(name)}`,
        );
      } else if (runtimeEnvReason(name) !== undefined) {
        bad(key, shown, `script parameters, not the runtime's ${name}: ${runtimeEnvReason(name)}`);
      } else if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
        bad(key, shown, `string values; ${name} is ${secret ? "not a string" : JSON.stringify(value)}`);
      } else if (typeof value === "string" && value.includes("\0")) {
        bad(
          key,
          shown,
          `values without NUL characters (an environment variable cannot hold one); ${name} has one`,
        );
      } else {
        out[name] = String(value);
      }
    }
    return out;
  };

  if (!isDockerName(ctx.stack)) {
    problems.push(
      `stack name ${JSON.stringify(ctx.stack)} cannot scope Docker names: use letters, digits, '_', '.', '-' (starting with a letter or digit)`,
    );
  }

  const bindAddress = str("bindAddress");
  const allowNonLoopbackBind = bool("allowNonLoopbackBind");
  if (!net.isIP(bindAddress) || bindAddress.includes("%")) {
    bad(
      "bindAddress",
      bindAddress,
      "an IPv4 or IPv6 address without brackets or zone id (Docker refuses `%eth0`), e.g. 127.0.0.1 (default), ::1 or 0.0.0.0",
    );
  } else if (!isLoopbackIp(bindAddress) && !allowNonLoopbackBind) {
    bad("bindAddress", bindAddress, `${LOOPBACK_ALLOWED} unless ${label("allowNonLoopbackBind")} is true`);
  }

  // Prometheus has its own address and consent: exposing Grafana must never expose Prometheus,
  // whose remote-write receiver and lifecycle API (/-/quit) are enabled.
  const prometheusBindAddress = str("prometheusBindAddress");
  const allowNonLoopbackPrometheusBind = bool("allowNonLoopbackPrometheusBind");
  if (!net.isIP(prometheusBindAddress)) {
    bad(
      "prometheusBindAddress",
      prometheusBindAddress,
      "an IPv4 or IPv6 address, e.g. 127.0.0.1 (default), ::1 or 0.0.0.0",
    );
  } else if (!isLoopbackIp(prometheusBindAddress) && !allowNonLoopbackPrometheusBind) {
    bad(
      "prometheusBindAddress",
      prometheusBindAddress,
      `${LOOPBACK_ALLOWED} unless ${label("allowNonLoopbackPrometheusBind")} is true (basic auth is then required)`,
    );
  }
  // An exposed Prometheus always requires basic auth; prometheusAuth only adds it on loopback.
  const prometheusAuth =
    bool("prometheusAuth") || (net.isIP(prometheusBindAddress) !== 0 && !isLoopbackIp(prometheusBindAddress));

  const grafanaPort = port("grafanaPort");
  const prometheusPort = port("prometheusPort");
  if (grafanaPort === prometheusPort) {
    bad(
      "prometheusPort",
      String(prometheusPort),
      `a port different from ${label("grafanaPort")} (${grafanaPort})`,
    );
  }
  const alertmanagerPort = port("alertmanagerPort");
  if (alertmanagerPort === grafanaPort || alertmanagerPort === prometheusPort) {
    bad(
      "alertmanagerPort",
      String(alertmanagerPort),
      `a port different from ${label("grafanaPort")} (${grafanaPort}) and ${label("prometheusPort")} (${prometheusPort})`,
    );
  }

  const rootUrlRaw = str("grafanaRootUrl");
  let grafanaRootUrl: string;
  if (rootUrlRaw === "") {
    const host = isUnspecifiedIp(bindAddress) ? "localhost" : urlHost(bindAddress);
    grafanaRootUrl = `http://${host}:${grafanaPort}`;
  } else {
    grafanaRootUrl = rootUrlRaw.replace(/\/+$/, "");
    const shown = redactUrlCredentials(rootUrlRaw);
    const absolute = "an absolute http:// or https:// URL";
    const text = urlTextProblem(rootUrlRaw);
    if (text !== undefined) {
      bad("grafanaRootUrl", shown, `${absolute}; ${text}`);
    } else if (!/^https?:\/\/[^/\s]+/.test(rootUrlRaw) || !URL.canParse(rootUrlRaw)) {
      bad("grafanaRootUrl", shown, `${absolute}, e.g. https://grafana.example.com (empty to derive it)`);
    } else if (shown !== rootUrlRaw) {
      bad(
        "grafanaRootUrl",
        shown,
        `${absolute} without user:password@ (Grafana puts the root URL in every link it sends)`,
      );
    } else if (/[?#]/.test(rootUrlRaw)) {
      bad(
        "grafanaRootUrl",
        shown,
        `${absolute} with an optional path but no query or fragment (Grafana appends paths to it), e.g. https://example.com/grafana`,
      );
    }
  }

  const prometheusRetentionTime = str("prometheusRetentionTime");
  const timeProblem = retentionTimeProblem(prometheusRetentionTime);
  if (timeProblem) bad("prometheusRetentionTime", prometheusRetentionTime, timeProblem);
  const prometheusRetentionSize = str("prometheusRetentionSize");
  const sizeProblem = retentionSizeProblem(prometheusRetentionSize);
  if (sizeProblem) bad("prometheusRetentionSize", prometheusRetentionSize, sizeProblem);
  const allowRetentionDecrease = bool("allowRetentionDecrease");

  const trendModeRaw = str("trendMode");
  const trendMode: TrendMode = isTrendMode(trendModeRaw) ? trendModeRaw : CONFIG_DEFAULTS.trendMode;
  if (!isTrendMode(trendModeRaw)) {
    bad("trendMode", trendModeRaw, `one of ${TREND_MODES.join(", ")}`);
  }

  const protectVolumes = bool("protectVolumes");
  const volume = (key: "prometheusVolumeName" | "grafanaVolumeName", role: string) => {
    const given = str(key);
    const name = given === "" ? dockerName(ctx.stack, `${role}-data`) : given;
    if (given !== "" && !isDockerName(given)) {
      bad(
        key,
        given,
        "a Docker volume name: letters, digits, '_', '.', '-', at least 2 characters, starting with a letter or digit (empty for the default)",
      );
    } else if (given.length > DOCKER_VOLUME_NAME_MAX) {
      bad(
        key,
        given,
        `a Docker volume name of at most ${DOCKER_VOLUME_NAME_MAX} characters (this one has ${given.length})`,
      );
    }
    return { name, adopted: given !== "" };
  };
  const volumes = {
    prometheus: volume("prometheusVolumeName", "prometheus"),
    grafana: volume("grafanaVolumeName", "grafana"),
    k6Results: { name: dockerName(ctx.stack, "k6-results"), adopted: false },
    alertmanager: { name: dockerName(ctx.stack, "alertmanager-data"), adopted: false },
  };
  const longest = Object.values(volumes)
    .filter((v) => !v.adopted)
    .reduce((a, v) => (v.name.length > a.length ? v.name : a), "");
  if (longest.length > DOCKER_VOLUME_NAME_MAX) {
    problems.push(
      `stack name ${JSON.stringify(ctx.stack)} is too long: its volume name would have ${longest.length} characters and Docker allows ${DOCKER_VOLUME_NAME_MAX}; use a stack name of at most ${DOCKER_VOLUME_NAME_MAX - longest.length + ctx.stack.length} characters`,
    );
  }
  if (volumes.prometheus.name === volumes.grafana.name) {
    bad(
      "grafanaVolumeName",
      volumes.grafana.name,
      `a different volume from ${label("prometheusVolumeName")}`,
    );
  }
  for (const [key, v] of [
    ["prometheusVolumeName", volumes.prometheus],
    ["grafanaVolumeName", volumes.grafana],
  ] as const) {
    if (v.name === volumes.k6Results.name) {
      bad(key, v.name, "a volume other than the stack's k6 results volume");
    }
  }

  const grafanaAdminPassword = str("grafanaAdminPassword");
  if (grafanaAdminPassword !== "" && (grafanaAdminPassword.length < 12 || /\s/.test(grafanaAdminPassword))) {
    // Never echo a secret: describe it instead.
    problems.push(
      `${label("grafanaAdminPassword")} = (secret, ${grafanaAdminPassword.length} characters) is not allowed: at least 12 characters without whitespace, or empty to generate one`,
    );
  }
  if (grafanaAdminPassword !== "" && ctx.isSecret && !ctx.isSecret("grafanaAdminPassword")) {
    problems.push(
      `${label("grafanaAdminPassword")} = (plaintext, ${grafanaAdminPassword.length} characters) is not allowed: ` +
        `store it encrypted with \`pulumi config set --secret grafanaAdminPassword <value>\``,
    );
  }

  const grafanaAdminUser = str("grafanaAdminUser");
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(grafanaAdminUser)) {
    bad("grafanaAdminUser", grafanaAdminUser, "1 to 64 characters of letters, digits, '.', '_', '@', '-'");
  }

  const image = (
    key: "prometheusImage" | "grafanaImage" | "k6Image" | "alertmanagerImage",
    fallback: PinnedImage,
  ): ImageSpec => {
    const given = str(key);
    if (given === "") return pinned(fallback);
    const spec = parseImageRef(given);
    const unpinned = spec ? unpinnedImageReason(given) : malformedImageReason(given);
    if (!spec || unpinned) {
      bad(
        key,
        given,
        `an image pinned as repo:x.y.z or repo:tag@sha256:<64 hex> (this one ${unpinned}; default ${imageRef(fallback)})`,
      );
      return pinned(fallback);
    }
    return spec;
  };
  const images = {
    prometheus: image("prometheusImage", PROMETHEUS_IMAGE),
    grafana: image("grafanaImage", GRAFANA_IMAGE),
    k6: image("k6Image", K6_IMAGE),
    alertmanager: image("alertmanagerImage", ALERTMANAGER_IMAGE),
  };

  // A webhook URL often carries its token in the path or query: never echo it, and keep it
  // encrypted in the stack file.
  const alertWebhookUrl = str("alertWebhookUrl");
  const webhookProblem = alertWebhookUrl === "" ? undefined : webhookUrlProblem(alertWebhookUrl);
  if (webhookProblem) {
    problems.push(
      `${label("alertWebhookUrl")} = (secret, ${alertWebhookUrl.length} characters) is not allowed: it ${webhookProblem}; allowed: an absolute http:// or https:// URL that Alertmanager posts alerts to, or empty for none`,
    );
  } else if (alertWebhookUrl !== "" && ctx.isSecret && !ctx.isSecret("alertWebhookUrl")) {
    problems.push(
      `${label("alertWebhookUrl")} = (plaintext, ${alertWebhookUrl.length} characters) is not allowed: ` +
        "store it encrypted with `pulumi config set --secret alertWebhookUrl <url>`",
    );
  }

  const allowImageDowngrade = bool("allowImageDowngrade");
  const migrationBackupRaw = str("migrationBackup");
  const migrationBackup =
    migrationBackupRaw === "" ? undefined : path.resolve(ctx.repoRoot, migrationBackupRaw);
  if (migrationBackup !== undefined && !fs.existsSync(path.join(migrationBackup, "manifest.json"))) {
    bad(
      "migrationBackup",
      migrationBackupRaw,
      `a backup directory holding manifest.json (made by npm run backup), absolute or relative to the repository root; ${path.join(migrationBackup, "manifest.json")} does not exist (empty: search backups/${ctx.stack}/)`,
    );
  }

  const k6Enabled = bool("k6Enabled");
  const k6Dir = path.join(ctx.provisioningDir ?? path.join(ctx.repoRoot, "provisioning"), "k6");
  const scriptBase = ctx.scriptBase ?? {
    dir: ctx.repoRoot,
    hint: "a .js or .ts file under provisioning/k6/, relative to the repository root, e.g. provisioning/k6/scripts/smoke.js",
  };
  const script = str("k6Script");
  const scriptHostPath = path.resolve(scriptBase.dir, script);
  let scriptInK6Dir = path.relative(k6Dir, scriptHostPath).split(path.sep).join("/");
  const scriptProblem =
    path.isAbsolute(script) || /^\.\.(\/|$)/.test(scriptInK6Dir) || !/\.(js|ts)$/.test(script)
      ? scriptBase.hint
      : scriptFileProblem(k6Dir, scriptHostPath);
  if (scriptProblem !== undefined) {
    bad("k6Script", script, scriptProblem);
  } else {
    // The file itself, so a symlink inside the directory needs no resolving in the container.
    scriptInK6Dir = path
      .relative(fs.realpathSync(k6Dir), fs.realpathSync(scriptHostPath))
      .split(path.sep)
      .join("/");
  }

  const targetUrl = str("k6TargetUrl");
  const shownTargetUrl = redactUrlCredentials(targetUrl);
  const targetText = urlTextProblem(targetUrl);
  let url: URL | undefined;
  try {
    url = new URL(targetUrl);
  } catch {
    url = undefined;
  }
  if (targetText !== undefined) {
    bad(
      "k6TargetUrl",
      shownTargetUrl,
      `an absolute http:// or https:// URL of the system under test; ${targetText}`,
    );
  } else if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    bad("k6TargetUrl", shownTargetUrl, "an absolute http:// or https:// URL of the system under test");
  } else if (
    isContainerSelfHost(url.hostname) ||
    url.hostname === dockerName(ctx.stack, "k6").toLowerCase()
  ) {
    bad(
      "k6TargetUrl",
      shownTargetUrl,
      `a host reachable from the k6 container; ${url.hostname} there is the k6 container itself - use host.docker.internal for a service on the Docker host`,
    );
  }

  const urlHasCredentials = url !== undefined && (url.username !== "" || url.password !== "");
  // A URL with credentials is always delivered as a secret; messages never echo its password.
  const targetUrlSecret = urlHasCredentials || ctx.isSecret?.("k6TargetUrl") === true;
  if (urlHasCredentials && ctx.isSecret && !ctx.isSecret("k6TargetUrl")) {
    problems.push(
      `${label("k6TargetUrl")} = ${JSON.stringify(shownTargetUrl)} (plaintext, with credentials) is not allowed: ` +
        `credentials in a URL stored in plaintext land unencrypted in the stack file; ${secretHow("k6TargetUrl", "<url>")}`,
    );
  }

  const envRaw = str("k6Env");
  const env: Record<string, string> = {};
  let envParsed: unknown;
  try {
    envParsed = JSON.parse(envRaw);
  } catch {
    envParsed = undefined;
  }
  if (typeof envParsed !== "object" || envParsed === null || Array.isArray(envParsed)) {
    bad("k6Env", envRaw, 'an object of string values, e.g. {"VUS": "20", "DURATION": "2m"}');
  } else {
    // An object holding something credential-like is not echoed in the messages (refused below).
    const envShown = Object.entries(envParsed).some(
      ([n, v]) => CREDENTIAL_NAME.test(n) || (typeof v === "string" && urlWithCredentials(v)),
    )
      ? `(${Object.keys(envParsed).join(", ")})`
      : envRaw;
    for (const [name, value] of Object.entries(envParsed)) {
      if (
        !ENV_NAME.test(name) ||
        name.startsWith("K6_") ||
        (RESERVED_SCRIPT_ENV as readonly string[]).includes(name)
      ) {
        bad(
          "k6Env",
          envShown,
          `variable names matching [A-Za-z_][A-Za-z0-9_]*, not starting with K6_ and not ${RESERVED_SCRIPT_ENV.join(" or ")} (managed by the stack); got ${JSON.stringify(name)}`,
        );
      } else if (runtimeEnvReason(name) !== undefined) {
        bad("k6Env", envShown, `script parameters, not the runtime's ${name}: ${runtimeEnvReason(name)}`);
      } else if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
        bad("k6Env", envShown, `string values; ${name} is ${JSON.stringify(value)}`);
      } else if (
        typeof value === "number" &&
        !(Number.isFinite(value) && (Number.isSafeInteger(value) || !Number.isInteger(value)))
      ) {
        // JSON numbers beyond 2^53 (or 1e400) reach the script as a different number.
        bad(
          "k6Env",
          envShown,
          `string values; ${name} is a number JavaScript cannot hold exactly (${String(value)}): quote it`,
        );
      } else if (typeof value === "string" && GO_TIME.test(value)) {
        bad(
          "k6Env",
          envShown,
          `values as written; ${name} is ${JSON.stringify(value)}, a YAML date the Pulumi CLI rewrote: quote it in the stack file`,
        );
      } else if (typeof value === "string" && value.includes("\0")) {
        bad(
          "k6Env",
          envShown,
          `values without NUL characters (an environment variable cannot hold one); ${name} has one`,
        );
      } else {
        env[name] = String(value);
      }
    }
  }

  for (const [name, value] of Object.entries(env)) {
    if (CREDENTIAL_NAME.test(name) || urlWithCredentials(value)) {
      problems.push(
        `${label("k6Env")} variable ${name} (plaintext) is not allowed: it looks like a credential; ` +
          `move it to ${label("k6SecretEnv")}: ${secretHow(`k6SecretEnv.${name}`, "<value>", "--path ")}`,
      );
    }
  }
  const secretEnv = envObject(
    "k6SecretEnv",
    `an object of string values, set one at a time: ${secretHow("k6SecretEnv.API_TOKEN", "<value>", "--path ")}`,
    true,
  );
  for (const name of Object.keys(secretEnv).filter((n) => n in env)) {
    problems.push(
      `${label("k6SecretEnv")} variable ${name} is not allowed: ${label("k6Env")} sets it too; keep it in one of them`,
    );
  }
  const plaintextSecretEnv = (ctx.plaintextEntries?.("k6SecretEnv") ?? []).filter((n) => n in secretEnv);
  if (Object.keys(secretEnv).length > 0 && ctx.isSecret && !ctx.isSecret("k6SecretEnv")) {
    problems.push(
      `${label("k6SecretEnv")} = (plaintext, ${Object.keys(secretEnv).join(", ")}) is not allowed: ` +
        `store each value encrypted: ${secretHow(`k6SecretEnv.${Object.keys(secretEnv)[0] ?? "NAME"}`, "<value>", "--path ")}`,
    );
  } else if (plaintextSecretEnv.length > 0) {
    problems.push(
      `${label("k6SecretEnv")} entries ${plaintextSecretEnv.join(", ")} (plaintext in the stack file) are not allowed: ` +
        `${secretHow(`k6SecretEnv.${plaintextSecretEnv[0] ?? "NAME"}`, "<value>", "--path ")}`,
    );
  }

  const pushInterval = str("k6PushInterval");
  const pushMs = goDurationMs(pushInterval);
  if (pushMs === undefined || pushMs < 1000 || pushMs > 60_000) {
    bad("k6PushInterval", pushInterval, "a duration from 1s to 1m such as 5s, 1500ms or 1m");
  }

  const targetsRaw = str("scrapeTargets");
  let targetsParsed: unknown;
  try {
    targetsParsed = JSON.parse(targetsRaw);
  } catch {
    targetsParsed = undefined;
  }
  const scrape = checkScrapeTargets(targetsParsed);
  for (const p of scrape.problems) bad("scrapeTargets", targetsRaw, p);

  const memory = (
    key: "prometheusMemoryLimit" | "grafanaMemoryLimit" | "k6MemoryLimit",
    service: "prometheus" | "grafana" | "k6",
  ) => {
    const given = str(key);
    const parsed = parseMemoryMiB(given);
    const { min, max } = MEMORY_LIMIT_RANGE[service];
    const range = `from ${min} MiB to ${max / (1024 * 1024)} TiB, e.g. ${CONFIG_DEFAULTS[key]} (the default)`;
    if ("reason" in parsed) {
      bad(key, given, `${parsed.reason}, ${range}`);
    } else if (parsed.mib < min || parsed.mib > max) {
      bad(key, given, `a memory limit ${range}; this is ${parsed.mib} MiB`);
    }
    return { memoryMiB: "mib" in parsed ? parsed.mib : 0, processes: PROCESS_LIMITS[service] };
  };
  const limits = {
    prometheus: memory("prometheusMemoryLimit", "prometheus"),
    grafana: memory("grafanaMemoryLimit", "grafana"),
    k6: memory("k6MemoryLimit", "k6"),
  };
  const remoteWriteRaw = str("prometheusRemoteWrite");
  let remoteWriteParsed: unknown;
  try {
    remoteWriteParsed = JSON.parse(remoteWriteRaw);
  } catch {
    remoteWriteParsed = undefined;
  }
  // Never echo a credential: messages show the value with secrets described.
  const remoteWriteShown =
    remoteWriteParsed === undefined ? "(not JSON)" : JSON.stringify(redactRemoteWrite(remoteWriteParsed));
  const remoteWrite = checkRemoteWrite(remoteWriteParsed);
  for (const p of remoteWrite.problems) bad("prometheusRemoteWrite", remoteWriteShown, p);
  if (
    hasRemoteWriteCredentials(remoteWriteParsed) &&
    ctx.isSecret &&
    !ctx.isSecret("prometheusRemoteWrite")
  ) {
    bad(
      "prometheusRemoteWrite",
      remoteWriteShown,
      "credentials in plaintext; store each one encrypted, e.g. `pulumi config set --secret --path 'prometheusRemoteWrite[0].password' <value>`",
    );
  }

  // Extra k6 runners remote-write from other hosts: Prometheus must be published where they can
  // reach it, and must authenticate them (an exposed receiver takes anyone's samples).
  const runnersRaw = str("k6Runners");
  let runnersParsed: unknown;
  try {
    runnersParsed = JSON.parse(runnersRaw);
  } catch {
    runnersParsed = undefined;
  }
  const runnersCheck = checkK6Runners(runnersParsed, ctx.localDockerHost ?? DEFAULT_DOCKER_HOST);
  for (const p of runnersCheck.problems) bad("k6Runners", runnersRaw, p);
  const k6Runners = runnersCheck.runners;
  const runnerUrlRaw = str("k6RunnerPrometheusUrl");
  const runnerPrometheus = checkRunnerPrometheus({
    runners: k6Runners.length,
    bindAddress: prometheusBindAddress,
    auth: prometheusAuth,
    port: prometheusPort,
    url: runnerUrlRaw,
  });
  for (const [key, allowed] of runnerPrometheus.problems) {
    bad(key, key === "k6Runners" ? runnersRaw : runnerUrlRaw, allowed);
  }
  const k6RunnerPrometheusUrl = runnerPrometheus.url;
  if (k6Runners.length > 0) {
    if (!k6Enabled) bad("k6Runners", runnersRaw, `an empty list while ${label("k6Enabled")} is false`);
    if (url && [PROMETHEUS_ALIAS, GRAFANA_ALIAS].includes(url.hostname)) {
      bad(
        "k6TargetUrl",
        targetUrl,
        `a host every k6 runner reaches; ${url.hostname} is a name on the stack network, which runners on other hosts are not on`,
      );
    }
  }

  if (problems.length > 0) {
    throw new ConfigError(problems, ctx.subject);
  }
  return {
    stack: ctx.stack,
    bindAddress,
    prometheusBindAddress,
    prometheusAuth,
    grafanaPort,
    grafanaRootUrl,
    prometheusPort,
    alertmanagerPort,
    alertWebhookUrl: alertWebhookUrl === "" ? undefined : alertWebhookUrl,
    prometheusRetentionTime,
    prometheusRetentionSize,
    trendMode,
    protectVolumes,
    volumes,
    grafanaAdminUser,
    grafanaAdminPassword: grafanaAdminPassword === "" ? undefined : grafanaAdminPassword,
    consent: {
      retentionDecrease: allowRetentionDecrease,
      imageDowngrade: allowImageDowngrade,
      migrationBackup,
    },
    images,
    k6: k6Enabled
      ? { scriptInK6Dir, scriptHostPath, targetUrl, targetUrlSecret, env, secretEnv, pushInterval }
      : undefined,
    scrapeTargets: scrape.targets,
    limits,
    remoteWrite: remoteWrite.targets,
    localDockerHost: ctx.localDockerHost ?? DEFAULT_DOCKER_HOST,
    k6Runners,
    k6RunnerPrometheusUrl,
  };
}
