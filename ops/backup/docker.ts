/** The one place that runs the `docker` CLI (kept over an SDK: `DOCKER_HOST=ssh://` works as is). */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { pipeline } from "node:stream/promises";

/** Result of one docker command. */
export interface DockerResult {
  readonly stdout: string;
  readonly stderr: string;
  /** With `stdoutFile`: SHA-256 of what was written. */
  readonly sha256?: string;
  /** With `stdoutFile`: number of bytes written. */
  readonly bytes?: number;
}

/** Runs `docker ARGS`. Streams a file to stdin, or stdout to a file, when asked. */
export interface DockerRunner {
  exec(args: readonly string[], io?: { stdinFile?: string; stdoutFile?: string }): Promise<DockerResult>;
}

/** A failed docker command, with its stderr. */
export class DockerError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    const what =
      args[0] === "run"
        ? `run ${args.find((a) => a.includes(":/data")) ?? ""}`.trim()
        : args.slice(0, 2).join(" ");
    super(`docker ${what} failed (exit ${code}): ${stderr.trim() || "(no output)"}`);
    this.name = "DockerError";
  }
}

/** The real runner: spawns the `docker` CLI found on PATH (or $K6OBS_DOCKER). */
export class DockerCli implements DockerRunner {
  private readonly running = new Set<string>();
  private readonly killed = new Set<string>();
  private counter = 0;

  constructor(private readonly bin: string = process.env.K6OBS_DOCKER ?? "docker") {}

  /**
   * Kills the helper containers this runner started and that still run. tar runs as PID 1 in
   * them and so ignores the SIGINT that `docker run` forwards on Ctrl-C; killing the container
   * makes the pending exec fail, so the caller's `finally` restarts the stopped services.
   */
  killRunning(): void {
    for (const name of this.running) {
      this.killed.add(name);
      // Bounded: a wedged engine must not block the event loop (and every timer) forever.
      spawnSync(this.bin, ["kill", name], { stdio: "ignore", timeout: 15_000 });
    }
  }

  async exec(
    args: readonly string[],
    io: { stdinFile?: string; stdoutFile?: string } = {},
  ): Promise<DockerResult> {
    // Name every `docker run` so that killRunning() can find it.
    let name: string | undefined;
    if (args[0] === "run" && !args.includes("--name")) {
      name = `k6obs-helper-${process.pid}-${++this.counter}`;
      args = ["run", "--name", name, ...args.slice(1)];
      this.running.add(name);
    }
    try {
      return await this.spawnDocker(args, io);
    } catch (err) {
      if (name !== undefined && this.killed.has(name)) {
        throw new Error("interrupted: the helper container was killed before it finished", { cause: err });
      }
      throw err;
    } finally {
      if (name !== undefined) this.running.delete(name);
    }
  }

  private async spawnDocker(
    args: readonly string[],
    io: { stdinFile?: string; stdoutFile?: string },
  ): Promise<DockerResult> {
    const child = spawn(this.bin, args, { stdio: ["pipe", "pipe", "pipe"] });
    const spawned = new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", (err) =>
        reject(new Error(`cannot run "${this.bin}": ${err.message}; is the Docker CLI installed?`)),
      );
    });
    const stderr: Buffer[] = [];
    child.stderr.on("data", (c: Buffer) => stderr.push(c));
    const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));

    const stdout: Buffer[] = [];
    const hash = createHash("sha256");
    let bytes = 0;
    let outDone: Promise<void>;
    if (io.stdoutFile !== undefined) {
      child.stdout.on("data", (c: Buffer) => {
        hash.update(c);
        bytes += c.length;
      });
      outDone = pipeline(child.stdout, fs.createWriteStream(io.stdoutFile, { mode: 0o600 }));
    } else {
      child.stdout.on("data", (c: Buffer) => stdout.push(c));
      outDone = new Promise((resolve) => child.stdout.once("end", () => resolve()));
    }
    let inDone: Promise<void>;
    if (io.stdinFile !== undefined) {
      // EPIPE when the container exits early (bad archive) is reported through the exit code.
      inDone = pipeline(fs.createReadStream(io.stdinFile), child.stdin).catch(() => undefined);
    } else {
      child.stdin.end();
      inDone = Promise.resolve();
    }

    await spawned;
    const [code] = await Promise.all([exited, outDone, inDone]);
    const errText = Buffer.concat(stderr).toString("utf8");
    if (code !== 0) {
      throw new DockerError(args, code, errText);
    }
    return io.stdoutFile !== undefined
      ? { stdout: "", stderr: errText, sha256: hash.digest("hex"), bytes }
      : { stdout: Buffer.concat(stdout).toString("utf8"), stderr: errText };
  }
}
