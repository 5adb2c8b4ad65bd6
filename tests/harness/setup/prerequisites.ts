/**
 * What a test tier needs before its first test: the tools of tools/install-tools.sh (the one
 * installer) and the suite's own Docker Engine (tests/harness/docker-engine.sh). Run by the jest
 * globalSetup of each tier, once per run, before any test file; every step is idempotent and
 * locked, so a second run only checks. A missing prerequisite fails with the command that installs it.
 */
import { execFile, execFileSync } from "child_process";
import * as os from "os";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..", "..");

/** A tool of tools/install-tools.sh. */
export type Tool =
  "prometheus" | "alertmanager" | "actionlint" | "shellcheck" | "busybox" | "docker" | "pulumi";

const INSTALLER = path.join(REPO, "tools", "install-tools.sh");
const INSTALL_TIMEOUT_MS = 40 * 60_000;

function installFailed(tool: Tool, detail: string, cause?: unknown): Error {
  return new Error(
    `the tests need ${tool} and it could not be installed; run: bash tools/install-tools.sh ${tool}\n${detail}`,
    { cause },
  );
}

/** Runs tools/install-tools.sh for the tools (progress on stderr); returns the path it printed for each. */
export function installTools(tools: readonly Tool[]): Record<Tool, string> {
  const paths: Partial<Record<Tool, string>> = {};
  for (const tool of tools) {
    try {
      const out = execFileSync("bash", [INSTALLER, tool], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        timeout: INSTALL_TIMEOUT_MS,
      });
      paths[tool] = out.trim().split("\n").pop() ?? "";
    } catch (e) {
      throw installFailed(tool, String(e), e);
    }
  }
  return paths as Record<Tool, string>;
}

/** The Go builds take minutes on a cold cache: started together, in the background. */
export function installToolsInParallel(tools: readonly Tool[]): Promise<void> {
  const one = (tool: Tool) =>
    new Promise<void>((resolve, reject) => {
      execFile(
        "bash",
        [INSTALLER, tool],
        { timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
        (err, _stdout, stderr) => (err ? reject(installFailed(tool, stderr.slice(-3000), err)) : resolve()),
      );
    });
  return Promise.all(tools.map(one)).then(() => undefined);
}

/** Environment names shared by the setup, the tests and the teardown (same process or inherited). */
export const SUITE_ENV = {
  /** DOCKER_HOST of the suite's own engine, set by the setup. */
  host: "K6OBS_SUITE_DOCKER_HOST",
  /** "1" when this run started that engine (the teardown stops it then, and only then). */
  started: "K6OBS_SUITE_DOCKER_STARTED",
  /** JSON list of the DOCKER_HOSTs of e2e workers 1, 2, ... */
  workerHosts: "K6OBS_SUITE_DOCKER_WORKER_HOSTS",
  /** The worker numbers whose engines this run started. */
  workersStarted: "K6OBS_SUITE_DOCKER_WORKERS_STARTED",
} as const;

const ENGINE = path.join(REPO, "tests", "harness", "docker-engine.sh");

/** Where one of the suite's own engines lives (tests/harness/docker-engine.sh's five knobs). */
export interface EngineLayout {
  readonly run: string;
  readonly root: string;
  readonly subnet: string;
  readonly bridge: string;
  readonly namespace: string;
}

const CACHE = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "k6-observatory");

/**
 * The engine of e2e worker n (1, 2, ...): stories that run side by side each get an engine of
 * their own, so their stacks' fixed container and volume names never meet, and none shares the
 * integration tier's default engine. Subnets from 10.216 on (10.213 is the default engine's, 10.214
 * the runner host's).
 */
export function workerEngine(n: number): EngineLayout {
  return {
    run: `/run/k6obs-e2e-w${n}`,
    root: path.join(CACHE, `e2e-docker-w${n}`),
    subnet: `10.${215 + n}.0.0/16`,
    bridge: `k6obse2ew${n}`,
    namespace: `k6obs-e2e-w${n}`,
  };
}

/** Env that points docker-engine.sh at an engine layout (the default engine without one). */
export function engineEnv(layout?: EngineLayout): NodeJS.ProcessEnv {
  if (layout === undefined) return process.env;
  return {
    ...process.env,
    K6OBS_E2E_DOCKER_RUN: layout.run,
    K6OBS_E2E_DOCKER_ROOT: layout.root,
    K6OBS_E2E_SUBNET: layout.subnet,
    K6OBS_E2E_BRIDGE: layout.bridge,
    K6OBS_E2E_NAMESPACE: layout.namespace,
  };
}

/** Starts an engine unless it answers; its DOCKER_HOST and whether this call started it. */
function startEngine(layout?: EngineLayout): { host: string; started: boolean } {
  const env = engineEnv(layout);
  const host = execFileSync("bash", [ENGINE, "host"], { encoding: "utf8", env }).trim();
  let running = true;
  try {
    execFileSync("docker", ["info"], { env: { ...env, DOCKER_HOST: host }, stdio: "ignore" });
  } catch {
    running = false;
  }
  const out = execFileSync("bash", [ENGINE, "start"], {
    encoding: "utf8",
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return { host: out.trim().split("\n").pop() ?? host, started: !running };
}

function stopEngine(layout?: EngineLayout): void {
  execFileSync("bash", [ENGINE, "stop"], { env: engineEnv(layout), stdio: ["ignore", "inherit", "inherit"] });
}

/**
 * Starts the suite's own Docker Engine (never the user's) unless it already answers, and points
 * DOCKER_HOST of every later test at it. Idempotent within a run (integration and e2e share it).
 * With K6OBS_E2E_DOCKER=system (or not root) nothing is started and DOCKER_HOST stays as given.
 */
export function startSuiteEngine(): string | undefined {
  const known = process.env[SUITE_ENV.host];
  if (known !== undefined) return known;
  const wanted = process.env.K6OBS_E2E_DOCKER ?? (process.getuid?.() === 0 ? "dedicated" : "system");
  // A given engine (a disposable CI runner, or no root): the tests use DOCKER_HOST as it is.
  if (wanted === "system") return undefined;
  const { host, started } = startEngine();
  process.env[SUITE_ENV.host] = host;
  process.env[SUITE_ENV.started] = started ? "1" : "0";
  process.env.DOCKER_HOST = host;
  return host;
}

/** Starts the engines of e2e workers 1..workers (see {@link workerEngine}); the teardown stops them. */
export function startWorkerEngines(workers: number): void {
  if (process.env[SUITE_ENV.host] === undefined) return;
  const hosts: string[] = [];
  for (let n = 1; n <= workers; n++) {
    const { host, started } = startEngine(workerEngine(n));
    hosts.push(host);
    if (started)
      process.env[SUITE_ENV.workersStarted] = `${process.env[SUITE_ENV.workersStarted] ?? ""} ${n}`.trim();
  }
  process.env[SUITE_ENV.workerHosts] = JSON.stringify(hosts);
}

/** DOCKER_HOST of the suite's engine for this jest worker: an e2e worker's own, else the default one. */
export function suiteEngineHost(): string | undefined {
  const first = process.env[SUITE_ENV.host];
  const workers = JSON.parse(process.env[SUITE_ENV.workerHosts] ?? "[]") as string[];
  const n = Number(process.env.JEST_WORKER_ID ?? "1");
  return workers[n - 1] ?? first;
}

/** Stops the engines this run started; a running engine found at setup stays. */
export function stopSuiteEngine(): void {
  for (const n of (process.env[SUITE_ENV.workersStarted] ?? "").split(" ").filter(Boolean)) {
    stopEngine(workerEngine(Number(n)));
  }
  delete process.env[SUITE_ENV.workersStarted];
  delete process.env[SUITE_ENV.workerHosts];
  if (process.env[SUITE_ENV.started] === "1") stopEngine();
  delete process.env[SUITE_ENV.started];
  delete process.env[SUITE_ENV.host];
}
