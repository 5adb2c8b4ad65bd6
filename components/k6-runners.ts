import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as fs from "fs";
import * as path from "path";
import { K6Run, K6RunArgs } from "./k6-run";
import { stackLabels } from "./container-defaults";
import { ContainerLimits } from "../model/container-limits";
import { K6_SCRIPTS_DIR } from "../model/k6";
import { K6RunnerPlan, runnerArgs } from "../model/k6-runners";
import { LABEL } from "../model/labels";
import { PKG, dockerName } from "../model/naming";

/** Arguments of {@link K6Runners}. */
export interface K6RunnersArgs {
  /** Stack name; scopes container and volume names. */
  readonly stack: string;
  /** k6 image reference, pinned (each host pulls it or uses its local copy). */
  readonly image: string;
  /** The extra runners (planK6Runners() without the local one): name, Docker host, segment. */
  readonly runners: readonly K6RunnerPlan[];
  /** The local run's run id: every runner shares it, so all carry one testid and rerun together. */
  readonly runId: random.RandomString;
  /** Absolute host path of provisioning/k6; its files are uploaded into each runner's container. */
  readonly scriptsDir: string;
  /** Hash of the scripts directory (an edited script re-runs every runner). */
  readonly scriptsHash: string;
  /** Builds the k6 argv for a testid and summary file, script last (k6Args()). */
  readonly args: (testId: string, summaryExport: string) => string[];
  /** Environment of every runner (k6Env() with the remote-write URL the runner hosts reach). */
  readonly env: Readonly<Record<string, string>>;
  /** Secret env of every runner (Prometheus' basic-auth credentials for remote write). */
  readonly secretEnv?: pulumi.Input<Record<string, string>>;
  /** Resources that must be ready first (Prometheus). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Memory and process limits of each runner's container (the k6MemoryLimit setting). */
  readonly limits: ContainerLimits;
}

/** Every file under `dir` as an upload into K6_SCRIPTS_DIR (the bind mount's content, for another host). */
export function scriptUploads(dir: string): { file: string; content: string }[] {
  const out: { file: string; content: string }[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile())
        out.push({
          file: `${K6_SCRIPTS_DIR}/${path.relative(dir, full).split(path.sep).join("/")}`,
          content: fs.readFileSync(full, "utf8"),
        });
    }
  };
  walk(dir);
  return out;
}

/** k6's argv with a runner's flags inserted before the script (the last argument). */
export function withRunnerArgs(argv: readonly string[], plan: K6RunnerPlan): string[] {
  return [...argv.slice(0, -1), ...runnerArgs(plan), ...argv.slice(-1)];
}

/**
 * The k6 runners on other Docker hosts (k6Runners): per host one Docker provider, one retained
 * results volume and one one-shot k6 container running its execution segment of the test, with the
 * local run's testid. Their containers reach Prometheus by URL (they are not on the stack network);
 * the scripts are uploaded, as the hosts do not have this checkout.
 */
export class K6Runners extends pulumi.ComponentResource {
  /** The Docker provider of each runner host, by runner name. */
  public readonly providers: Readonly<Record<string, docker.Provider>>;
  /** The run of each runner, by runner name. */
  public readonly runs: Readonly<Record<string, K6Run>>;
  /** The results volume on each runner host, by runner name (retained like the stack's data). */
  public readonly volumes: Readonly<Record<string, docker.Volume>>;

  constructor(name: string, args: K6RunnersArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${PKG}:K6Runners`, name, {}, opts);
    const uploads = scriptUploads(args.scriptsDir);
    const providers: Record<string, docker.Provider> = {};
    const runs: Record<string, K6Run> = {};
    const volumes: Record<string, docker.Volume> = {};
    for (const plan of args.runners) {
      if (plan.host === undefined) throw new Error(`K6Runners: runner ${plan.name} has no host`);
      const provider = new docker.Provider(
        `${name}-${plan.name}-docker`,
        { host: plan.host },
        { parent: this },
      );
      providers[plan.name] = provider;
      volumes[plan.name] = new docker.Volume(
        `${name}-${plan.name}-results`,
        {
          name: dockerName(args.stack, "k6-results"),
          labels: stackLabels(args.stack, "k6-results", {
            [LABEL.retain]: "true",
            [LABEL.runner]: plan.name,
          }),
        },
        // Retained like the stack's own data volumes (DataVolumes): summaries outlive destroy.
        { parent: this, provider, retainOnDelete: true, ignoreChanges: ["labels", "driver", "driverOpts"] },
      );
      const runArgs: K6RunArgs = {
        stack: args.stack,
        image: args.image,
        scriptsDir: args.scriptsDir,
        scriptUploads: uploads,
        scriptsHash: args.scriptsHash,
        resultsVolume: volumes[plan.name]!.name,
        runId: args.runId,
        runner: plan.name,
        env: args.env,
        args: (testId, summary) => withRunnerArgs(args.args(testId, summary), plan),
        dependsOn: args.dependsOn,
        limits: args.limits,
        secretEnv: args.secretEnv,
      };
      runs[plan.name] = new K6Run(`${name}-${plan.name}`, runArgs, {
        parent: this,
        providers: { docker: provider },
      });
    }
    this.providers = providers;
    this.runs = runs;
    this.volumes = volumes;
    this.registerOutputs({
      containers: Object.fromEntries(Object.entries(runs).map(([n, r]) => [n, r.container.name])),
    });
  }
}
