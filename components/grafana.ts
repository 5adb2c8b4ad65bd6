import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
  PublishedPort,
  SECURITY_OPTS,
  UPLOADS_NEED_WRITABLE_ROOTFS,
  goDuration,
  hardened,
  pinnedImage,
  portBlock,
  stackLabels,
} from "./container-defaults";
import { PKG, dockerName } from "../model/naming";
import {
  GRAFANA_ADMIN_PASSWORD_FILE,
  GRAFANA_ALIAS,
  GRAFANA_DATA_DIR,
  GRAFANA_INTERNAL_PORT,
  GRAFANA_PROVISIONING_DIR,
  GRAFANA_SECRET_KEY_FILE,
  GRAFANA_USER,
  grafanaStartScript,
} from "../model/grafana";
import { ContainerLimits } from "../model/container-limits";
import { GRAFANA_LIVENESS, supervisedEntrypoint } from "../model/supervisor";

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
  /** Secret files uploaded into the container (e.g. a datasource password read with `$__file{}`). */
  readonly files?: readonly { readonly file: string; readonly content: pulumi.Input<string> }[];
  /** Containers Grafana's datasource needs up first. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Memory and process limits. */
  readonly limits: ContainerLimits;
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
      // Created in the data volume by the start script; never in state or in the env.
      `GF_SECURITY_SECRET_KEY__FILE=${GRAFANA_SECRET_KEY_FILE}`,
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
        entrypoints: supervisedEntrypoint(GRAFANA_LIVENESS, ["/bin/sh", "-c", grafanaStartScript()]),
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
        uploads: [
          { file: GRAFANA_ADMIN_PASSWORD_FILE, content: pulumi.secret(args.adminPassword) },
          ...(args.files ?? []).map((f) => ({ file: f.file, content: pulumi.secret(f.content) })),
        ],
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
        ...hardened({
          limits: args.limits,
          stopGraceSeconds: 30,
          writableRootfsReason: UPLOADS_NEED_WRITABLE_ROOTFS,
        }),
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
