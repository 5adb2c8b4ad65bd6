/** The backup and restore command lines. */
import { parseFlags } from "../lib/cli";
import { checkDockerName } from "./manifest";
import { VOLUME_ROLES, VolumeRole, VolumeSpec } from "./roles";

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

/** Parses the backup CLI's arguments; `"help"` for -h/--help. */
export function parseBackupArgs(argv: readonly string[]): BackupArgs | "help" {
  const { values, help } = parseFlags(argv, {
    volume: "repeat",
    "stop-container": "repeat",
    image: "value",
    out: "value",
    stack: "value",
  });
  if (help) return "help";
  const volumes = (values.volume ?? []).map(parseVolumeSpec);
  const names = volumes.map((v) => v.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new Error(`--volume ${dup} given twice`);
  return {
    volumes,
    stopContainers: (values["stop-container"] ?? []).map((c) => checkDockerName("--stop-container", c)),
    image: values.image,
    out: values.out,
    stack: values.stack,
  };
}

/** Parses the restore CLI's arguments; `"help"` for -h/--help. */
export function parseRestoreArgs(argv: readonly string[]): RestoreArgs | "help" {
  const { values, help } = parseFlags(argv, {
    from: "value",
    volume: "repeat",
    force: "bool",
    "stop-running": "bool",
    image: "value",
  });
  if (help) return "help";
  const from = values.from;
  if (from === undefined) throw new Error("--from <backup directory> is required");
  const select = (values.volume ?? []).map((text) => {
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
    force: values.force === true,
    stopRunning: values["stop-running"] === true,
    image: values.image,
  };
}
