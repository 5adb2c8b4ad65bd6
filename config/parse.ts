import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import {
  GRAFANA_IMAGE,
  K6_IMAGE,
  PROMETHEUS_IMAGE,
  ImageSpec,
  PinnedImage,
  imageRef,
  parseImageRef,
  unpinnedImageReason,
} from "../model/images";
import { RESERVED_SCRIPT_ENV } from "../model/k6";
import { checkScrapeTargets } from "../model/scrape-targets";
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
import { dockerName, isDockerName } from "../model/naming";
import { TREND_MODES, TrendMode, isTrendMode } from "../model/trend-mode";
import { LOOPBACK_ALLOWED, isLoopbackIp, isUnspecifiedIp, urlHost } from "../model/net";

const PROMETHEUS_DURATION = /^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;
const PROMETHEUS_SIZE = /^[1-9]\d*(B|KB|MB|GB|TB|PB|EB)$/;
const GO_DURATION = /^(\d+)(ms|s|m)$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

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

/** Context the config is validated in. */
export interface ParseContext {
  /** Pulumi stack name. */
  readonly stack: string;
  /** Absolute path of the repository root (where provisioning/ lives). */
  readonly repoRoot: string;
  /** Whether a key's value is stored encrypted in the stack file; unknown when absent. */
  readonly isSecret?: (key: ConfigKey) => boolean;
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
  const port = (key: "grafanaPort" | "prometheusPort"): number => {
    const v = str(key);
    const n = Number(v);
    if (/^\d+$/.test(v) && n >= 1024 && n <= 65535) return n;
    bad(key, v, "a whole number from 1024 to 65535 (unprivileged host ports)");
    return CONFIG_DEFAULTS[key];
  };

  if (!isDockerName(ctx.stack)) {
    problems.push(
      `stack name ${JSON.stringify(ctx.stack)} cannot scope Docker names: use letters, digits, '_', '.', '-' (starting with a letter or digit)`,
    );
  }

  const bindAddress = str("bindAddress");
  const allowNonLoopbackBind = bool("allowNonLoopbackBind");
  if (!net.isIP(bindAddress)) {
    bad("bindAddress", bindAddress, "an IPv4 or IPv6 address, e.g. 127.0.0.1 (default), ::1 or 0.0.0.0");
  } else if (!isLoopbackIp(bindAddress) && !allowNonLoopbackBind) {
    bad("bindAddress", bindAddress, `${LOOPBACK_ALLOWED} unless ${label("allowNonLoopbackBind")} is true`);
  }

  const grafanaPort = port("grafanaPort");
  const prometheusPort = port("prometheusPort");
  if (grafanaPort === prometheusPort) {
    bad(
      "prometheusPort",
      String(prometheusPort),
      `a port different from ${label("grafanaPort")} (${grafanaPort})`,
    );
  }

  const rootUrlRaw = str("grafanaRootUrl");
  let grafanaRootUrl: string;
  if (rootUrlRaw === "") {
    const host = isUnspecifiedIp(bindAddress) ? "localhost" : urlHost(bindAddress);
    grafanaRootUrl = `http://${host}:${grafanaPort}`;
  } else {
    grafanaRootUrl = rootUrlRaw.replace(/\/+$/, "");
    if (!/^https?:\/\/[^/\s]+/.test(rootUrlRaw) || !URL.canParse(rootUrlRaw)) {
      bad(
        "grafanaRootUrl",
        rootUrlRaw,
        "an absolute http:// or https:// URL, e.g. https://grafana.example.com (empty to derive it)",
      );
    }
  }

  const prometheusRetentionTime = str("prometheusRetentionTime");
  if (!PROMETHEUS_DURATION.test(prometheusRetentionTime) || !/[1-9]/.test(prometheusRetentionTime)) {
    bad(
      "prometheusRetentionTime",
      prometheusRetentionTime,
      "a non-zero Prometheus duration with units y, w, d, h, m, s, ms in that order, e.g. 15d, 12w, 1y, 1d12h",
    );
  }
  const prometheusRetentionSize = str("prometheusRetentionSize");
  if (!PROMETHEUS_SIZE.test(prometheusRetentionSize)) {
    bad(
      "prometheusRetentionSize",
      prometheusRetentionSize,
      "a positive whole number with a unit B, KB, MB, GB, TB, PB or EB, e.g. 512MB or 10GB",
    );
  }

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
    }
    return { name, adopted: given !== "" };
  };
  const volumes = {
    prometheus: volume("prometheusVolumeName", "prometheus"),
    grafana: volume("grafanaVolumeName", "grafana"),
    k6Results: { name: dockerName(ctx.stack, "k6-results"), adopted: false },
  };
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

  const image = (key: "prometheusImage" | "grafanaImage" | "k6Image", fallback: PinnedImage): ImageSpec => {
    const given = str(key);
    if (given === "") return pinned(fallback);
    const spec = parseImageRef(given);
    const unpinned = spec ? unpinnedImageReason(given) : "is malformed";
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
  };

  const k6Enabled = bool("k6Enabled");
  const k6Dir = path.join(ctx.provisioningDir ?? path.join(ctx.repoRoot, "provisioning"), "k6");
  const scriptBase = ctx.scriptBase ?? {
    dir: ctx.repoRoot,
    hint: "a .js or .ts file under provisioning/k6/, relative to the repository root, e.g. provisioning/k6/scripts/smoke.js",
  };
  const script = str("k6Script");
  const scriptHostPath = path.resolve(scriptBase.dir, script);
  const scriptInK6Dir = path.relative(k6Dir, scriptHostPath).split(path.sep).join("/");
  if (path.isAbsolute(script) || scriptInK6Dir.startsWith("..") || !/\.(js|ts)$/.test(script)) {
    bad("k6Script", script, scriptBase.hint);
  } else if (!fs.existsSync(scriptHostPath) || !fs.statSync(scriptHostPath).isFile()) {
    bad("k6Script", script, `an existing file; ${scriptHostPath} does not exist`);
  }

  const targetUrl = str("k6TargetUrl");
  let url: URL | undefined;
  try {
    url = new URL(targetUrl);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    bad("k6TargetUrl", targetUrl, "an absolute http:// or https:// URL of the system under test");
  } else if (url.hostname === "localhost" || isLoopbackIp(url.hostname.replace(/^\[|\]$/g, ""))) {
    bad(
      "k6TargetUrl",
      targetUrl,
      "a host reachable from the k6 container; localhost there is the container itself - use host.docker.internal for a service on the Docker host",
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
    for (const [name, value] of Object.entries(envParsed)) {
      if (
        !ENV_NAME.test(name) ||
        name.startsWith("K6_") ||
        (RESERVED_SCRIPT_ENV as readonly string[]).includes(name)
      ) {
        bad(
          "k6Env",
          envRaw,
          `variable names matching [A-Za-z_][A-Za-z0-9_]*, not starting with K6_ and not ${RESERVED_SCRIPT_ENV.join(" or ")} (managed by the stack); got ${JSON.stringify(name)}`,
        );
      } else if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
        bad("k6Env", envRaw, `string values; ${name} is ${JSON.stringify(value)}`);
      } else {
        env[name] = String(value);
      }
    }
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

  // Extra k6 runners remote-write from other hosts: Prometheus must be published where they can
  // reach it, and must authenticate them (an exposed receiver takes anyone's samples).
  // TODO(exposure merge): use prometheusBindAddress and prometheusAuth once they exist.
  const prometheusBind = bindAddress;
  const prometheusAuth = false as boolean;
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
    bindAddress: prometheusBind,
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
    grafanaPort,
    grafanaRootUrl,
    prometheusPort,
    prometheusRetentionTime,
    prometheusRetentionSize,
    trendMode,
    protectVolumes,
    volumes,
    grafanaAdminUser,
    grafanaAdminPassword: grafanaAdminPassword === "" ? undefined : grafanaAdminPassword,
    images,
    k6: k6Enabled ? { scriptInK6Dir, scriptHostPath, targetUrl, env, pushInterval } : undefined,
    scrapeTargets: scrape.targets,
    localDockerHost: ctx.localDockerHost ?? DEFAULT_DOCKER_HOST,
    k6Runners,
    k6RunnerPrometheusUrl,
  };
}
