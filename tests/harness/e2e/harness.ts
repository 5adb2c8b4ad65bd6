/**
 * What the e2e suite runs on: a Docker Engine (its own, or a given one that holds nothing of the
 * stacks), a real Pulumi engine (downloaded by the `pulumi` npm package, or ../shared/pulumi-engine
 * where no download is possible), the images (tests/harness/images/build.ts) and a sandbox: a temp
 * copy of the repository with its own K6OBS_HOME and PULUMI_HOME, so neither the working tree nor a
 * user's state, images or containers are touched. Everything here fails with the reason; nothing skips.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { suiteEngineHost } from "../setup/prerequisites";

/** Repository root of the checkout under test. */
export const REPO = path.resolve(__dirname, "..", "..", "..");

/** A progress line on stderr (jest does not buffer it), prefixed so it is easy to grep. */
export function say(line: string): void {
  process.stderr.write(`e2e: ${line}\n`);
}

/** Wall time of every project command the suite ran, printed at the end. */
export const timings: { what: string; seconds: number; code: number }[] = [];

/** Result of a command. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr, interleaved as they arrived. */
  readonly output: string;
  readonly seconds: number;
}

/** Options of {@link runCommand}. */
export interface RunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Text for stdin; stdin is closed (not a terminal) either way. */
  readonly input?: string;
  /** Kill the command after this long. */
  readonly timeoutMs?: number;
  /** Label in the timings table; not recorded when undefined. */
  readonly label?: string;
}

/** Runs a command to completion (never throws on a non-zero exit), recording its duration. */
export function runCommand(cmd: string, args: string[], opts: RunOptions): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      output += d.toString();
    });
    const timer = setTimeout(
      () => {
        say(`${cmd} ${args.join(" ")}: killed after ${(opts.timeoutMs ?? 0) / 1000}s`);
        child.kill("SIGTERM");
      },
      opts.timeoutMs ?? 20 * 60_000,
    );
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const seconds = (Date.now() - started) / 1000;
      const exit = code ?? (signal ? 128 : 1);
      if (opts.label !== undefined) {
        timings.push({ what: opts.label, seconds, code: exit });
        say(`${opts.label}: exit ${exit} in ${seconds.toFixed(1)}s`);
      }
      resolve({ code: exit, stdout, stderr, output, seconds });
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** Synchronous command for short Docker CLI calls; throws with its stderr on failure. */
export function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): string {
  try {
    return execFileSync(cmd, args, { env, encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed: ${err.stderr?.trim() || err.message}`, { cause: e });
  }
}

/** Which Docker Engine the suite uses, and how to reach it. */
export interface DockerEngine {
  readonly mode: "dedicated" | "system";
  /** DOCKER_HOST for every docker and pulumi call. */
  readonly host: string;
  /** Stops what the suite started (the dedicated engine), by its pid file. */
  stop(): void;
}

/** Names (container/volume/network prefixes) of the stacks the suite runs. */
export const STACK_PREFIXES = ["k6obs-dev-", "k6obs-ci-", "e2ecompose_"];

/**
 * The suite's own engine (K6OBS_E2E_DOCKER=dedicated, the default as root) via
 * tests/harness/docker-engine.sh, or a given one (K6OBS_E2E_DOCKER=system: DOCKER_HOST or the
 * default socket, e.g. a disposable CI runner) that must not hold any object of the stacks.
 */
export function startDocker(): DockerEngine {
  const wanted = process.env.K6OBS_E2E_DOCKER ?? (process.getuid?.() === 0 ? "dedicated" : "system");
  const script = path.join(REPO, "tests", "harness", "docker-engine.sh");
  const suiteHost = suiteEngineHost();
  if (wanted === "dedicated" && suiteHost !== undefined) {
    // Started by the tier's globalSetup, which also stops it after the last test file.
    say(
      `Docker: the suite's own engine at ${suiteHost} (tests/harness/docker-engine.sh); the user's engine is not used`,
    );
    return { mode: "dedicated", host: suiteHost, stop: () => undefined };
  }
  if (wanted === "dedicated") {
    const out = sh("bash", [script, "start"], process.env).trim().split("\n");
    const host = out[out.length - 1] ?? "";
    say(
      `Docker: a dedicated engine at ${host} (tests/harness/docker-engine.sh); the user's engine is not used`,
    );
    return {
      mode: "dedicated",
      host,
      stop: () => say(sh("bash", [script, "stop"], process.env).trim() || "engine stopped"),
    };
  }
  if (wanted !== "system") throw new Error(`K6OBS_E2E_DOCKER=${wanted}: use dedicated or system`);
  const host = process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
  const env = { ...process.env, DOCKER_HOST: host };
  try {
    sh("docker", ["info", "--format", "{{.ServerVersion}}"], env);
  } catch (e) {
    throw new Error(
      `K6OBS_E2E_DOCKER=system but the Docker Engine at ${host} does not answer: ${String(e)}`,
      { cause: e },
    );
  }
  const taken = [
    ...sh("docker", ["ps", "-a", "--format", "{{.Names}}"], env).split("\n"),
    ...sh("docker", ["volume", "ls", "--format", "{{.Name}}"], env).split("\n"),
    ...sh("docker", ["network", "ls", "--format", "{{.Name}}"], env).split("\n"),
  ].filter((n) => STACK_PREFIXES.some((p) => n.startsWith(p)));
  if (taken.length > 0) {
    throw new Error(
      `the Docker Engine at ${host} already holds objects of the stacks the suite runs (${taken.join(", ")}); ` +
        "the suite would adopt or delete them. Run it as root (its own engine) or on an engine without them.",
    );
  }
  say(`Docker: the given engine at ${host} (K6OBS_E2E_DOCKER=system); it holds no k6obs-dev/ci objects`);
  return { mode: "system", host, stop: () => undefined };
}

/**
 * The Pulumi CLI for the `pulumi` npm package's version, installed by tools/install-tools.sh (its
 * download, or ../shared/pulumi-engine where no download is possible) and seen under pulumiHome,
 * whose versions and plugins are the real home's. Says which engine runs.
 */
export async function ensurePulumiEngine(pulumiHome: string): Promise<string> {
  const npmVersion = (
    JSON.parse(fs.readFileSync(path.join(REPO, "node_modules", "pulumi", "package.json"), "utf8")) as {
      version: string;
    }
  ).version;
  const install = await runCommand("bash", [path.join(REPO, "tools", "install-tools.sh"), "pulumi"], {
    cwd: REPO,
    env: process.env,
    timeoutMs: 300_000,
  });
  if (install.code !== 0) {
    throw new Error(`no Pulumi engine (run: bash tools/install-tools.sh pulumi): ${install.output.trim()}`);
  }
  const cli = path.join(pulumiHome, "versions", npmVersion, "bin", "pulumi");
  const env = { ...process.env, PULUMI_HOME: pulumiHome, PULUMI_SKIP_UPDATE_CHECK: "true" };
  const version = sh(cli, ["version"], env).trim();
  const line =
    version === `v${npmVersion}`
      ? `Pulumi engine: ${version} at ${fs.realpathSync(cli)}`
      : `Pulumi engine: ${version} from ../shared/pulumi-engine (labelled ${npmVersion}, installed because no download is possible here)`;
  say(line);
  return line;
}

/** Files of the checkout: tracked ones plus untracked ones git does not ignore, as they are now. */
export function checkoutFiles(repo = REPO): string[] {
  const list = (args: string[]) =>
    sh("git", ["-C", repo, "ls-files", "-z", ...args], process.env).split("\0");
  return [...new Set([...list([]), ...list(["--others", "--exclude-standard"])])].filter(
    (f) => f !== "" && fs.existsSync(path.join(repo, f)),
  );
}

/** Runs git with an identity of its own (the sandbox's commits are not the user's). */
export function git(repo: string, args: string[]): string {
  return sh(
    "git",
    ["-C", repo, "-c", "user.name=k6obs-e2e", "-c", "user.email=e2e@k6obs.invalid", ...args],
    process.env,
  );
}

/**
 * Copies the checkout's files as they are now (other people's uncommitted edits included) to
 * dest, commits them there as one commit, and links node_modules: a clone after `npm ci`.
 */
export function copyCheckout(src: string, dest: string): void {
  for (const f of checkoutFiles(src)) {
    const to = path.join(dest, f);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.cpSync(path.join(src, f), to, { verbatimSymlinks: true });
  }
  git(dest, ["init", "-q"]);
  // .gitignore's `node_modules/` does not match the symlink below.
  fs.appendFileSync(path.join(dest, ".git", "info", "exclude"), "/node_modules\n");
  git(dest, ["add", "-A"]);
  git(dest, ["commit", "-q", "-m", "e2e: the checkout under test"]);
  fs.symlinkSync(fs.realpathSync(path.join(src, "node_modules")), path.join(dest, "node_modules"));
}

/** `git clone` of a sandbox checkout (only what is committed there) plus node_modules. */
export function cloneCheckout(src: string, dest: string): void {
  sh("git", ["clone", "-q", src, dest], process.env);
  fs.symlinkSync(fs.realpathSync(path.join(src, "node_modules")), path.join(dest, "node_modules"));
}

/** Sets keys in a stack's Pulumi.<stack>.yaml before any pulumi command (no backend involved). */
export function setStackFile(repo: string, stack: string, values: Record<string, unknown>): void {
  const file = path.join(repo, `Pulumi.${stack}.yaml`);
  const doc = (fs.existsSync(file) ? parseYaml(fs.readFileSync(file, "utf8")) : {}) as {
    config?: Record<string, unknown>;
  };
  doc.config = { ...doc.config };
  for (const [k, v] of Object.entries(values)) doc.config[`k6-observatory:${k}`] = v;
  fs.writeFileSync(file, stringifyYaml(doc));
}

/** n distinct free TCP ports on 127.0.0.1 (the stacks publish there). */
export async function freePorts(n: number): Promise<number[]> {
  // Outside the kernel's ephemeral range: a port from it (listen(0)) can be taken as the source port
  // of one of the many loopback connections the engine and providers open before Docker binds it,
  // and the up then fails with "bind: address already in use" (seen on a real run: 127.0.0.1:39199).
  const [low] = ephemeralRange();
  const from = Math.max(1024, Math.min(20000, low - 1000));
  const ports: number[] = [];
  for (let tries = 0; ports.length < n; tries++) {
    if (tries > 1000) throw new Error(`no ${n} free ports in ${from}..${low - 1}`);
    const port = from + Math.floor(Math.random() * (low - from));
    if (!ports.includes(port) && (await bindable(port))) ports.push(port);
  }
  return ports;
}

function ephemeralRange(): [number, number] {
  try {
    const [a, b] = fs
      .readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    if (a !== undefined && b !== undefined && a > 1024) return [a, b];
  } catch {
    // not Linux: the IANA dynamic range
  }
  return [49152, 65535];
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** A temp directory removed by the returned function unless K6OBS_E2E_KEEP is set. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    dir,
    remove: () => {
      if (process.env.K6OBS_E2E_KEEP) say(`kept ${dir} (K6OBS_E2E_KEEP)`);
      else fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A PULUMI_HOME of the run's own that shares the CLI versions and plugins (downloads are cached). */
export function pulumiHomeFor(dir: string): string {
  const real = process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi");
  const home = path.join(dir, "pulumi-home");
  for (const sub of ["versions", "plugins"]) {
    fs.mkdirSync(path.join(real, sub), { recursive: true });
    fs.mkdirSync(home, { recursive: true });
    fs.symlinkSync(path.join(real, sub), path.join(home, sub));
  }
  return home;
}

/** One step of `pulumi preview --json`. */
export interface PreviewStep {
  readonly op: string;
  readonly urn: string;
  readonly type: string;
  readonly name: string;
}

/** The steps of `pulumi preview --json` that change something (op other than `same`). */
export function changedSteps(json: string): PreviewStep[] {
  const doc = JSON.parse(json) as { steps?: { op: string; urn: string }[] };
  return (doc.steps ?? [])
    .filter((s) => s.op !== "same" && s.op !== "read")
    .map((s) => {
      const parts = s.urn.split("::");
      const typeChain = parts[2] ?? "";
      return { op: s.op, urn: s.urn, type: typeChain.split("$").pop() ?? "", name: parts[3] ?? "" };
    });
}

/** JSON of an HTTP GET with optional basic auth; throws with status and body on non-2xx. */
export async function getJson<T>(url: string, auth?: { user: string; password: string }): Promise<T> {
  const headers: Record<string, string> = {};
  if (auth)
    headers.Authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString("base64")}`;
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
  const body = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${body.slice(0, 300)}`);
  return JSON.parse(body) as T;
}

/** POSTs JSON with basic auth; returns status and parsed body. */
export async function postJson(
  url: string,
  body: unknown,
  auth: { user: string; password: string },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString("base64")}`,
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Polls fn until it returns a value that is not undefined, or throws the last error at the deadline. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(
    `${what}: not true within ${timeoutMs / 1000}s${last ? ` (last error: ${String(last)})` : ""}`,
  );
}
