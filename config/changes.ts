/**
 * Changes against the last deployment that destroy or migrate data: a lower retention, an older
 * image, a major version change of Prometheus or Grafana. Pure: the program reads the last
 * deployment's stack outputs (index.ts) and the backups (./migration-backup.ts) and passes them in.
 */
import {
  ReleaseVersion,
  compareReleaseVersions,
  formatReleaseVersion,
  imageBaseName,
  parseImageRef,
  releaseVersion,
} from "../model/images";
import { parsePrometheusBytes, parsePrometheusDuration } from "../model/retention";
import { CONFIG_NAMESPACE, ConfigKey, ObservatoryConfig } from "./schema";

/** Stack outputs of the last deployment the checks read (model/outputs.ts names them). */
export const PREVIOUS_OUTPUTS = [
  "prometheusRetentionTime",
  "prometheusRetentionSize",
  "prometheusImage",
  "grafanaImage",
  "k6Image",
  "prometheusVolume",
  "grafanaVolume",
] as const;

/** The last deployment's values; all undefined on a stack's first `up` (or after a destroy). */
export type PreviousDeployment = Partial<Record<(typeof PREVIOUS_OUTPUTS)[number], string>>;

/** Oldest Prometheus that reads a TSDB written by Prometheus 3 (Prometheus' docs/migration.md). */
export const PROMETHEUS_V3_TSDB_MIN_READER: ReleaseVersion = { major: 2, minor: 55, patch: 0 };

/** A data-migrating image change that needs a backup taken with the running image first. */
export interface MigrationNeed {
  /** The service whose volume the new image migrates. */
  readonly service: "prometheus" | "grafana";
  /** The config key that changes. */
  readonly key: ConfigKey;
  /** The volume holding the data. */
  readonly volume: string;
  /** Image that runs now (and that the backup must have been taken with). */
  readonly fromImage: string;
  /** Image the update would run. */
  readonly toImage: string;
  /** Human form of the change, e.g. `Prometheus 3.15.1 -> 4.0.0`. */
  readonly change: string;
}

/** What the checks found. */
export interface ChangeReview {
  /** Refusals, each naming key, value, the old value and the consent key; none when allowed. */
  readonly problems: string[];
  /** Consent given but not needed, or a comparison that could not be made. */
  readonly warnings: string[];
  /** Image changes that need a backup first (checked by ./migration-backup.ts). */
  readonly migrations: MigrationNeed[];
}

const label = (key: ConfigKey): string => `${CONFIG_NAMESPACE}:${key}`;

/**
 * Compares the config with the last deployment. A lower retention needs `allowRetentionDecrease`;
 * an older image of the same name needs `allowImageDowngrade`; a Prometheus TSDB written by v3 is
 * never handed to a Prometheus older than 2.55 on the same volume; a major version change of
 * Prometheus or Grafana on the same volume is listed in `migrations`.
 */
export function reviewChanges(previous: PreviousDeployment, cfg: ObservatoryConfig): ChangeReview {
  const problems: string[] = [];
  const warnings: string[] = [];
  const migrations: MigrationNeed[] = [];
  const consentHint = (key: ConfigKey): string =>
    `set ${label(key)} to true for this update to consent (\`npm run pulumi -- config set ${key} true\`), and back to false after it`;

  let decreased = false;
  const retention = (
    key: "prometheusRetentionTime" | "prometheusRetentionSize",
    parse: typeof parsePrometheusDuration,
    what: string,
  ): void => {
    const before = previous[key];
    const now = cfg[key];
    if (before === undefined) return;
    const [b, n] = [parse(before), parse(now)];
    if (!b.ok || !n.ok) {
      warnings.push(
        `${label(key)}: the last deployment's value ${JSON.stringify(before)} cannot be compared`,
      );
      return;
    }
    if (n.value >= b.value) return;
    decreased = true;
    if (!cfg.consent.retentionDecrease) {
      problems.push(
        `${label(key)} = ${JSON.stringify(now)} is not allowed without consent: it lowers the retention ${what} from ${JSON.stringify(before)} (the last deployment's), and Prometheus deletes the data beyond it at its next retention run; ${consentHint("allowRetentionDecrease")}`,
      );
    } else {
      warnings.push(
        `${label(key)}: retention lowered from ${JSON.stringify(before)} to ${JSON.stringify(now)} with ${label("allowRetentionDecrease")}; set it back to false`,
      );
    }
  };
  retention("prometheusRetentionTime", parsePrometheusDuration, "time");
  retention("prometheusRetentionSize", parsePrometheusBytes, "size");
  if (cfg.consent.retentionDecrease && !decreased) {
    warnings.push(
      `${label("allowRetentionDecrease")} is true but this update lowers no retention; set it back to false so the next decrease asks again`,
    );
  }

  let downgraded = false;
  const image = (
    key: "prometheusImage" | "grafanaImage" | "k6Image",
    product: string,
    before: string | undefined,
    next: string,
    data?: { service: "prometheus" | "grafana"; volume: string; previousVolume: string | undefined },
  ): void => {
    if (before === undefined || before === next) return;
    const [b, n] = [parseImageRef(before), parseImageRef(next)];
    if (!b || !n || imageBaseName(b.repo) !== imageBaseName(n.repo)) return;
    const [vb, vn] = [releaseVersion(b.tag), releaseVersion(n.tag)];
    if (!vb || !vn) return;
    const order = compareReleaseVersions(vn, vb);
    const change = `${product} ${formatReleaseVersion(vb)} -> ${formatReleaseVersion(vn)}`;
    const sameData = data !== undefined && data.previousVolume === data.volume;
    if (
      sameData &&
      data.service === "prometheus" &&
      vb.major >= 3 &&
      compareReleaseVersions(vn, PROMETHEUS_V3_TSDB_MIN_READER) < 0
    ) {
      problems.push(
        `${label(key)} = ${JSON.stringify(next)} is not allowed: the TSDB in volume ${data.volume} was written by Prometheus ${formatReleaseVersion(vb)} (${before}), and Prometheus reads a v3 TSDB from ${formatReleaseVersion(PROMETHEUS_V3_TSDB_MIN_READER)} on only (its docs/migration.md); ${label("allowImageDowngrade")} cannot consent to losing it. Use Prometheus ${formatReleaseVersion(PROMETHEUS_V3_TSDB_MIN_READER)} or newer, or another volume (${label("prometheusVolumeName")}), e.g. one restored from a backup taken under the old version`,
      );
      return;
    }
    if (order < 0) {
      downgraded = true;
      if (!cfg.consent.imageDowngrade) {
        problems.push(
          `${label(key)} = ${JSON.stringify(next)} is not allowed without consent: it downgrades ${change} (the last deployment ran ${before})${data ? `, and ${product} does not promise to read data a newer version wrote in ${data.volume}` : ""}; ${consentHint("allowImageDowngrade")}`,
        );
      } else {
        warnings.push(
          `${label(key)}: downgraded ${change} with ${label("allowImageDowngrade")}; set it back to false`,
        );
      }
    }
    if (sameData && vb.major !== vn.major) {
      migrations.push({
        service: data.service,
        key,
        volume: data.volume,
        fromImage: before,
        toImage: next,
        change,
      });
    }
  };
  image("prometheusImage", "Prometheus", previous.prometheusImage, cfg.images.prometheus.ref, {
    service: "prometheus",
    volume: cfg.volumes.prometheus.name,
    previousVolume: previous.prometheusVolume,
  });
  image("grafanaImage", "Grafana", previous.grafanaImage, cfg.images.grafana.ref, {
    service: "grafana",
    volume: cfg.volumes.grafana.name,
    previousVolume: previous.grafanaVolume,
  });
  image("k6Image", "k6", previous.k6Image, cfg.images.k6.ref);
  if (cfg.consent.imageDowngrade && !downgraded) {
    warnings.push(
      `${label("allowImageDowngrade")} is true but this update downgrades no image; set it back to false so the next downgrade asks again`,
    );
  }
  return { problems, warnings, migrations };
}
