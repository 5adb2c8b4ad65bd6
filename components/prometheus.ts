import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
  PublishedPort,
  SECURITY_OPTS,
  UPLOADS_NEED_WRITABLE_ROOTFS,
  goDuration,
  hardened,
  hostUrl,
  pinnedImage,
  portBlock,
  stackLabels,
} from "./container-defaults";
import { PKG, dockerName } from "../model/naming";
import {
  PROMETHEUS_ALIAS,
  PROMETHEUS_AUTH_USER,
  PROMETHEUS_CONFIG_DIR,
  PROMETHEUS_DATA_DIR,
  PROMETHEUS_INTERNAL_PORT,
  PROMETHEUS_PASSWORD_FILE,
  PROMETHEUS_TARGETS_DIR,
  PROMETHEUS_USER,
  PROMETHEUS_WEB_CONFIG_FILE,
  authenticatedWgetUrl,
} from "../model/prometheus";
import { DOCKER_HOST_NAME } from "../model/scrape-targets";
import { ContainerLimits, PROCESS_LIMITS, RELOAD_MEMORY_MIB, goMemLimit } from "../model/container-limits";
import { PROMETHEUS_LIVENESS, supervisedEntrypoint } from "../model/supervisor";
import { PROMETHEUS_STACK_CONFIG_DIR, RemoteWriteSecretFile } from "../model/remote-write";

/** Arguments of {@link Prometheus}. */
export interface PrometheusArgs {
  /** Stack name; scopes container names. */
  readonly stack: string;
  /** Image reference, pinned. */
  readonly image: string;
  /** Server flags, from prometheusFlags(). */
  readonly flags: readonly string[];
  /** Name of the stack network. */
  readonly network: pulumi.Input<string>;
  /** Name of the data volume holding the TSDB. */
  readonly dataVolume: pulumi.Input<string>;
  /** Absolute host path of provisioning/prometheus (mounted read-only). */
  readonly configDir: string;
  /** Hash of everything under configDir; a change triggers POST /-/reload, never a container replacement. */
  readonly configHash: string;
  /** Published API/UI port. */
  readonly port: PublishedPort;
  /**
   * Absolute host directory holding the user's scrape targets file (file_sd, written by the
   * Observatory), mounted read-only at PROMETHEUS_TARGETS_DIR. Omitted: only itself and Grafana.
   */
  readonly targets?: { readonly dir: string };
  /** Memory and process limits of the server (its Go runtime gets GOMEMLIMIT at 90% of the memory). */
  readonly limits: ContainerLimits;
  /**
   * The stack's own config (the committed one plus remote_write, model/remote-write.ts): its host
   * directory, mounted read-only at PROMETHEUS_STACK_CONFIG_DIR (the flags must point
   * --config.file there; include its content in configHash), and the credential files it names,
   * uploaded as secrets. Omitted: the committed config only.
   */
  readonly remoteWrite?: {
    readonly configDir: string;
    readonly secretFiles: readonly RemoteWriteSecretFile[];
  };
  /** Basic auth of every endpoint; see {@link PrometheusAuth}. */
  readonly auth: PrometheusAuth;
}

/**
 * The stack's Prometheus login. The password file is uploaded whether or not auth is required
 * (the committed config's self-scrape reads it); `webConfig` is what turns auth on.
 */
export interface PrometheusAuth {
  /** The password in clear; stays a secret Output. */
  readonly password: pulumi.Input<string>;
  /**
   * The web config (prometheusWebConfig() of the bcrypt hash), uploaded to
   * PROMETHEUS_WEB_CONFIG_FILE; the flags must then carry `--web.config.file`. Omitted: no auth.
   */
  readonly webConfig?: pulumi.Input<string>;
}

/** Prometheus server with a remote-write receiver, plus the one-shot container that reloads its config. */
export class Prometheus extends pulumi.ComponentResource {
  /** The long-running server. */
  public readonly container: docker.Container;
  /** One-shot `POST /-/reload`, replaced (and so run again) whenever the config hash changes. */
  public readonly reload: docker.Container;
  /** Remote-write URL as seen from containers on the stack network. */
  public readonly remoteWriteUrl: string;
  /** Image reference that runs. */
  public readonly imageRef: string;
  /** API/UI URL on the host. */
  public readonly url: string;
  /** Whether every endpoint requires basic auth (user PROMETHEUS_AUTH_USER). */
  public readonly authRequired: boolean;

  constructor(name: string, args: PrometheusArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${PKG}:Prometheus`, name, {}, opts);
    const image = pinnedImage(`${name}-image`, args.image, this);
    const internalUrl = `http://${PROMETHEUS_ALIAS}:${PROMETHEUS_INTERNAL_PORT}`;
    this.remoteWriteUrl = `${internalUrl}/api/v1/write`;
    this.imageRef = args.image;
    this.url = hostUrl(args.port);
    const webConfig = args.auth.webConfig;
    this.authRequired = webConfig !== undefined;
    if (this.authRequired !== args.flags.some((f) => f.startsWith("--web.config.file="))) {
      throw new Error(
        `Prometheus ${name}: auth.webConfig and the --web.config.file flag must come together (prometheusFlags({ webConfigFile }))`,
      );
    }
    // Secret uploads: `docker inspect` shows neither, and additionalSecretOutputs keeps them out of
    // previews. A changed password changes them, which replaces the container (data kept).
    // The provider's (5.2.0) upload schema has no owner or group (a real `up` with them failed:
    // "Invalid or unknown key" at uploads): files are written with the default mode, readable by
    // Prometheus' user, the only user in the container.
    const secretFile = (file: string, content: pulumi.Input<string>) => ({
      file,
      content: pulumi.secret(content),
    });
    const uploads = [
      secretFile(PROMETHEUS_PASSWORD_FILE, args.auth.password),
      ...(webConfig !== undefined ? [secretFile(PROMETHEUS_WEB_CONFIG_FILE, webConfig)] : []),
      // Remote-write credentials as files, never in the env, command or rendered config; Prometheus
      // re-reads them on every request.
      ...(args.remoteWrite?.secretFiles ?? []).map((f) => secretFile(f.path, f.content)),
    ];
    const readyUrl = `localhost:${PROMETHEUS_INTERNAL_PORT}`;

    this.container = new docker.Container(
      `${name}-container`,
      {
        name: dockerName(args.stack, "prometheus"),
        image: image.imageId,
        // A hung server is killed and the container restarted (model/supervisor.ts).
        entrypoints: supervisedEntrypoint(PROMETHEUS_LIVENESS, ["/bin/prometheus"]),
        command: [...args.flags],
        envs: [`GOMEMLIMIT=${goMemLimit(args.limits.memoryMiB)}`],
        user: PROMETHEUS_USER,
        restart: "unless-stopped",
        securityOpts: SECURITY_OPTS,
        labels: stackLabels(args.stack, "prometheus"),
        mounts: [
          { type: "volume", source: args.dataVolume, target: PROMETHEUS_DATA_DIR },
          { type: "bind", source: args.configDir, target: PROMETHEUS_CONFIG_DIR, readOnly: true },
          ...(args.targets
            ? [{ type: "bind", source: args.targets.dir, target: PROMETHEUS_TARGETS_DIR, readOnly: true }]
            : []),
          ...(args.remoteWrite
            ? [
                {
                  type: "bind",
                  source: args.remoteWrite.configDir,
                  target: PROMETHEUS_STACK_CONFIG_DIR,
                  readOnly: true,
                },
              ]
            : []),
        ],
        networksAdvanced: [{ name: args.network, aliases: [PROMETHEUS_ALIAS] }],
        // Declared whether or not a target is on the Docker host today: a hosts change replaces
        // the container, and adding such a target later should only rewrite the targets file.
        ...(args.targets ? { hosts: [{ host: DOCKER_HOST_NAME, ip: "host-gateway" }] } : {}),
        ports: [portBlock(args.port)],
        uploads,
        healthcheck: {
          tests: this.authRequired
            ? // The shell reads the password from the uploaded file, so it is not in the config.
              ["CMD-SHELL", `wget -q -O /dev/null ${authenticatedWgetUrl(readyUrl, "/-/ready")} || exit 1`]
            : ["CMD", "wget", "-q", "-O", "/dev/null", `http://${readyUrl}/-/ready`],
          interval: goDuration(10),
          timeout: goDuration(5),
          retries: 6,
          startPeriod: goDuration(30),
        },
        wait: true,
        waitTimeout: 300,
        // On SIGTERM Prometheus finishes a running head compaction, then syncs and closes the WAL
        // and blocks; a SIGKILL before that (the provider's default grace is 0) costs a WAL replay
        // and leaves half-written blocks behind. Docker stops waiting as soon as it has exited.
        ...hardened({
          limits: args.limits,
          stopGraceSeconds: 120,
          writableRootfsReason: UPLOADS_NEED_WRITABLE_ROOTFS,
        }),
      },
      {
        parent: this,
        additionalSecretOutputs: ["uploads"],
        // Fixed name and host port: the old container must go before its replacement starts.
        deleteBeforeReplace: true,
        // The provider stores a changed healthcheck without applying it to the running container.
        replaceOnChanges: ["healthcheck"],
      },
    );

    this.reload = new docker.Container(
      `${name}-reload`,
      {
        name: dockerName(args.stack, "prometheus-reload"),
        image: image.imageId,
        ...(this.authRequired
          ? {
              entrypoints: ["/bin/sh", "-c"],
              command: [
                `exec wget -q -O - --post-data= ${authenticatedWgetUrl(`${PROMETHEUS_ALIAS}:${PROMETHEUS_INTERNAL_PORT}`, "/-/reload")}`,
              ],
              uploads: [secretFile(PROMETHEUS_PASSWORD_FILE, args.auth.password)],
            }
          : {
              entrypoints: ["wget"],
              command: ["-q", "-O", "-", "--post-data=", `${internalUrl}/-/reload`],
            }),
        // The hash is the whole point: any config or rule edit changes it, which replaces (and so
        // re-runs) this one-shot container while the server keeps running with its data.
        envs: [`K6OBS_CONFIG_SHA256=${args.configHash}`],
        user: PROMETHEUS_USER,
        securityOpts: SECURITY_OPTS,
        labels: stackLabels(args.stack, "prometheus-reload"),
        networksAdvanced: [{ name: args.network }],
        // The image declares VOLUME /prometheus: without a mount there every run of the trigger
        // would leave an anonymous volume behind.
        ...hardened({
          limits: { memoryMiB: RELOAD_MEMORY_MIB, processes: PROCESS_LIMITS.prometheusReload },
          tmpfs: { [PROMETHEUS_DATA_DIR]: "size=1m,noexec,nosuid" },
          ...(this.authRequired ? { writableRootfsReason: UPLOADS_NEED_WRITABLE_ROOTFS } : {}),
        }),
        mustRun: false,
        restart: "no",
        attach: true,
        logs: true,
      },
      {
        parent: this,
        dependsOn: [this.container],
        deleteBeforeReplace: true,
        additionalSecretOutputs: ["uploads"],
      },
    );

    this.registerOutputs({
      container: this.container.name,
      reload: this.reload.name,
      authRequired: this.authRequired,
      authUser: PROMETHEUS_AUTH_USER,
    });
  }
}
