/** manifest.json of a backup directory: its layout, validation and the archives' checksums. */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { isStringRecord } from "../lib/json";
import { VOLUME_ROLES, VolumeRole } from "./roles";
import { isDockerName } from "../../model/naming";

/** Identifies the manifest layout; bumped on any incompatible change. */
export const MANIFEST_FORMAT = "k6-observatory/volume-backup@1";
/** File name of the manifest inside a backup directory. */
export const MANIFEST_FILE = "manifest.json";

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

/** Returns `name` if it is a Docker name; throws naming the flag (`kind`) otherwise. */
export function checkDockerName(kind: string, name: string): string {
  if (!isDockerName(name)) {
    throw new Error(
      `${kind} "${name}" is not a valid Docker name (at least two of letters, digits, "_", "." and "-", starting with a letter or digit)`,
    );
  }
  return name;
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
    if (typeof v.volume !== "string" || !isDockerName(v.volume)) fail(`${f}.volume`, "is not a volume name");
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
