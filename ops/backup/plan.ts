/** What a backup will copy: from --volume flags or from the stack's outputs. */
import { pickStrings, presentStrings } from "../lib/stack-outputs";
import { BackupArgs } from "./args";
import { VolumeSpec } from "./roles";

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
  /** Alertmanager's silences and notification log; a `data` volume, its container stopped while copied. */
  readonly alertmanagerVolume?: string;
  /** The container that mounts alertmanagerVolume. */
  readonly alertmanagerContainer?: string;
}

/** Checks `pulumi stack output --json` and names every missing or non-string output. */
export function parseStackOutputs(outputs: unknown): StackVolumeOutputs {
  if (typeof outputs !== "object" || outputs === null) {
    throw new Error("stack outputs are not a JSON object; has the stack been deployed (npm run up)?");
  }
  const record = outputs as Record<string, unknown>;
  const parsed: StackVolumeOutputs = pickStrings(
    record,
    [
      "prometheusVolume",
      "grafanaVolume",
      "prometheusContainer",
      "grafanaContainer",
      "prometheusImage",
      "grafanaImage",
    ],
    "deploy the stack (npm run up) or name the volumes with --volume NAME[:role]",
  );
  return {
    ...parsed,
    ...presentStrings(record, ["k6ResultsVolume", "alertmanagerVolume", "alertmanagerContainer"]),
  };
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

/** Plan for the stack's volumes: each service is stopped only while its own volume is copied. */
export function planFromStack(stack: string, outputs: StackVolumeOutputs, image?: string): BackupPlan {
  return {
    stack,
    volumes: [
      { name: outputs.prometheusVolume, role: "prometheus", containers: [outputs.prometheusContainer] },
      { name: outputs.grafanaVolume, role: "grafana", containers: [outputs.grafanaContainer] },
      ...(outputs.k6ResultsVolume !== undefined
        ? [{ name: outputs.k6ResultsVolume, role: "data" as const, containers: [] }]
        : []),
      ...(outputs.alertmanagerVolume !== undefined
        ? [
            {
              name: outputs.alertmanagerVolume,
              role: "data" as const,
              containers: outputs.alertmanagerContainer !== undefined ? [outputs.alertmanagerContainer] : [],
            },
          ]
        : []),
    ],
    stopContainers: [],
    helperImage: image ?? outputs.prometheusImage,
    images: { prometheus: outputs.prometheusImage, grafana: outputs.grafanaImage },
  };
}
