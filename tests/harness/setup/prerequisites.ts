/**
 * What a test tier needs before its first test: the tools of tools/install-tools.sh (the one
 * installer) and the suite's own Docker Engine (tests/harness/docker-engine.sh). Run by the jest
 * globalSetup of each tier, once per run, before any test file; every step is idempotent and
 * locked, so a second run only checks. A missing prerequisite fails with the command that installs it.
 */
import { execFile, execFileSync } from "child_process";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..", "..");

/** A tool of tools/install-tools.sh. */
export type Tool =
  "prometheus" | "alertmanager" | "actionlint" | "shellcheck" | "busybox" | "docker" | "pulumi";

/** Runs tools/install-tools.sh for the tools (progress on stderr); returns the path it printed for each. */
export function installTools(tools: readonly Tool[]): Record<Tool, string> {
  const paths: Partial<Record<Tool, string>> = {};
  for (const tool of tools) {
    try {
      const out = execFileSync("bash", [path.join(REPO, "tools", "install-tools.sh"), tool], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        timeout: 40 * 60_000,
      });
      paths[tool] = out.trim().split("\n").pop() ?? "";
    } catch (e) {
      throw new Error(
        `the tests need ${tool} and it could not be installed; run: bash tools/install-tools.sh ${tool}\n${String(e)}`,
        { cause: e },
      );
    }
  }
  return paths as Record<Tool, string>;
}

/** The Go builds take minutes on a cold cache: started together, in the background. */
export function installToolsInParallel(tools: readonly Tool[]): Promise<void> {
  return Promise.all(
    tools.map(
      (tool) =>
        new Promise<void>((resolve, reject) => {
          execFile(
            "bash",
            [path.join(REPO, "tools", "install-tools.sh"), tool],
            { timeout: 40 * 60_000, maxBuffer: 64 * 1024 * 1024 },
            (err, _stdout, stderr) =>
              err
                ? reject(
                    new Error(
                      `the tests need ${tool} and it could not be installed; run: bash tools/install-tools.sh ${tool}\n${stderr.slice(-3000)}`,
                    ),
                  )
                : resolve(),
          );
        }),
    ),
  ).then(() => undefined);
}

/** Environment names shared by the setup, the tests and the teardown (same process or inherited). */
export const SUITE_ENV = {
  /** DOCKER_HOST of the suite's own engine, set by the setup. */
  host: "K6OBS_SUITE_DOCKER_HOST",
  /** "1" when this run started that engine (the teardown stops it then, and only then). */
  started: "K6OBS_SUITE_DOCKER_STARTED",
} as const;

const ENGINE = path.join(REPO, "tests", "harness", "docker-engine.sh");

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
  const host = execFileSync("bash", [ENGINE, "host"], { encoding: "utf8" }).trim();
  let running = true;
  try {
    execFileSync("docker", ["info"], { env: { ...process.env, DOCKER_HOST: host }, stdio: "ignore" });
  } catch {
    running = false;
  }
  const out = execFileSync("bash", [ENGINE, "start"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const started = out.trim().split("\n").pop() ?? host;
  process.env[SUITE_ENV.host] = started;
  process.env[SUITE_ENV.started] = running ? "0" : "1";
  process.env.DOCKER_HOST = started;
  return started;
}

/** Stops the suite's engine when this run started it; a running engine found at setup stays. */
export function stopSuiteEngine(): void {
  if (process.env[SUITE_ENV.started] !== "1") return;
  execFileSync("bash", [ENGINE, "stop"], { stdio: ["ignore", "inherit", "inherit"] });
  delete process.env[SUITE_ENV.started];
  delete process.env[SUITE_ENV.host];
}
