import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
  SECURITY_OPTS,
  UPLOADS_NEED_WRITABLE_ROOTFS,
  hardened,
  pinnedImage,
  stackLabels,
} from "./container-defaults";
import { ContainerLimits } from "../model/container-limits";
import {
  K6_RESULTS_DIR,
  K6_SCRIPTS_DIR,
  K6_SECRET_ENV_FILE,
  K6_USER,
  k6PlainEnv,
  k6ReportEnv,
  k6ReportPath,
  k6SecretEntrypoint,
  k6SecretEnvFile,
  k6SummaryPath,
} from "../model/k6";
import { PKG, dockerName } from "../model/naming";
import { LABEL } from "../model/labels";
import { LOCAL_RUNNER } from "../model/k6-runners";

/** Arguments of {@link K6Run}. */
export interface K6RunArgs {
  /** Stack name; scopes the container name and prefixes the testid. */
  readonly stack: string;
  /** Image reference, pinned. */
  readonly image: string;
  /** Name of the stack network; omitted (a runner on another host): Docker's default bridge. */
  readonly network?: pulumi.Input<string>;
  /** Absolute host path of provisioning/k6 (mounted read-only at K6_SCRIPTS_DIR). */
  readonly scriptsDir: string;
  /**
   * The scripts as files uploaded to K6_SCRIPTS_DIR instead of the bind mount: a runner on another
   * Docker host has no such host path.
   */
  readonly scriptUploads?: readonly { readonly file: string; readonly content: string }[];
  /** Shared run id of several runners (one testid for all); omitted: this run creates its own. */
  readonly runId?: random.RandomString;
  /** Runner name (k6Runners): a container label, and the container name's suffix unless `local`. */
  readonly runner?: string;
  /** Hash of the scripts directory: an edited script re-runs the test. */
  readonly scriptsHash: string;
  /** Name of the results volume (mounted at K6_RESULTS_DIR). */
  readonly resultsVolume: pulumi.Input<string>;
  /** Builds the k6 argv for a testid and summary file (k6Args()). */
  readonly args: (testId: string, summaryExport: string) => string[];
  /** Environment of the run (k6Env()); names also in secretEnv are left out of it. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Variables the run gets without a plain env var (tokens, a target URL with credentials,
   * remote-write credentials): uploaded as a secret file that the entrypoint exports before it
   * `exec`s k6. Absent: no file, and the image's own entrypoint runs k6.
   */
  readonly secretEnv?: pulumi.Input<Record<string, string>>;
  /** Resources that must be ready before the run (Prometheus). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Memory and process limits of the run. */
  readonly limits: ContainerLimits;
}

/**
 * One k6 test run as a resource: a one-shot container that runs the script, remote-writes to
 * Prometheus by network alias and exits. `pulumi up` waits for it and stores its output.
 */
export class K6Run extends pulumi.ComponentResource {
  /** Random part of the testid; replacing it (npm run k6:rerun) runs the test again. */
  public readonly runId: random.RandomString;
  /** The `testid` tag on every sample of this run, e.g. `dev-x7k2p9`. */
  public readonly testId: pulumi.Output<string>;
  /** Path of the JSON summary inside the results volume. */
  public readonly summaryPath: pulumi.Output<string>;
  /** Command that copies the JSON summary out of the (stopped) container. */
  public readonly summaryCommand: pulumi.Output<string>;
  /** Path of k6's HTML report (web dashboard export) inside the results volume. */
  public readonly reportPath: pulumi.Output<string>;
  /** `<container>:<reportPath>`, the source `docker cp` takes (npm run k6:report). */
  public readonly reportSource: pulumi.Output<string>;
  /** Command that copies the HTML report out of the (stopped) container. */
  public readonly reportCommand: pulumi.Output<string>;
  /** The one-shot container. */
  public readonly container: docker.Container;

  constructor(name: string, args: K6RunArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${PKG}:K6Run`, name, {}, opts);
    const image = pinnedImage(`${name}-image`, args.image, this);

    this.runId =
      args.runId ??
      new random.RandomString(
        `${name}-run-id`,
        { length: 6, special: false, upper: false, keepers: { stack: args.stack } },
        { parent: this },
      );
    this.testId = pulumi.interpolate`${args.stack}-${this.runId.result}`;
    this.summaryPath = this.testId.apply(k6SummaryPath);
    this.reportPath = this.testId.apply(k6ReportPath);
    const argv = pulumi.all([this.testId, this.summaryPath]).apply(([id, summary]) => args.args(id, summary));
    const secretEnv = args.secretEnv === undefined ? undefined : pulumi.secret(args.secretEnv);
    // The names are not secret; unsecret keeps the plain env visible in previews.
    const secretNames = secretEnv
      ? pulumi.unsecret(secretEnv.apply((e) => Object.keys(e)))
      : pulumi.output([]);
    const envs = pulumi.all([this.testId, this.reportPath, secretNames]).apply(([id, report, names]) => [
      ...Object.entries(k6PlainEnv(args.env, names)).map(([k, v]) => `${k}=${v}`),
      `TESTID=${id}`,
      `K6OBS_SCRIPTS_SHA256=${args.scriptsHash}`,
      // Per testid, like the summary: every run's report stays in the results volume.
      ...Object.entries(k6ReportEnv(report)).map(([k, v]) => `${k}=${v}`),
    ]);

    const uploads = [
      ...(secretEnv
        ? [
            {
              file: K6_SECRET_ENV_FILE,
              // No owner/permissions: the provider plugin of @pulumi/docker 5.2.0 refuses those
              // keys ("Invalid or unknown key", seen on the real engine) though its SDK types list
              // them. Root-owned 0644 inside a container that only runs k6.
              content: secretEnv.apply(k6SecretEnvFile),
            },
          ]
        : []),
      // A runner on another host gets the scripts as files: a bind mount would name a path there.
      ...(args.scriptUploads ?? []).map((u) => ({ file: u.file, content: u.content })),
    ];
    this.container = new docker.Container(
      `${name}-container`,
      {
        name: dockerName(
          args.stack,
          args.runner && args.runner !== LOCAL_RUNNER ? `k6-${args.runner}` : "k6",
        ),
        image: image.imageId,
        ...(secretEnv ? { entrypoints: k6SecretEntrypoint() } : {}),
        command: argv,
        envs,
        // One list: a second `uploads` key would silently replace the first.
        ...(uploads.length > 0 ? { uploads } : {}),
        user: K6_USER,
        securityOpts: SECURITY_OPTS,
        labels: stackLabels(args.stack, "k6", args.runner ? { [LABEL.runner]: args.runner } : {}),
        mounts: [
          ...(args.scriptUploads
            ? []
            : [{ type: "bind", source: args.scriptsDir, target: K6_SCRIPTS_DIR, readOnly: true }]),
          { type: "volume", source: args.resultsVolume, target: K6_RESULTS_DIR },
        ],
        networksAdvanced: args.network === undefined ? undefined : [{ name: args.network }],
        // Lets a script reach a service on the Docker host as host.docker.internal on Linux too.
        hosts: [{ host: "host.docker.internal", ip: "host-gateway" }],
        mustRun: false,
        restart: "no",
        attach: true,
        logs: true,
        ...hardened({
          limits: args.limits,
          tmpfs: { "/tmp": "size=64m,nosuid" },
          ...(uploads.length > 0 ? { writableRootfsReason: UPLOADS_NEED_WRITABLE_ROOTFS } : {}),
        }),
      },
      {
        parent: this,
        dependsOn: args.dependsOn,
        deleteBeforeReplace: true,
        customTimeouts: { create: "60m" },
        // The provider stores upload contents in state; this keeps them encrypted there.
        additionalSecretOutputs: ["uploads"],
      },
    );

    this.summaryCommand = pulumi.interpolate`docker cp ${this.container.name}:${this.summaryPath} .`;
    this.reportSource = pulumi.interpolate`${this.container.name}:${this.reportPath}`;
    this.reportCommand = pulumi.interpolate`docker cp ${this.reportSource} .`;
    this.registerOutputs({ testId: this.testId, container: this.container.name });
  }
}
