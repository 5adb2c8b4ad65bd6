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
import { ALERTMANAGER_LIMITS } from "../model/container-limits";
import { PKG, dockerName } from "../model/naming";
import {
  ALERTMANAGER_ALIAS,
  ALERTMANAGER_CONFIG_FILE,
  ALERTMANAGER_DATA_DIR,
  ALERTMANAGER_INTERNAL_PORT,
  ALERTMANAGER_USER,
  alertmanagerFlags,
  renderAlertmanagerConfig,
} from "../model/alertmanager";

/** Arguments of {@link Alertmanager}. */
export interface AlertmanagerArgs {
  /** Stack name; scopes the container name. */
  readonly stack: string;
  /** Image reference, pinned. */
  readonly image: string;
  /** Name of the stack network. */
  readonly network: pulumi.Input<string>;
  /** Name of the data volume holding silences and the notification log. */
  readonly dataVolume: pulumi.Input<string>;
  /** Published API/UI port. */
  readonly port: PublishedPort;
  /** Where alerts are posted (validated by the stack config); omitted: no external receiver. Kept secret. */
  readonly webhookUrl?: pulumi.Input<string>;
}

/**
 * Alertmanager: receives the alerts Prometheus fires, groups them and posts them to the configured
 * webhook; Grafana lists them through its provisioned Alertmanager datasource.
 */
export class Alertmanager extends pulumi.ComponentResource {
  /** The long-running server. */
  public readonly container: docker.Container;
  /** Image reference that runs. */
  public readonly imageRef: string;
  /** API/UI URL on the host. */
  public readonly url: string;
  /** URL Prometheus and Grafana reach it at on the stack network. */
  public readonly internalUrl: string;

  constructor(name: string, args: AlertmanagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${PKG}:Alertmanager`, name, {}, opts);
    const image = pinnedImage(`${name}-image`, args.image, this);
    this.imageRef = args.image;
    this.url = hostUrl(args.port);
    this.internalUrl = `http://${ALERTMANAGER_ALIAS}:${ALERTMANAGER_INTERNAL_PORT}`;
    // The whole file is secret when a webhook is set: its URL usually is the credential.
    const config = pulumi
      .output(args.webhookUrl ?? "")
      .apply((webhookUrl) => renderAlertmanagerConfig({ webhookUrl }));

    this.container = new docker.Container(
      `${name}-container`,
      {
        name: dockerName(args.stack, "alertmanager"),
        image: image.imageId,
        command: alertmanagerFlags(),
        user: ALERTMANAGER_USER,
        restart: "unless-stopped",
        securityOpts: SECURITY_OPTS,
        labels: stackLabels(args.stack, "alertmanager"),
        mounts: [{ type: "volume", source: args.dataVolume, target: ALERTMANAGER_DATA_DIR }],
        // A changed receiver replaces the container (a few seconds without alert delivery;
        // Prometheus re-sends what fires). Silences and the notification log live in the volume.
        uploads: [
          { file: ALERTMANAGER_CONFIG_FILE, content: args.webhookUrl ? pulumi.secret(config) : config },
        ],
        networksAdvanced: [{ name: args.network, aliases: [ALERTMANAGER_ALIAS] }],
        ports: [portBlock({ ...args.port, internal: ALERTMANAGER_INTERNAL_PORT })],
        healthcheck: {
          tests: [
            "CMD",
            "wget",
            "-q",
            "-O",
            "/dev/null",
            `http://localhost:${ALERTMANAGER_INTERNAL_PORT}/-/ready`,
          ],
          interval: goDuration(10),
          timeout: goDuration(5),
          retries: 6,
          startPeriod: goDuration(20),
        },
        wait: true,
        waitTimeout: 120,
        // On SIGTERM Alertmanager writes its silences and notification log snapshot to the volume.
        ...hardened({
          limits: ALERTMANAGER_LIMITS,
          stopGraceSeconds: 30,
          writableRootfsReason: UPLOADS_NEED_WRITABLE_ROOTFS,
        }),
      },
      {
        parent: this,
        additionalSecretOutputs: ["uploads"],
        // Fixed name and host port: the old container must go before its replacement starts.
        deleteBeforeReplace: true,
        replaceOnChanges: ["healthcheck"],
      },
    );

    this.registerOutputs({ container: this.container.name, url: this.url });
  }
}
