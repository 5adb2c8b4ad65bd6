/**
 * Backup and restore of the stack's data volumes through the Docker CLI.
 *
 * Every byte goes through a short-lived helper container (`docker run --rm --network none`) built
 * from an image that is already on the Docker host (by default the pinned Prometheus image, which
 * is busybox-based and has sh and tar); nothing is ever pulled. Archives are streamed through the
 * container's stdin/stdout, so no host directory is bind-mounted and a remote DOCKER_HOST works.
 *
 * The module has three layers: pure functions (argument parsing, manifest building and checking,
 * the docker argument lists), a thin {@link DockerRunner} around the `docker` binary, and the two
 * operations {@link backupVolumes} and {@link restoreVolumes} that the CLIs and the tests call.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";

/** Identifies the manifest layout; bumped on any incompatible change. */
export const MANIFEST_FORMAT = "k6-observatory/volume-backup@1";
/** File name of the manifest inside a backup directory. */
export const MANIFEST_FILE = "manifest.json";

/** What a volume holds; decides who must own the files after a restore. */
export type VolumeRole = "prometheus" | "grafana" | "data";
export const VOLUME_ROLES: readonly VolumeRole[] = ["prometheus", "grafana", "data"];

/** A numeric owner. */
export interface Owner {
  readonly uid: number;
  readonly gid: number;
}

/**
 * The user each official image runs as. Prometheus runs as `nobody` (65534:65534, /prometheus).
 * Grafana runs as UID 472 with GID 0: its Dockerfile has `ARG GF_UID="472"`, `ARG GF_GID="0"`
 * and chowns /var/lib/grafana to them. `data` volumes keep the ownership in the archive as is.
 */
export const ROLE_OWNERS: Readonly<Record<Exclude<VolumeRole, "data">, Owner>> = {
  prometheus: { uid: 65534, gid: 65534 },
  grafana: { uid: 472, gid: 0 },
};

/** A volume to back up and what it holds. */
export interface VolumeSpec {
  /** Docker volume name. */
  readonly name: string;
  /** What the volume holds. */
  readonly role: VolumeRole;
  /** Containers (besides any running container that mounts the volume) stopped while it is copied. */
  readonly containers: readonly string[];
}

/** One archived volume in a manifest. */
export interface ManifestVolume {
  /** Docker volume name at backup time. */
  readonly volume: string;
  /** What the volume holds. */
  readonly role: VolumeRole;
  /** Archive file name, relative to the backup directory. */
  readonly archive: string;
  /** Size of the archive in bytes. */
  readonly bytes: number;
  /** SHA-256 of the archive, lowercase hex. */
  readonly sha256: string;
  /** Volume driver, recreated as is on restore. */
  readonly driver: string;
  /**
   * Volume labels, recreated on restore; under another name without the ownership labels
   * ({@link restoredVolumeLabels}).
   */
  readonly labels: Readonly<Record<string, string>>;
  /** Driver options, recreated as is on restore. */
  readonly options: Readonly<Record<string, string>>;
  /** Containers that were stopped while this volume was copied. */
  readonly stoppedContainers: readonly string[];
  /** How long the copy took (the containers' downtime for this volume), in milliseconds. */
  readonly copyMs: number;
}

/** Contents of manifest.json. */
export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  /** ISO-8601 time the backup started. */
  readonly createdAt: string;
  /** Pulumi stack the volumes belong to, or "manual" when they were named with --volume. */
  readonly stack: string;
  /** Image whose tar made the archives. */
  readonly helperImage: string;
  /** Images of the services whose data is in the backup, when known. */
  readonly images: { readonly prometheus: string | null; readonly grafana: string | null };
  readonly volumes: readonly ManifestVolume[];
}

// ---------------------------------------------------------------------------------------------
// Pure helpers
// ---------------------------------------------------------------------------------------------

/** Docker's rule for volume and container names. */
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function checkDockerName(kind: string, name: string): string {
  if (!DOCKER_NAME.test(name)) {
    throw new Error(`${kind} "${name}" is not a valid Docker name (letters, digits, "_", "." and "-")`);
  }
  return name;
}

/** Parses `NAME[:role]` (backup's --volume). The role defaults to `data`. */
export function parseVolumeSpec(text: string): VolumeSpec {
  const [name = "", role = "data", ...rest] = text.split(":");
  if (rest.length > 0) {
    throw new Error(`--volume "${text}": expected NAME or NAME:ROLE`);
  }
  if (!(VOLUME_ROLES as readonly string[]).includes(role)) {
    throw new Error(`--volume "${text}": role "${role}" is not one of ${VOLUME_ROLES.join(", ")}`);
  }
  return { name: checkDockerName("--volume", name), role: role as VolumeRole, containers: [] };
}

/** A backup directory name for a time: `20261124T143537Z`, sortable and free of colons. */
export function timestampDirName(at: Date): string {
  return at
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
}

/** The archive file name of a volume in a backup taken at `stamp`. */
export function archiveFileName(volume: string, stamp: string): string {
  return `${volume}_${stamp}.tar.gz`;
}

/** Stack outputs the backup reads (index.ts exports them). */
export interface StackVolumeOutputs {
  readonly prometheusVolume: string;
  readonly grafanaVolume: string;
  readonly prometheusContainer: string;
  readonly grafanaContainer: string;
  readonly prometheusImage: string;
  readonly grafanaImage: string;
  /** Volume holding k6 summaries; backed up as a `data` volume when the stack exports it. */
  readonly k6ResultsVolume?: string;
}

/** Checks `pulumi stack output --json` and names every missing or non-string output. */
export function parseStackOutputs(outputs: unknown): StackVolumeOutputs {
  const keys = [
    "prometheusVolume",
    "grafanaVolume",
    "prometheusContainer",
    "grafanaContainer",
    "prometheusImage",
    "grafanaImage",
  ] as const;
  if (typeof outputs !== "object" || outputs === null) {
    throw new Error("stack outputs are not a JSON object; has the stack been deployed (npm run up)?");
  }
  const record = outputs as Record<string, unknown>;
  const missing = keys.filter((k) => typeof record[k] !== "string" || record[k] === "");
  if (missing.length > 0) {
    throw new Error(
      `stack outputs lack ${missing.join(", ")}; deploy the stack (npm run up) or name the volumes with --volume NAME[:role]`,
    );
  }
  const parsed = Object.fromEntries(keys.map((k) => [k, record[k]])) as unknown as StackVolumeOutputs;
  const k6 = record.k6ResultsVolume;
  return typeof k6 === "string" && k6 !== "" ? { ...parsed, k6ResultsVolume: k6 } : parsed;
}

/** What `npm run backup` will do. */
export interface BackupPlan {
  /** Names the backups/<stack>/ directory. */
  readonly stack: string;
  readonly volumes: readonly VolumeSpec[];
  /** Containers stopped once for the whole run (--stop-container). */
  readonly stopContainers: readonly string[];
  /** Image that runs tar; must already be on the Docker host. */
  readonly helperImage: string;
  readonly images: { readonly prometheus: string | null; readonly grafana: string | null };
}

/** Plan for volumes named with --volume; the helper image defaults to the pinned Prometheus image. */
export function planFromFlags(args: BackupArgs, defaultImage: string): BackupPlan {
  return {
    stack: args.stack ?? "manual",
    volumes: args.volumes,
    stopContainers: args.stopContainers,
    helperImage: args.image ?? defaultImage,
    images: { prometheus: null, grafana: null },
  };
}

/** Plan for the stack's two volumes: each service is stopped only while its own volume is copied. */
export function planFromStack(stack: string, outputs: StackVolumeOutputs, image?: string): BackupPlan {
  return {
    stack,
    volumes: [
      { name: outputs.prometheusVolume, role: "prometheus", containers: [outputs.prometheusContainer] },
      { name: outputs.grafanaVolume, role: "grafana", containers: [outputs.grafanaContainer] },
      ...(outputs.k6ResultsVolume !== undefined
        ? [{ name: outputs.k6ResultsVolume, role: "data" as const, containers: [] }]
        : []),
    ],
    stopContainers: [],
    helperImage: image ?? outputs.prometheusImage,
    images: { prometheus: outputs.prometheusImage, grafana: outputs.grafanaImage },
  };
}

/** Options of `npm run backup`. */
export interface BackupArgs {
  readonly volumes: readonly VolumeSpec[];
  readonly stopContainers: readonly string[];
  readonly image?: string;
  readonly out?: string;
  readonly stack?: string;
}

/** Options of `npm run restore`. */
export interface RestoreArgs {
  /** Backup directory holding manifest.json. */
  readonly from: string;
  /** Volumes to restore (all when empty), each optionally into another volume name. */
  readonly select: readonly { readonly source: string; readonly target: string }[];
  /** Replace the contents of non-empty volumes. */
  readonly force: boolean;
  /** Stop running containers that mount a target volume, and start them again afterwards. */
  readonly stopRunning: boolean;
  readonly image?: string;
}

interface FlagSpec {
  readonly [flag: string]: "value" | "repeat" | "bool";
}

/** A tiny strict flag parser: `--flag value`, `--flag=value`, booleans, repeats; rejects the rest. */
export function parseFlags(
  argv: readonly string[],
  spec: FlagSpec,
): { values: Map<string, string[]>; help: boolean } {
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "-h" || arg === "--help") {
      return { values, help: true };
    }
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") ? (eq > 0 ? arg.slice(0, eq) : arg) : undefined;
    const kind = flag === undefined ? undefined : spec[flag];
    if (flag === undefined || kind === undefined) {
      throw new Error(`unknown argument "${arg}"; expected one of ${Object.keys(spec).join(", ")}`);
    }
    let value: string;
    if (kind === "bool") {
      if (eq > 0) throw new Error(`${flag} takes no value`);
      value = "true";
    } else if (eq > 0) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) throw new Error(`${flag} needs a value`);
      value = next;
      i++;
    }
    if (value === "") throw new Error(`${flag} needs a non-empty value`);
    const list = values.get(flag) ?? [];
    if (kind !== "repeat" && list.length > 0) throw new Error(`${flag} given twice`);
    values.set(flag, [...list, value]);
  }
  return { values, help: false };
}

/** Parses the backup CLI's arguments; `"help"` for -h/--help. */
export function parseBackupArgs(argv: readonly string[]): BackupArgs | "help" {
  const { values, help } = parseFlags(argv, {
    "--volume": "repeat",
    "--stop-container": "repeat",
    "--image": "value",
    "--out": "value",
    "--stack": "value",
  });
  if (help) return "help";
  const volumes = (values.get("--volume") ?? []).map(parseVolumeSpec);
  const names = volumes.map((v) => v.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new Error(`--volume ${dup} given twice`);
  return {
    volumes,
    stopContainers: (values.get("--stop-container") ?? []).map((c) => checkDockerName("--stop-container", c)),
    image: values.get("--image")?.[0],
    out: values.get("--out")?.[0],
    stack: values.get("--stack")?.[0],
  };
}

/** Parses the restore CLI's arguments; `"help"` for -h/--help. */
export function parseRestoreArgs(argv: readonly string[]): RestoreArgs | "help" {
  const { values, help } = parseFlags(argv, {
    "--from": "value",
    "--volume": "repeat",
    "--force": "bool",
    "--stop-running": "bool",
    "--image": "value",
  });
  if (help) return "help";
  const from = values.get("--from")?.[0];
  if (from === undefined) throw new Error("--from <backup directory> is required");
  const select = (values.get("--volume") ?? []).map((text) => {
    const [source = "", target = source, ...rest] = text.split("=");
    if (rest.length > 0) throw new Error(`--volume "${text}": expected NAME or NAME=TARGET`);
    return {
      source: checkDockerName("--volume", source),
      target: checkDockerName("--volume target", target),
    };
  });
  const targets = select.map((s) => s.target);
  const dup = targets.find((t, i) => targets.indexOf(t) !== i);
  if (dup !== undefined) throw new Error(`two volumes would be restored into ${dup}`);
  return {
    from,
    select,
    force: values.has("--force"),
    stopRunning: values.has("--stop-running"),
    image: values.get("--image")?.[0],
  };
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === "string")
  );
}

/** Checks a parsed manifest.json field by field; the message names the field that is wrong. */
export function validateManifest(data: unknown, where = MANIFEST_FILE): Manifest {
  const fail = (field: string, why: string): never => {
    throw new Error(`${where}: ${field} ${why}`);
  };
  if (typeof data !== "object" || data === null) fail("document", "is not a JSON object");
  const m = data as Record<string, unknown>;
  if (m.format !== MANIFEST_FORMAT)
    fail("format", `is ${JSON.stringify(m.format)}, expected "${MANIFEST_FORMAT}"`);
  for (const key of ["createdAt", "stack", "helperImage"]) {
    if (typeof m[key] !== "string" || m[key] === "") fail(key, "must be a non-empty string");
  }
  const images = m.images as Record<string, unknown> | undefined;
  if (typeof images !== "object" || images === null) fail("images", "must be an object");
  for (const key of ["prometheus", "grafana"]) {
    const v = images?.[key];
    if (v !== null && typeof v !== "string") fail(`images.${key}`, "must be a string or null");
  }
  if (!Array.isArray(m.volumes) || m.volumes.length === 0) fail("volumes", "must be a non-empty array");
  const seen = new Set<string>();
  (m.volumes as unknown[]).forEach((entry, i) => {
    const f = `volumes[${i}]`;
    if (typeof entry !== "object" || entry === null) fail(f, "is not an object");
    const v = entry as Record<string, unknown>;
    if (typeof v.volume !== "string" || !DOCKER_NAME.test(v.volume))
      fail(`${f}.volume`, "is not a volume name");
    if (seen.has(v.volume as string)) fail(`${f}.volume`, `repeats ${v.volume as string}`);
    seen.add(v.volume as string);
    if (!(VOLUME_ROLES as readonly unknown[]).includes(v.role))
      fail(`${f}.role`, `is not one of ${VOLUME_ROLES}`);
    // The archive must be a plain file name inside the backup directory: no path escapes.
    if (
      typeof v.archive !== "string" ||
      path.basename(v.archive) !== v.archive ||
      v.archive.startsWith(".")
    ) {
      fail(`${f}.archive`, "must be a file name inside the backup directory");
    }
    if (typeof v.bytes !== "number" || !Number.isSafeInteger(v.bytes) || v.bytes <= 0) {
      fail(`${f}.bytes`, "must be a positive integer");
    }
    if (typeof v.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(v.sha256))
      fail(`${f}.sha256`, "is not a sha256");
    if (typeof v.driver !== "string" || v.driver === "") fail(`${f}.driver`, "must be a non-empty string");
    if (!isStringRecord(v.labels)) fail(`${f}.labels`, "must be an object of strings");
    if (!isStringRecord(v.options)) fail(`${f}.options`, "must be an object of strings");
    if (!Array.isArray(v.stoppedContainers)) fail(`${f}.stoppedContainers`, "must be an array");
    if (typeof v.copyMs !== "number") fail(`${f}.copyMs`, "must be a number");
  });
  return data as Manifest;
}

/** Reads and validates `<dir>/manifest.json`. */
export function readManifest(dir: string): Manifest {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}; --from must name a backup directory`, {
      cause: err,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return validateManifest(data, file);
}

/** SHA-256 and size of a file, streamed. */
export async function hashFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), bytes };
}

/** Checks every archive of the manifest entries against its size and sha256; returns the problems. */
export async function verifyArchives(dir: string, entries: readonly ManifestVolume[]): Promise<string[]> {
  const problems: string[] = [];
  for (const e of entries) {
    const file = path.join(dir, e.archive);
    if (!fs.existsSync(file)) {
      problems.push(`${file} is missing`);
      continue;
    }
    const { sha256, bytes } = await hashFile(file);
    if (sha256 !== e.sha256 || bytes !== e.bytes) {
      problems.push(
        `${file} does not match the manifest (sha256 ${sha256}, ${bytes} bytes; manifest says ${e.sha256}, ${e.bytes} bytes): the archive is corrupt or was changed`,
      );
    }
  }
  return problems;
}

/** `docker run` prefix shared by every helper container: no network, no pull, root, fixed entrypoint. */
export function helperRunArgs(image: string, mounts: readonly string[], entrypoint: string): string[] {
  return [
    "run",
    "--rm",
    "-i",
    "--pull",
    "never",
    "--network",
    "none",
    // The Prometheus image runs as nobody; reading every file and restoring ownership needs root.
    "--user",
    "0:0",
    "--entrypoint",
    entrypoint,
    ...mounts.flatMap((m) => ["-v", m]),
    image,
  ];
}

/** `docker run` arguments that stream a gzip tar of the volume to stdout (volume mounted read-only). */
export function tarCreateArgs(image: string, volume: string): string[] {
  return [
    ...helperRunArgs(image, [`${volume}:/data:ro`], "tar"),
    "-czf",
    "-",
    "-C",
    "/data",
    "--numeric-owner",
    ".",
  ];
}

/**
 * Shell script run in the helper container to restore an archive read from stdin into /data:
 * optionally empty the volume first, extract with numeric owners, then hand every file that the
 * image's user does not own to that user (a healthy volume's files already are, and keep their
 * group). Busybox sh and find only: `-exec ... {} +` and `-delete` are optional busybox features.
 */
export function restoreScript(clear: boolean, owner: Owner | undefined): string {
  const lines = ["set -e"];
  if (clear) {
    lines.push("find /data -mindepth 1 -maxdepth 1 -exec rm -rf {} \\;");
  }
  lines.push("tar -xzf - -C /data --numeric-owner");
  if (owner !== undefined) {
    lines.push(`find /data ! -user ${owner.uid} -exec chown -h ${owner.uid}:${owner.gid} {} \\;`);
  }
  return lines.join("\n");
}

/** `docker run` arguments that restore stdin into the volume. */
export function tarRestoreArgs(
  image: string,
  volume: string,
  clear: boolean,
  owner: Owner | undefined,
): string[] {
  return [...helperRunArgs(image, [`${volume}:/data`], "/bin/sh"), "-c", restoreScript(clear, owner)];
}

/**
 * Label prefixes that say which deployment a volume belongs to, and by which tools select volumes
 * to delete: `npm run purge-data` deletes every volume labelled `k6obs.stack=<stack>` and
 * `k6obs.retain=true`; `docker compose -p NAME down -v` without the compose file finds the
 * project's volumes by `com.docker.compose.project=NAME`.
 */
export const OWNERSHIP_LABEL_PREFIXES: readonly string[] = ["k6obs.", "com.docker.compose."];

/**
 * Labels restore creates a missing target volume with.
 *
 * Under its own name (`target` = the backed-up volume) the volume is the same one, e.g. on a new
 * host after a disk loss: every label is kept, so the stack and purge-data treat it as before.
 *
 * Under another name (`--volume SRC=TARGET`) it is a copy with an identity of its own, and the
 * ownership labels ({@link OWNERSHIP_LABEL_PREFIXES}) are dropped: copied, they would claim the
 * copy for the source's stack or compose project. Restoring a dev backup into `k6obs-prod-*`
 * would label prod's volumes `k6obs.stack=dev`, and `K6OBS_STACK=dev npm run purge-data` would
 * then list and delete prod's data. Without them the copy is deleted only when named explicitly
 * (`purge-data --volume`). No other stack's labels are put in their place: which stack will use
 * the copy is not known here. Other labels describe the data rather than its owner and are kept.
 * Pulumi ignores the labels of an existing volume (`ignoreChanges`), so an adopting `pulumi up`
 * plans no replacement either way.
 */
export function restoredVolumeLabels(
  entry: ManifestVolume,
  target: string,
): { labels: Record<string, string>; dropped: Record<string, string> } {
  const labels: Record<string, string> = {};
  const dropped: Record<string, string> = {};
  for (const [key, value] of Object.entries(entry.labels)) {
    const ownership = OWNERSHIP_LABEL_PREFIXES.some((p) => key.startsWith(p));
    if (target !== entry.volume && ownership) dropped[key] = value;
    else labels[key] = value;
  }
  return { labels, dropped };
}

/** Owner the files of a role must end up with after a restore, if the role fixes one. */
export function roleOwner(role: VolumeRole): Owner | undefined {
  return role === "data" ? undefined : ROLE_OWNERS[role];
}

// ---------------------------------------------------------------------------------------------
// Docker runner
// ---------------------------------------------------------------------------------------------

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
      outDone = pipeline(child.stdout, fs.createWriteStream(io.stdoutFile));
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

// ---------------------------------------------------------------------------------------------
// Docker queries
// ---------------------------------------------------------------------------------------------

function notFound(err: unknown): boolean {
  return err instanceof DockerError && /no such (image|volume|container|object)/i.test(err.stderr);
}

/** Whether the image is on the Docker host (never pulls). */
export async function imageExists(docker: DockerRunner, image: string): Promise<boolean> {
  try {
    await docker.exec(["image", "inspect", "--format", "{{.Id}}", image]);
    return true;
  } catch (err) {
    if (notFound(err)) return false;
    throw err;
  }
}

/** Fails unless the image is on the Docker host, with what to do about it. */
export async function requireImage(docker: DockerRunner, image: string): Promise<void> {
  if (!(await imageExists(docker, image))) {
    throw new Error(
      `image ${image} is not on this Docker host. Backup and restore never pull images: ` +
        `pull it yourself (docker pull ${image}) or pass --image with a local image that has sh and tar ` +
        `(the stack's Prometheus image does).`,
    );
  }
}

/** A volume as `docker volume inspect` reports it. */
export interface VolumeInfo {
  readonly name: string;
  readonly driver: string;
  readonly labels: Record<string, string>;
  readonly options: Record<string, string>;
}

/** `docker volume inspect`, or undefined when the volume does not exist. */
export async function inspectVolume(docker: DockerRunner, name: string): Promise<VolumeInfo | undefined> {
  try {
    const { stdout } = await docker.exec(["volume", "inspect", "--format", "{{json .}}", name]);
    const v = JSON.parse(stdout) as { Name: string; Driver: string; Labels?: unknown; Options?: unknown };
    return {
      name: v.Name,
      driver: v.Driver,
      labels: isStringRecord(v.Labels) ? v.Labels : {},
      options: isStringRecord(v.Options) ? v.Options : {},
    };
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

/** A container and the volumes it mounts. */
interface ContainerMounts {
  readonly name: string;
  readonly running: boolean;
  readonly image: string;
  readonly volumes: readonly string[];
}

/**
 * Every container (running or not) with its named volumes. Matched by exact volume name from
 * `docker inspect` rather than `docker ps --filter volume=`, whose value is matched loosely.
 */
export async function listContainerMounts(docker: DockerRunner): Promise<ContainerMounts[]> {
  const ids = (await docker.exec(["ps", "-a", "-q", "--no-trunc"])).stdout.split("\n").filter(Boolean);
  if (ids.length === 0) return [];
  // One JSON array per line: names, images and mount paths may contain spaces.
  const format = "[{{json .Name}},{{json .State.Running}},{{json .Config.Image}},{{json .Mounts}}]";
  const { stdout } = await docker.exec(["inspect", "--type", "container", "--format", format, ...ids]);
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [name, running, image, mounts] = JSON.parse(line) as [
        string,
        boolean,
        string,
        { Type: string; Name?: string }[] | null,
      ];
      return {
        name: name.replace(/^\//, ""),
        running,
        image,
        volumes: (mounts ?? []).filter((m) => m.Type === "volume" && m.Name).map((m) => m.Name as string),
      };
    });
}

/** Whether a container is running; undefined when it does not exist. */
export async function containerRunning(docker: DockerRunner, name: string): Promise<boolean | undefined> {
  try {
    const { stdout } = await docker.exec([
      "inspect",
      "--type",
      "container",
      "--format",
      "{{.State.Running}}",
      name,
    ]);
    return stdout.trim() === "true";
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

/** Logger the operations report progress to. */
export type Log = (message: string) => void;

/** Seconds `docker stop` waits for a clean shutdown before SIGKILL (Prometheus flushes its head). */
export const STOP_TIMEOUT_SECONDS = 60;

/**
 * Stops the running containers among `names`, runs `fn`, and starts exactly those again, even
 * when `fn` throws. A failure to restart is reported without hiding `fn`'s own error.
 */
export async function withContainersStopped<T>(
  docker: DockerRunner,
  names: readonly string[],
  log: Log,
  fn: (stopped: readonly string[]) => Promise<T>,
): Promise<T> {
  const stopped: string[] = [];
  let result: T;
  try {
    for (const name of [...new Set(names)]) {
      if ((await containerRunning(docker, name)) === true) {
        log(`stopping ${name}`);
        await docker.exec(["stop", "-t", String(STOP_TIMEOUT_SECONDS), name]);
        stopped.push(name);
      }
    }
    result = await fn(stopped);
  } catch (err) {
    const restartErrors = await startAll(docker, stopped, log);
    if (restartErrors.length > 0) {
      (err as Error).message += `\nALSO: could not restart ${restartErrors.join("; ")}`;
    }
    throw err;
  }
  const restartErrors = await startAll(docker, stopped, log);
  if (restartErrors.length > 0) {
    throw new Error(`could not restart ${restartErrors.join("; ")}`);
  }
  return result;
}

async function startAll(docker: DockerRunner, names: readonly string[], log: Log): Promise<string[]> {
  const errors: string[] = [];
  for (const name of names) {
    try {
      log(`starting ${name}`);
      await docker.exec(["start", name]);
    } catch (err) {
      errors.push(`${name} (start it with: docker start ${name}): ${(err as Error).message}`);
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Backup
// ---------------------------------------------------------------------------------------------

/**
 * Archives every volume of the plan into `outDir` (created; must not hold a backup already) and
 * writes manifest.json last, so a directory with a manifest is a complete backup.
 *
 * Consistency: the containers of `plan.stopContainers` are stopped for the whole run; for each
 * volume, the containers listed for it and every other running container that mounts it are
 * stopped while that volume is copied, and started again right after (also on failure).
 */
export async function backupVolumes(
  docker: DockerRunner,
  plan: BackupPlan,
  outDir: string,
  log: Log = () => undefined,
  now: Date = new Date(),
): Promise<Manifest> {
  if (plan.volumes.length === 0) throw new Error("nothing to back up: no volumes given");
  await requireImage(docker, plan.helperImage);
  const infos: VolumeInfo[] = [];
  for (const v of plan.volumes) {
    const info = await inspectVolume(docker, v.name);
    if (info === undefined) throw new Error(`volume ${v.name} does not exist on this Docker host`);
    infos.push(info);
  }
  if (fs.existsSync(path.join(outDir, MANIFEST_FILE))) {
    throw new Error(`${outDir} already holds a backup (${MANIFEST_FILE}); choose another --out`);
  }
  fs.mkdirSync(outDir, { recursive: true });

  const stamp = timestampDirName(now);
  const images: { prometheus: string | null; grafana: string | null } = { ...plan.images };
  const entries = await withContainersStopped(docker, plan.stopContainers, log, async () => {
    const done: ManifestVolume[] = [];
    for (const [i, v] of plan.volumes.entries()) {
      const info = infos[i] as VolumeInfo;
      const users = (await listContainerMounts(docker)).filter((c) => c.volumes.includes(v.name));
      if (v.role !== "data" && images[v.role] === null && users[0] !== undefined) {
        images[v.role] = users[0].image;
      }
      const toStop = [...v.containers, ...users.filter((c) => c.running).map((c) => c.name)];
      const archive = archiveFileName(v.name, stamp);
      const file = path.join(outDir, archive);
      const partial = `${file}.partial`;
      const started = Date.now();
      const entry = await withContainersStopped(docker, toStop, log, async (stopped) => {
        log(
          `archiving ${v.name} (${v.role})${stopped.length ? ` while ${stopped.join(", ")} is stopped` : ""}`,
        );
        try {
          const res = await docker.exec(tarCreateArgs(plan.helperImage, v.name), { stdoutFile: partial });
          fs.renameSync(partial, file);
          return { res, stopped };
        } catch (err) {
          fs.rmSync(partial, { force: true });
          throw err;
        }
      });
      const copyMs = Date.now() - started;
      done.push({
        volume: v.name,
        role: v.role,
        archive,
        bytes: entry.res.bytes ?? 0,
        sha256: entry.res.sha256 ?? "",
        driver: info.driver,
        labels: info.labels,
        options: info.options,
        stoppedContainers: [...entry.stopped],
        copyMs,
      });
      log(`${archive}: ${entry.res.bytes} bytes, sha256 ${entry.res.sha256}, ${copyMs} ms`);
    }
    return done;
  });

  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    createdAt: now.toISOString(),
    stack: plan.stack,
    helperImage: plan.helperImage,
    images,
    volumes: entries,
  };
  // Re-check what was written before declaring the backup complete.
  const problems = await verifyArchives(outDir, entries);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  fs.writeFileSync(path.join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

// ---------------------------------------------------------------------------------------------
// Restore
// ---------------------------------------------------------------------------------------------

/** One volume restore decided by {@link restoreVolumes}. */
export interface RestoreStep {
  readonly entry: ManifestVolume;
  readonly target: string;
  readonly exists: boolean;
  readonly empty: boolean;
  readonly runningUsers: readonly string[];
}

/**
 * Restores volumes from a backup directory. Before anything is touched: the manifest is checked,
 * every selected archive is verified against its sha256 and size, the helper image must be local,
 * and each target volume must be missing or empty (or `force`) and not mounted by a running
 * container (or `stopRunning`). All problems are reported together. Then each volume is created
 * if missing (same driver, options and labels as at backup time, minus the ownership labels when
 * restored under another name: {@link restoredVolumeLabels}), emptied when forced (its previous
 * contents are deleted and kept nowhere), extracted, and its files handed to the image's user for
 * the prometheus and grafana roles.
 */
export async function restoreVolumes(
  docker: DockerRunner,
  args: RestoreArgs,
  log: Log = () => undefined,
): Promise<RestoreStep[]> {
  const manifest = readManifest(args.from);
  const byName = new Map(manifest.volumes.map((v) => [v.volume, v]));
  const selection =
    args.select.length > 0
      ? args.select
      : manifest.volumes.map((v) => ({ source: v.volume, target: v.volume }));
  const unknown = selection.filter((s) => !byName.has(s.source)).map((s) => s.source);
  if (unknown.length > 0) {
    throw new Error(
      `${unknown.join(", ")} not in this backup; it holds ${manifest.volumes.map((v) => v.volume).join(", ")}`,
    );
  }
  const entries = selection.map((s) => byName.get(s.source) as ManifestVolume);

  const problems = await verifyArchives(args.from, entries);
  if (problems.length > 0) {
    throw new Error(`refusing to restore; nothing was changed:\n  ${problems.join("\n  ")}`);
  }
  log(`verified ${entries.length} archive(s) against ${MANIFEST_FILE}`);
  const image = args.image ?? manifest.helperImage;
  await requireImage(docker, image);

  const containers = await listContainerMounts(docker);
  const steps: RestoreStep[] = [];
  for (const [i, s] of selection.entries()) {
    const info = await inspectVolume(docker, s.target);
    let empty = true;
    if (info !== undefined) {
      const { stdout } = await docker.exec([
        ...helperRunArgs(image, [`${s.target}:/data:ro`], "ls"),
        "-A",
        "/data",
      ]);
      empty = stdout.trim() === "";
    }
    const runningUsers = containers
      .filter((c) => c.running && c.volumes.includes(s.target))
      .map((c) => c.name);
    steps.push({
      entry: entries[i] as ManifestVolume,
      target: s.target,
      exists: info !== undefined,
      empty,
      runningUsers,
    });
  }
  const refusals: string[] = [];
  for (const st of steps) {
    if (!st.empty && !args.force) {
      refusals.push(
        `volume ${st.target} is not empty; pass --force to replace its contents with ${st.entry.archive} ` +
          `(they are deleted and kept nowhere: back them up first, or restore into another name to compare)`,
      );
    }
    if (st.runningUsers.length > 0 && !args.stopRunning) {
      refusals.push(
        `volume ${st.target} is mounted by running container(s) ${st.runningUsers.join(", ")}; ` +
          `stop them (docker stop ${st.runningUsers.join(" ")}) or pass --stop-running`,
      );
    }
  }
  if (refusals.length > 0) {
    throw new Error(`refusing to restore; nothing was changed:\n  ${refusals.join("\n  ")}`);
  }

  for (const st of steps) {
    await withContainersStopped(docker, st.runningUsers, log, async () => {
      if (!st.exists) {
        const { labels, dropped } = restoredVolumeLabels(st.entry, st.target);
        const droppedText = Object.entries(dropped).map(([k, v]) => `${k}=${v}`);
        log(
          `creating volume ${st.target}` +
            (droppedText.length > 0
              ? ` without the ownership labels of ${st.entry.volume} (${droppedText.join(", ")}): it is a copy under another name`
              : ""),
        );
        await docker.exec([
          "volume",
          "create",
          "--driver",
          st.entry.driver,
          ...Object.entries(st.entry.options).flatMap(([k, v]) => ["--opt", `${k}=${v}`]),
          ...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
          st.target,
        ]);
      }
      const owner = roleOwner(st.entry.role);
      log(
        `restoring ${st.entry.archive} into ${st.target}${st.empty ? "" : " (replacing its contents)"}` +
          (owner ? `, files owned by ${owner.uid}:${owner.gid}` : ""),
      );
      await docker.exec(tarRestoreArgs(image, st.target, !st.empty, owner), {
        stdinFile: path.join(args.from, st.entry.archive),
      });
    });
  }
  return steps;
}

// ---------------------------------------------------------------------------------------------
// Inventory (verification)
// ---------------------------------------------------------------------------------------------

/** One file of a volume, as {@link volumeInventory} reports it. */
export interface InventoryEntry {
  /** Path relative to the volume root, `.` for the root. */
  readonly path: string;
  /** f: file, d: directory, l: symlink, o: other. */
  readonly type: "f" | "d" | "l" | "o";
  readonly uid: number;
  readonly gid: number;
  /** Permission bits in octal, e.g. `644`. */
  readonly mode: string;
  /** sha256 for files, the target for symlinks, `-` otherwise. */
  readonly content: string;
}

/** Script listing every path of /data with type, owner, mode and content hash (tab-separated). */
const INVENTORY_SCRIPT = [
  "cd /data",
  "find . | LC_ALL=C sort | while IFS= read -r p; do",
  '  if [ -L "$p" ]; then t=l; c=$(readlink "$p");',
  '  elif [ -f "$p" ]; then t=f; c=$(sha256sum < "$p"); c=${c%% *};',
  '  elif [ -d "$p" ]; then t=d; c=-;',
  "  else t=o; c=-; fi",
  `  printf '%s\\t%s\\t%s\\t%s\\n' "$t" "$(stat -c '%u %g %a' "$p")" "$c" "$p"`,
  "done",
].join("\n");

/**
 * Lists every path in a volume with owner, mode and sha256, read through the helper image (volume
 * mounted read-only). Compare two inventories to check that a restore reproduced a volume.
 * Paths containing newlines or tabs are not supported.
 */
export async function volumeInventory(
  docker: DockerRunner,
  image: string,
  volume: string,
): Promise<InventoryEntry[]> {
  const { stdout } = await docker.exec([
    ...helperRunArgs(image, [`${volume}:/data:ro`], "/bin/sh"),
    "-c",
    INVENTORY_SCRIPT,
  ]);
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [type, stat, content, p] = line.split("\t") as [InventoryEntry["type"], string, string, string];
      const [uid, gid, mode] = stat.split(" ");
      return {
        path: p.replace(/^\.\//, ""),
        type,
        uid: Number(uid),
        gid: Number(gid),
        mode: mode ?? "",
        content,
      };
    });
}
