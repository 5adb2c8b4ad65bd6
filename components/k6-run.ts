import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { SECURITY_OPTS, pinnedImage, stackLabels } from "./container-defaults";
import {
  K6_RESULTS_DIR,
  K6_SCRIPTS_DIR,
  K6_USER,
  k6ReportEnv,
  k6ReportPath,
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
  /** Environment of the run (k6Env()). */
  readonly env: Readonly<Record<string, string>>;
  /** Resources that must be ready before the run (Prometheus). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
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
    const envs = pulumi.all([this.testId, this.reportPath]).apply(([id, report]) => [
      ...Object.entries(args.env).map(([k, v]) => `${k}=${v}`),
      `TESTID=${id}`,
      `K6OBS_SCRIPTS_SHA256=${args.scriptsHash}`,
      // Per testid, like the summary: every run's report stays in the results volume.
      ...Object.entries(k6ReportEnv(report)).map(([k, v]) => `${k}=${v}`),
    ]);

    this.container = new docker.Container(
      `${name}-container`,
      {
        name: dockerName(
          args.stack,
          args.runner && args.runner !== LOCAL_RUNNER ? `k6-${args.runner}` : "k6",
        ),
        image: image.imageId,
        command: argv,
        envs,
        user: K6_USER,
        securityOpts: SECURITY_OPTS,
        labels: stackLabels(args.stack, "k6", args.runner ? { [LABEL.runner]: args.runner } : {}),
        mounts: [
          ...(args.scriptUploads
            ? []
            : [{ type: "bind", source: args.scriptsDir, target: K6_SCRIPTS_DIR, readOnly: true }]),
          { type: "volume", source: args.resultsVolume, target: K6_RESULTS_DIR },
        ],
        // Only for a runner on another host: an `uploads: undefined` would drop other uploads.
        ...(args.scriptUploads
          ? { uploads: args.scriptUploads.map((u) => ({ file: u.file, content: u.content })) }
          : {}),
        networksAdvanced: args.network === undefined ? undefined : [{ name: args.network }],
        // Lets a script reach a service on the Docker host as host.docker.internal on Linux too.
        hosts: [{ host: "host.docker.internal", ip: "host-gateway" }],
        mustRun: false,
        restart: "no",
        attach: true,
        logs: true,
      },
      {
        parent: this,
        dependsOn: args.dependsOn,
        deleteBeforeReplace: true,
        customTimeouts: { create: "60m" },
      },
    );

    this.summaryCommand = pulumi.interpolate`docker cp ${this.container.name}:${this.summaryPath} .`;
    this.reportSource = pulumi.interpolate`${this.container.name}:${this.reportPath}`;
    this.reportCommand = pulumi.interpolate`docker cp ${this.reportSource} .`;
    this.registerOutputs({ testId: this.testId, container: this.container.name });
  }
}
