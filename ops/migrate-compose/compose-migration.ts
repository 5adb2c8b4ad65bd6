import * as path from "path";
import * as YAML from "yaml";
import {
  CONFIG_DEFAULTS,
  CONFIG_NAMESPACE,
  ConfigError,
  ConfigKey,
  ObservatoryConfig,
  ParseContext,
  parseConfig,
} from "../../config";

/**
 * Context the generated settings are validated in: this repository and stack `dev`. The stack name
 * only matters for the default volume names (an adopted volume must not be the stack's own k6
 * results volume); every other rule is the same for every stack.
 */
export const MIGRATION_CONTEXT: ParseContext = {
  stack: "dev",
  repoRoot: path.resolve(__dirname, "..", ".."),
};

/** A `pulumi config set` this stack needs to take over a compose deployment. */
export interface ConfigSetting {
  /** Config key (project namespace). */
  readonly key: ConfigKey;
  /** Value to set. */
  readonly value: string;
  /** Whether it must be set with --secret. */
  readonly secret: boolean;
  /** Where in the compose file it came from. */
  readonly from: string;
}

/** What a compose file maps to. */
export interface ComposeMigration {
  /** Settings to apply, in order. */
  readonly settings: ConfigSetting[];
  /** Things the user must know or do by hand. */
  readonly notes: string[];
}

interface ComposeService {
  image?: string;
  command?: string | string[];
  ports?: (string | number | { target?: number; published?: string | number; host_ip?: string })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  environment?: Record<string, string | number | boolean | null> | string[];
}

interface ComposeFile {
  name?: string;
  services?: Record<string, ComposeService>;
  volumes?: Record<string, { name?: string; external?: boolean | { name?: string } } | null>;
}

/** Compose's normalisation of a project name (lowercase, only [a-z0-9_-]). */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, "");
}

function envOf(service: ComposeService): Record<string, string> {
  const env = service.environment;
  if (!env) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((e) => {
        const i = e.indexOf("=");
        return i < 0 ? [e, ""] : [e.slice(0, i), e.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? "" : String(v)]));
}

function argsOf(service: ComposeService): string[] {
  const c = service.command;
  if (!c) return [];
  return Array.isArray(c) ? c : c.split(/\s+/).filter((s) => s !== "");
}

/** The volume mounted at target, as `{ key, name }` (name = the real Docker volume name). */
function volumeAt(
  file: ComposeFile,
  project: string,
  service: ComposeService,
  target: string,
): { key: string; name: string } | { bind: string } | undefined {
  for (const v of service.volumes ?? []) {
    let source: string | undefined;
    let dest: string | undefined;
    if (typeof v === "string") {
      const parts = v.split(":");
      source = parts.length > 1 ? parts[0] : undefined;
      dest = parts.length > 1 ? parts[1] : parts[0];
    } else {
      source = v.source;
      dest = v.target;
    }
    if (dest?.replace(/\/$/, "") !== target || !source) continue;
    if (source.startsWith("/") || source.startsWith(".") || source.startsWith("~")) {
      return { bind: source };
    }
    const decl = file.volumes?.[source];
    const external = decl?.external;
    const externalName = typeof external === "object" ? external.name : undefined;
    const name = decl?.name ?? externalName ?? (external ? source : `${project}_${source}`);
    return { key: source, name };
  }
  return undefined;
}

function publishedPort(
  service: ComposeService,
  containerPort: number,
): { port: string; ip?: string; from: string } | undefined {
  for (const p of service.ports ?? []) {
    if (typeof p === "object") {
      if (p.target === containerPort && p.published !== undefined) {
        return { port: String(p.published), ip: p.host_ip, from: JSON.stringify(p) };
      }
      continue;
    }
    const parts = String(p)
      .replace(/\/tcp$/, "")
      .split(":");
    if (parts.length < 2 || parts[parts.length - 1] !== String(containerPort)) continue;
    const port = parts[parts.length - 2] ?? "";
    const ip =
      parts.length > 2
        ? parts
            .slice(0, parts.length - 2)
            .join(":")
            .replace(/^\[|\]$/g, "")
        : undefined;
    return { port, ip, from: String(p) };
  }
  return undefined;
}

const isImage = (service: ComposeService, repo: string) =>
  (service.image ?? "")
    .replace(/^docker\.io\//, "")
    .split("@")[0]
    ?.split(":")[0]
    ?.endsWith(repo) ?? false;

/**
 * {@link parseConfig} of these settings on top of the defaults, applied as renderCommands prints
 * them (the password with --secret). Throws {@link ConfigError}.
 */
function parseSettings(settings: readonly ConfigSetting[], ctx: ParseContext): ObservatoryConfig {
  const values = new Map(settings.map((s) => [s.key, s.value]));
  const secret = new Set(settings.filter((s) => s.secret).map((s) => s.key));
  return parseConfig((key) => values.get(key), { ...ctx, isSecret: (key) => secret.has(key) });
}

/** Problems {@link parseSettings} reports; empty when the settings are valid. */
function configProblems(settings: readonly ConfigSetting[], ctx: ParseContext): string[] {
  try {
    parseSettings(settings, ctx);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
}

/** The value a key has in the validated config, for keys composeToConfig produces. */
function effectiveValue(key: ConfigKey, cfg: ObservatoryConfig): string {
  switch (key) {
    case "prometheusVolumeName":
      return cfg.volumes.prometheus.name;
    case "grafanaVolumeName":
      return cfg.volumes.grafana.name;
    case "grafanaPort":
      return String(cfg.grafanaPort);
    case "prometheusPort":
      return String(cfg.prometheusPort);
    case "bindAddress":
      return cfg.bindAddress;
    case "prometheusBindAddress":
      return cfg.prometheusBindAddress;
    case "prometheusRetentionTime":
      return cfg.prometheusRetentionTime;
    case "prometheusRetentionSize":
      return cfg.prometheusRetentionSize;
    case "grafanaAdminUser":
      return cfg.grafanaAdminUser;
    default:
      return String(CONFIG_DEFAULTS[key]);
  }
}

/** What happens instead of a setting that was dropped, given the config that is applied. */
function insteadOf(key: ConfigKey, cfg: ObservatoryConfig): string {
  switch (key) {
    case "grafanaAdminPassword":
      return (
        "the stack generates a password and applies it to the adopted grafana.db on start, so the " +
        "compose password stops working (read the new one with `npm run pulumi -- stack output " +
        "grafanaAdminPassword --show-secrets`). To choose one yourself, run `npm run pulumi -- config set " +
        "--secret grafanaAdminPassword '<at least 12 characters, no whitespace>'` before `npm run up`."
      );
    case "prometheusVolumeName":
    case "grafanaVolumeName":
      return (
        `the stack uses its own new, empty volume ${effectiveValue(key, cfg)} and the compose data is ` +
        `NOT adopted. Copy the data into a volume whose name is accepted and set ${key} to that name.`
      );
    default:
      return (
        `${key} stays ${JSON.stringify(effectiveValue(key, cfg))}; ` +
        `choose another accepted value with \`npm run pulumi -- config set ${key} <value>\`.`
      );
  }
}

/**
 * Maps a docker-compose file of a k6/Prometheus/Grafana stack to this project's stack config: the
 * data volumes to adopt under their real Docker names (compose prefixes them with the project
 * name), ports and bind address, retention, admin credentials.
 *
 * Every setting is checked with the stack's own {@link parseConfig} (in `ctx`, by default
 * {@link MIGRATION_CONTEXT}), one at a time in order on top of those already accepted, so that the
 * printed commands never produce config that `npm run up` rejects after compose was stopped. A
 * setting that would be rejected is left out, and a note names the key, the reason and what
 * happens instead.
 */
export function composeToConfig(
  composeYaml: string,
  projectName: string,
  ctx: ParseContext = MIGRATION_CONTEXT,
): ComposeMigration {
  const file = (YAML.parse(composeYaml) ?? {}) as ComposeFile;
  const project = normalizeProjectName(file.name ?? projectName);
  const settings: ConfigSetting[] = [];
  const notes: string[] = [];
  const set = (key: ConfigKey, value: string, from: string, secret = false) => {
    if (!secret && String(CONFIG_DEFAULTS[key]) === value) return;
    settings.push({ key, value, secret, from });
  };
  const services = Object.entries(file.services ?? {});
  const prometheus = services.find(
    ([, s]) => isImage(s, "prom/prometheus") || isImage(s, "prometheus/prometheus"),
  );
  const grafana = services.find(
    ([, s]) => isImage(s, "grafana/grafana") || isImage(s, "grafana/grafana-oss"),
  );
  if (!prometheus) notes.push("No prom/prometheus service found: Prometheus starts with a new volume.");
  if (!grafana) notes.push("No grafana/grafana service found: Grafana starts with a new volume.");

  const adopt = (
    svc: [string, ComposeService] | undefined,
    target: string,
    key: "prometheusVolumeName" | "grafanaVolumeName",
  ) => {
    if (!svc) return;
    const v = volumeAt(file, project, svc[1], target);
    if (v === undefined) {
      notes.push(`services.${svc[0]} keeps ${target} inside the container: there is no data to adopt.`);
    } else if ("bind" in v) {
      notes.push(
        `services.${svc[0]} bind-mounts ${v.bind} on ${target}. Copy it into a volume first ` +
          `(docker volume create X && docker run --rm -v X:/to -v "$(realpath ${v.bind})":/from:ro <image> cp -a /from/. /to/), then set ${key} X.`,
      );
    } else {
      set(key, v.name, `services.${svc[0]}.volumes (${v.key} -> Docker volume ${v.name})`);
    }
  };
  adopt(prometheus, "/prometheus", "prometheusVolumeName");
  adopt(grafana, "/var/lib/grafana", "grafanaVolumeName");

  // Each service keeps its own address: this stack binds Grafana (bindAddress) and Prometheus
  // (prometheusBindAddress) separately, each behind its own consent.
  const port = (
    svc: [string, ComposeService] | undefined,
    containerPort: number,
    key: "grafanaPort" | "prometheusPort",
    bind: { key: "bindAddress" | "prometheusBindAddress"; consent: string; then: string },
  ) => {
    if (!svc) return;
    const p = publishedPort(svc[1], containerPort);
    if (!p) return;
    set(key, p.port, `services.${svc[0]}.ports ${p.from}`);
    const ip = p.ip ?? "0.0.0.0";
    if (ip === "0.0.0.0" || ip === "::") {
      notes.push(
        `services.${svc[0]} publishes ports on every interface. This stack binds 127.0.0.1 by default; ` +
          `to keep exposing it set ${CONFIG_NAMESPACE}:${bind.key} 0.0.0.0 and ${bind.consent} true${bind.then}.`,
      );
    } else {
      set(bind.key, ip, `services.${svc[0]} ports host address`);
    }
  };
  port(grafana, 3000, "grafanaPort", { key: "bindAddress", consent: "allowNonLoopbackBind", then: "" });
  port(prometheus, 9090, "prometheusPort", {
    key: "prometheusBindAddress",
    consent: "allowNonLoopbackPrometheusBind",
    then: " (Prometheus then requires basic auth; its clients need the stack outputs prometheusUser and prometheusPassword)",
  });

  if (prometheus) {
    for (const arg of argsOf(prometheus[1])) {
      const m = /^--storage\.tsdb\.retention\.(time|size)=(.+)$/.exec(arg);
      if (m)
        set(
          m[1] === "time" ? "prometheusRetentionTime" : "prometheusRetentionSize",
          m[2] ?? "",
          `services.${prometheus[0]}.command ${arg}`,
        );
      if (arg.startsWith("--storage.tsdb.retention=")) {
        set("prometheusRetentionTime", arg.split("=")[1] ?? "", `services.${prometheus[0]}.command ${arg}`);
      }
    }
  }
  if (grafana) {
    const env = envOf(grafana[1]);
    if (env.GF_SECURITY_ADMIN_USER)
      set("grafanaAdminUser", env.GF_SECURITY_ADMIN_USER, `services.${grafana[0]}.environment`);
    if (env.GF_SECURITY_ADMIN_PASSWORD) {
      set("grafanaAdminPassword", env.GF_SECURITY_ADMIN_PASSWORD, `services.${grafana[0]}.environment`, true);
    } else {
      notes.push(
        "No admin password in the compose file: a new one is generated and applied to the adopted grafana.db on start.",
      );
    }
    if (env.GF_AUTH_ANONYMOUS_ENABLED === "true")
      notes.push("Anonymous access was on in compose; this stack turns it off.");
  }

  // Keep only what the stack accepts. Problems the defaults alone have would hide every rejection
  // (and mean the repository itself is broken), so they are an error here.
  const baseline = configProblems([], ctx);
  if (baseline.length > 0) {
    throw new Error(
      `the default stack config is invalid in ${ctx.repoRoot} (stack ${ctx.stack}), so the compose settings cannot be checked:\n  - ${baseline.join("\n  - ")}`,
    );
  }
  const accepted: ConfigSetting[] = [];
  const rejected: { setting: ConfigSetting; problems: string[] }[] = [];
  for (const setting of settings) {
    const problems = configProblems([...accepted, setting], ctx);
    if (problems.length === 0) accepted.push(setting);
    else rejected.push({ setting, problems });
  }
  // Cannot throw: every accepted setting was checked together with the ones before it.
  const cfg = parseSettings(accepted, ctx);
  for (const { setting, problems } of rejected) {
    // parseConfig never echoes a password, so neither do these notes.
    notes.push(
      `${setting.key} from ${setting.from} is not set: the stack would reject it ` +
        `(${problems.join("; ")}). Instead ${insteadOf(setting.key, cfg)}`,
    );
  }
  if (accepted.some((s) => s.key === "grafanaAdminPassword")) {
    notes.push(
      "The admin password from the compose file is set as a secret; it is applied to the adopted grafana.db on start.",
    );
  }
  return { settings: accepted, notes };
}

/** Shell-quotes a value for a copy-pasteable command. */
function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The settings as `npm run pulumi -- config set` commands (secrets shown masked unless asked). */
export function renderCommands(migration: ComposeMigration, showSecrets = false): string[] {
  return migration.settings.map((s) => {
    const value = s.secret && !showSecrets ? "'<the password from the compose file>'" : shellQuote(s.value);
    return `npm run pulumi -- config set ${s.secret ? "--secret " : ""}${s.key} ${value}   # ${s.from}`;
  });
}
