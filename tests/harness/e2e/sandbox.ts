/**
 * One e2e run's world: the Docker Engine, the Pulumi engine, the images and a temp copy of the
 * repository ("the checkout") with its own K6OBS_HOME. The suite drives the project's own commands
 * in that copy (`npm run up`, `preview`, `destroy`, `k6:rerun`, `purge-data`, `pulumi`).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { E2eImages, ensureImages } from "../images/build";
import {
  DockerEngine,
  PreviewStep,
  REPO,
  STACK_PREFIXES,
  Run,
  changedSteps,
  copyCheckout,
  ensurePulumiEngine,
  freePorts,
  git,
  pulumiHomeFor,
  runCommand,
  say,
  setStackFile,
  sh,
  startDocker,
  tempDir,
} from "./harness";

/** Host ports of one stack. */
export interface StackPorts {
  readonly grafana: number;
  readonly prometheus: number;
  readonly alertmanager: number;
}

/** Everything a suite run set up; {@link E2eSandbox.close} undoes it. */
export class E2eSandbox {
  /** The temp copy of the repository the commands run in. */
  readonly checkout: string;
  /** K6OBS_HOME of this run (backend + passphrase). */
  readonly home: string;
  /** Environment of every command: DOCKER_HOST, K6OBS_HOME, PULUMI_HOME. */
  readonly env: NodeJS.ProcessEnv;

  private constructor(
    /** Which Pulumi engine runs, as printed at setup. */
    readonly engine: string,
    readonly docker: DockerEngine,
    readonly images: E2eImages,
    readonly ports: Record<"dev" | "ci", StackPorts>,
    private readonly temp: { dir: string; remove: () => void },
    pulumiHome: string,
  ) {
    this.checkout = path.join(temp.dir, "k6-observatory");
    this.home = path.join(temp.dir, "k6obs-home");
    this.env = {
      ...process.env,
      DOCKER_HOST: docker.host,
      K6OBS_HOME: this.home,
      PULUMI_HOME: pulumiHome,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_CONFIG_PASSPHRASE: undefined,
      PULUMI_CONFIG_PASSPHRASE_FILE: undefined,
      PULUMI_BACKEND_URL: undefined,
      K6OBS_STACK: undefined,
      // npm's own noise (update notices, funding) stays out of the logs.
      npm_config_update_notifier: "false",
      npm_config_fund: "false",
    };
  }

  /** Starts Docker, finds the Pulumi engine, builds the images and makes the checkout copy. */
  static async create(): Promise<E2eSandbox> {
    const temp = tempDir("k6obs-e2e-");
    let docker: DockerEngine | undefined;
    try {
      docker = startDocker();
      return await E2eSandbox.setUp(temp, docker);
    } catch (e) {
      // Undo what a failed setup started; the error (the reason) goes to every test.
      try {
        docker?.stop();
      } finally {
        temp.remove();
      }
      throw e;
    }
  }

  private static async setUp(
    temp: { dir: string; remove: () => void },
    docker: DockerEngine,
  ): Promise<E2eSandbox> {
    const started = Date.now();
    const pulumiHome = pulumiHomeFor(temp.dir);
    const engine = await ensurePulumiEngine(pulumiHome);
    const given = {
      prometheus: process.env.K6OBS_E2E_PROMETHEUS_IMAGE,
      grafana: process.env.K6OBS_E2E_GRAFANA_IMAGE,
      k6: process.env.K6OBS_E2E_K6_IMAGE,
      alertmanager: process.env.K6OBS_E2E_ALERTMANAGER_IMAGE,
    };
    const images = ensureImages({
      repo: REPO,
      env: { ...process.env, DOCKER_HOST: docker.host },
      given,
      log: say,
    });
    const [g1, p1, g2, p2, a1, a2] = await freePorts(6);
    const ports = {
      dev: { grafana: g1 ?? 0, prometheus: p1 ?? 0, alertmanager: a1 ?? 0 },
      ci: { grafana: g2 ?? 0, prometheus: p2 ?? 0, alertmanager: a2 ?? 0 },
    };
    const sb = new E2eSandbox(engine, docker, images, ports, temp, pulumiHome);
    if (docker.mode === "dedicated") {
      // Left over by a run that was killed before its cleanup: the suite's own engine holds nothing else.
      const left = sb.objects("");
      if (left.containers.length + left.volumes.length > 0) {
        say(
          `removing what an interrupted run left in the suite's engine: ${[...left.containers, ...left.volumes].join(", ")}`,
        );
        if (left.containers.length) sb.docker_(["rm", "-f", ...left.containers]);
        if (left.volumes.length) sb.docker_(["volume", "rm", "-f", ...left.volumes]);
      }
      for (const n of left.networks.filter((x) => x.startsWith("k6obs-"))) sb.docker_(["network", "rm", n]);
    }
    copyCheckout(REPO, sb.checkout);
    // Stack files set before any pulumi command, so the first `up` meets an empty backend. Ports
    // are free ones (a user's real dev stack may hold 3000/9090 on this host); the k6 runs are short.
    for (const stack of ["dev", "ci"] as const) {
      setStackFile(sb.checkout, stack, {
        grafanaPort: String(ports[stack].grafana),
        prometheusPort: String(ports[stack].prometheus),
        alertmanagerPort: String(ports[stack].alertmanager),
        prometheusImage: images.prometheus,
        alertmanagerImage: images.alertmanager,
        grafanaImage: images.grafana,
        k6Image: images.k6,
        k6Env: { DURATION: "6s", VUS: "2", SLEEP: "0.2" },
      });
    }
    git(sb.checkout, ["commit", "-q", "-a", "-m", "e2e: free ports, the suite's images, short k6 runs"]);
    say(
      `setup (Docker, engine, images, checkout copy at ${sb.checkout}) took ${((Date.now() - started) / 1000).toFixed(1)}s`,
    );
    return sb;
  }

  /** `npm run <script> -- <args>` in the checkout for a stack. */
  npm(
    script: string,
    args: string[],
    opts: { stack?: string; input?: string; label?: string; cwd?: string; home?: string } = {},
  ): Promise<Run> {
    const stack = opts.stack ?? "dev";
    return runCommand("npm", ["run", "--silent", script, ...(args.length ? ["--", ...args] : [])], {
      cwd: opts.cwd ?? this.checkout,
      env: { ...this.env, K6OBS_STACK: stack, ...(opts.home ? { K6OBS_HOME: opts.home } : {}) },
      input: opts.input,
      label: opts.label ?? `${stack}: npm run ${script}${args.length ? ` -- ${args.join(" ")}` : ""}`,
    });
  }

  /** Like npm(), but throws with the output when the command fails. */
  async npmOk(script: string, args: string[], opts: { stack?: string; label?: string } = {}): Promise<Run> {
    const r = await this.npm(script, args, opts);
    if (r.code !== 0)
      throw new Error(`npm run ${script} -- ${args.join(" ")} exited ${r.code}:\n${tail(r.output)}`);
    return r;
  }

  /** A stack output (plain text; secrets with showSecrets). */
  async output(name: string, opts: { stack?: string; showSecrets?: boolean } = {}): Promise<string> {
    const r = await runCommand(
      "bash",
      ["ops/pulumi/pulumi.sh", "stack", "output", name, ...(opts.showSecrets ? ["--show-secrets"] : [])],
      {
        cwd: this.checkout,
        env: { ...this.env, K6OBS_STACK: opts.stack ?? "dev" },
      },
    );
    if (r.code !== 0) throw new Error(`stack output ${name}: ${tail(r.output)}`);
    return r.stdout.trim();
  }

  /**
   * The gateway of the engine's default bridge: where a container reaches this host as
   * host.docker.internal (host-gateway); on the suite's own engine, its own bridge's address.
   */
  bridgeGateway(): string {
    return this.docker_([
      "network",
      "inspect",
      "bridge",
      "--format",
      "{{range .IPAM.Config}}{{.Gateway}}{{end}}",
    ]);
  }

  /** `pulumi <args>` through the project's wrapper (ops/pulumi/pulumi.sh); its output, or throws with it. */
  async pulumi(args: string[], label: string, stack = "dev"): Promise<string> {
    const r = await runCommand("bash", ["ops/pulumi/pulumi.sh", ...args], {
      cwd: this.checkout,
      env: { ...this.env, K6OBS_STACK: stack },
      label: `${stack}: ${label}`,
    });
    if (r.code !== 0) throw new Error(`pulumi ${label} exited ${r.code}:\n${tail(r.output)}`);
    return r.output;
  }

  /** `pulumi config set` through the project's wrapper. */
  async configSet(key: string, value: string, stack = "dev"): Promise<void> {
    await this.npmOk("pulumi", ["config", "set", key, value], {
      stack,
      label: `${stack}: config set ${key} ${value}`,
    });
  }

  /** The steps `pulumi preview --json` plans that change something. */
  async plan(label: string, stack = "dev"): Promise<PreviewStep[]> {
    const r = await runCommand(
      "bash",
      ["ops/pulumi/pulumi.sh", "preview", "--json", "--policy-pack", "policy"],
      {
        cwd: this.checkout,
        env: { ...this.env, K6OBS_STACK: stack },
        label: `${stack}: preview --json (${label})`,
      },
    );
    if (r.code !== 0) throw new Error(`preview --json (${label}) exited ${r.code}:\n${tail(r.output)}`);
    return changedSteps(r.stdout);
  }

  /** A docker CLI call against the suite's engine. */
  docker_(args: string[], input?: string): string {
    return sh("docker", args, { ...this.env }, input).trim();
  }

  /** A container's stdout and stderr (docker logs writes them to its own two streams). */
  logs(name: string): string {
    const r = spawnSync("docker", ["logs", name], { env: this.env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`docker logs ${name}: ${r.stderr}`);
    return `${r.stdout}${r.stderr}`;
  }

  /**
   * PID (inside the container) of the server the liveness supervisor (PID 1, model/supervisor.ts)
   * runs: PID 1's child that is not its probe loop's `sleep`, from /proc/<pid>/stat (exit 0: the
   * loop's last test fails whenever the last process listed is not the server).
   */
  serverPid(name: string): string {
    // The probe's own short-lived child (wget/curl) can be PID 1's child at the moment of the scan,
    // more often on a loaded machine: scan again until exactly one server child is seen.
    let pid = "";
    for (let attempt = 0; attempt < 20; attempt++) {
      pid = this.docker_([
        "exec",
        name,
        "/bin/sh",
        "-c",
        'for p in /proc/[0-9]*; do set -- $(cat "$p/stat" 2>/dev/null); [ "$4" = 1 ] && [ "$2" != "(sleep)" ] && echo "${p#/proc/}"; done; exit 0',
      ]);
      if (/^\d+$/.test(pid)) return pid;
      spawnSync("sleep", ["0.3"]);
    }
    throw new Error(`${name}: no single server child of the supervisor (got ${JSON.stringify(pid)})`);
  }

  /** A container's health status (`healthy`, `starting`, `unhealthy`), `none` without a healthcheck. */
  health(name: string): string {
    return this.docker_([
      "inspect",
      "--format",
      "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}",
      name,
    ]);
  }

  /** Container id by name, or undefined when there is no such container. */
  containerId(name: string): string | undefined {
    try {
      return this.docker_(["container", "inspect", "--format", "{{.Id}}", name]);
    } catch {
      return undefined;
    }
  }

  /** Names of the containers, networks and volumes whose names start with prefix. */
  objects(prefix: string): { containers: string[]; networks: string[]; volumes: string[] } {
    const names = (args: string[]) =>
      this.docker_(args)
        .split("\n")
        .filter((n) => n !== "" && n.startsWith(prefix))
        .sort();
    return {
      containers: names(["ps", "-a", "--format", "{{.Names}}"]),
      networks: names(["network", "ls", "--format", "{{.Name}}"]),
      volumes: names(["volume", "ls", "--format", "{{.Name}}"]),
    };
  }

  /** Best-effort teardown of both stacks, then the engine and the temp directory (always). */
  async close(): Promise<void> {
    try {
      for (const stack of ["ci", "dev"]) {
        const r = await this.npm("destroy", ["--yes", "--skip-preview", "--exclude-protected"], {
          stack,
          label: `${stack}: cleanup destroy`,
        });
        if (r.code !== 0)
          say(`${stack}: cleanup destroy exited ${r.code} (nothing deployed, or already gone)`);
      }
      // Dedicated engine: every volume in it is the suite's. A given engine: only the stacks' ones.
      const prefixes = this.docker.mode === "dedicated" ? [""] : STACK_PREFIXES;
      for (const p of prefixes) {
        const o = this.objects(p);
        if (o.containers.length) this.docker_(["rm", "-f", ...o.containers]);
        if (o.volumes.length) this.docker_(["volume", "rm", "-f", ...o.volumes]);
      }
    } catch (e) {
      say(`cleanup: ${String(e)}`);
    } finally {
      try {
        this.docker.stop();
      } finally {
        this.temp.remove();
      }
    }
  }
}

/** The last lines of a command's output, for failure messages. */
export function tail(text: string, lines = 40): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}

/** Reads a file of the checkout. */
export function readIn(checkout: string, rel: string): string {
  return fs.readFileSync(path.join(checkout, rel), "utf8");
}

/** Writes a file of the checkout. */
export function writeIn(checkout: string, rel: string, text: string): void {
  fs.writeFileSync(path.join(checkout, rel), text);
}
