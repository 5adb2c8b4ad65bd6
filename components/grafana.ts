import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
  PublishedPort,
  SECURITY_OPTS,
  goDuration,
  pinnedImage,
  portBlock,
  stackLabels,
} from "./container-defaults";
import { PKG, dockerName } from "./naming";
import { GRAFANA_ALIAS } from "./prometheus-settings";

/** UID the official Grafana image runs as and that owns /var/lib/grafana. */
export const GRAFANA_USER = "472";
/** Grafana's port inside the container. */
export const GRAFANA_INTERNAL_PORT = 3000;
/** Where Grafana keeps grafana.db, UI-saved dashboards, users and API keys: the data volume. */
export const GRAFANA_DATA_DIR = "/var/lib/grafana";
/** Grafana's provisioning directory (datasources, dashboard providers). */
export const GRAFANA_PROVISIONING_DIR = "/etc/grafana/provisioning";
/** Parent of the dashboard directories the providers read. */
export const GRAFANA_DASHBOARDS_DIR = "/etc/grafana/dashboards";

/**
 * Where the admin password is uploaded into the Grafana container (before it starts). Grafana's
 * own run.sh turns GF_SECURITY_ADMIN_PASSWORD__FILE into GF_SECURITY_ADMIN_PASSWORD, so the
 * password never appears in the container's env, in `docker inspect` or in a preview.
 */
export const GRAFANA_ADMIN_PASSWORD_FILE = "/run/secrets/k6obs-grafana-admin-password";

/**
 * Start command that makes the configured admin password authoritative on every start.
 * GF_SECURITY_ADMIN_PASSWORD alone only applies when grafana.db is created, so on an existing
 * volume a rotated password would be silently ignored. The reset reads the password from stdin
 * (never argv), from GF_SECURITY_ADMIN_PASSWORD__FILE or else GF_SECURITY_ADMIN_PASSWORD (the two
 * ways Grafana takes it), and fails harmlessly on a brand-new database, where Grafana applies it.
 */
export function grafanaStartScript(runScript = "/run.sh"): string {
  return [
    'if { if [ -n "${GF_SECURITY_ADMIN_PASSWORD__FILE:-}" ]; then cat "$GF_SECURITY_ADMIN_PASSWORD__FILE"; else printf "%s" "$GF_SECURITY_ADMIN_PASSWORD"; fi; } \\',
    '  | grafana cli --homepath "$GF_PATHS_HOME" --config "$GF_PATHS_CONFIG" admin reset-admin-password --password-from-stdin >/tmp/k6obs-admin-reset.log 2>&1; then',
    '  echo "k6-observatory: admin password applied to the existing database"',
    "else",
    '  echo "k6-observatory: admin password not reset (new database: GF_SECURITY_ADMIN_PASSWORD applies): $(tail -n 1 /tmp/k6obs-admin-reset.log)"',
    "fi",
    `exec ${runScript}`,
  ].join("\n");
}

/** A host directory bind-mounted read-only into the container. */
export interface ReadOnlyMount {
  /** Absolute host path of a directory (never a single file: file mounts pin the old inode). */
  readonly source: string;
  /** Container path. */
  readonly target: string;
}

/** Arguments of {@link Grafana}. */
export interface GrafanaArgs {
  /** Stack name; scopes container names. */
  readonly stack: string;
  /** Image reference, pinned. */
  readonly image: string;
  /** Name of the stack network. */
  readonly network: pulumi.Input<string>;
  /** Name of the data volume mounted at /var/lib/grafana. */
  readonly dataVolume: pulumi.Input<string>;
  /** Admin login. */
  readonly adminUser: string;
  /** Admin password; stays a secret Output. */
  readonly adminPassword: pulumi.Input<string>;
  /** Provisioning and dashboard directories from the repo, mounted read-only. */
  readonly mounts: readonly ReadOnlyMount[];
  /** Published UI port. */
  readonly port: PublishedPort;
  /** URL users open Grafana at (GF_SERVER_ROOT_URL). */
  readonly rootUrl: string;
  /** Containers Grafana's datasource needs up first. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Grafana with file-provisioned datasource and dashboards, login required, sign-up off. */
export class Grafana extends pulumi.ComponentResource {
  /** The long-running server. */
  public readonly container: docker.Container;
  /** URL users open Grafana at. */
  public readonly url: string;
  /** Image reference that runs. */
  public readonly imageRef: string;

  constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${PKG}:Grafana`, name, {}, opts);
    const image = pinnedImage(`${name}-image`, args.image, this);
    this.url = args.rootUrl;
    this.imageRef = args.image;

    const envs: string[] = [
      `GF_SECURITY_ADMIN_USER=${args.adminUser}`,
      `GF_SECURITY_ADMIN_PASSWORD__FILE=${GRAFANA_ADMIN_PASSWORD_FILE}`,
      "GF_AUTH_ANONYMOUS_ENABLED=false",
      "GF_USERS_ALLOW_SIGN_UP=false",
      "GF_USERS_ALLOW_ORG_CREATE=false",
      "GF_AUTH_BASIC_ENABLED=true",
      "GF_SECURITY_DISABLE_GRAVATAR=true",
      "GF_SECURITY_COOKIE_SAMESITE=strict",
      "GF_ANALYTICS_REPORTING_ENABLED=false",
      "GF_ANALYTICS_CHECK_FOR_UPDATES=false",
      "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES=false",
      "GF_NEWS_NEWS_FEED_ENABLED=false",
      `GF_SERVER_ROOT_URL=${this.url}/`,
      `GF_PATHS_PROVISIONING=${GRAFANA_PROVISIONING_DIR}`,
    ];

    this.container = new docker.Container(
      `${name}-container`,
      {
        name: dockerName(args.stack, "grafana"),
        image: image.imageId,
        entrypoints: ["/bin/sh", "-c", grafanaStartScript()],
        envs,
        user: GRAFANA_USER,
        restart: "unless-stopped",
        securityOpts: SECURITY_OPTS,
        labels: stackLabels(args.stack, "grafana"),
        mounts: [
          { type: "volume", source: args.dataVolume, target: GRAFANA_DATA_DIR },
          ...args.mounts.map((m) => ({ type: "bind", source: m.source, target: m.target, readOnly: true })),
        ],
        networksAdvanced: [{ name: args.network, aliases: [GRAFANA_ALIAS] }],
        ports: [portBlock({ ...args.port, internal: GRAFANA_INTERNAL_PORT })],
        uploads: [{ file: GRAFANA_ADMIN_PASSWORD_FILE, content: pulumi.secret(args.adminPassword) }],
        healthcheck: {
          tests: [
            "CMD-SHELL",
            `curl -fsS -o /dev/null http://localhost:${GRAFANA_INTERNAL_PORT}/api/health || exit 1`,
          ],
          interval: goDuration(10),
          timeout: goDuration(5),
          retries: 6,
          startPeriod: goDuration(60),
        },
        wait: true,
        waitTimeout: 300,
        // Grafana shuts down its HTTP server and closes grafana.db (SQLite) on SIGTERM; a SIGKILL
        // (the provider's default grace is 0) can interrupt a write. It exits in seconds.
        destroyGraceSeconds: 30,
      },
      {
        parent: this,
        dependsOn: args.dependsOn,
        additionalSecretOutputs: ["uploads"],
        deleteBeforeReplace: true,
        replaceOnChanges: ["healthcheck"],
      },
    );

    this.registerOutputs({ container: this.container.name, url: this.url });
  }
}
