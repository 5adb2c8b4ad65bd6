/**
 * The user's own services Prometheus scrapes beside itself and Grafana (the `scrapeTargets` stack
 * setting): their rules and the file_sd document that carries them to Prometheus. Pure, so the
 * config, the component and the integration tests share it.
 */
import { isContainerSelfHost } from "./net";

/** One scrape job of the system under test. */
export interface ScrapeTarget {
  /** The `job` label of every series scraped from these targets; the dashboard filters on it. */
  readonly job: string;
  /** `host:port` of each instance, as Prometheus' container reaches it. */
  readonly targets: readonly string[];
  /** Path of the metrics endpoint (default `/metrics`). */
  readonly metricsPath?: string;
  /** `http` (default) or `https`. */
  readonly scheme?: "http" | "https";
}

/** Name of the one scrape job whose file_sd targets are the user's; each group sets its own `job`. */
export const TARGETS_JOB = "k6obs-targets";

/**
 * Job names the stack's own scrape jobs use (its self-scrape, Grafana) and the file_sd job that
 * carries the user's targets; a user job with one of them would mix into the health dashboards.
 */
export const RESERVED_JOBS = ["prometheus", "grafana", TARGETS_JOB] as const;

/** File Prometheus reads the user's targets from, inside its targets directory. */
export const TARGETS_FILE = "k6obs-targets.json";

/** Host name of the Docker host as Prometheus' container sees it (declared with host-gateway). */
export const DOCKER_HOST_NAME = "host.docker.internal";

const JOB = /^[A-Za-z_][A-Za-z0-9_.-]{0,62}$/;
const HOST =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;

/** What each field allows, for error messages. */
export const SCRAPE_TARGETS_ALLOWED =
  'an array of {"job": "<name>", "targets": ["host:port", ...], "metricsPath"?: "/metrics", "scheme"?: "http"|"https"}';

/**
 * The problems of one `host:port`, or undefined when it is fine. Loopback is refused because
 * Prometheus runs in a container, where it is the container itself.
 */
export function targetProblem(target: string): string | undefined {
  const at = target.lastIndexOf(":");
  const host = at < 0 ? target : target.slice(0, at);
  const port = at < 0 ? "" : target.slice(at + 1);
  if (at < 0 || !/^\d{1,5}$/.test(port)) return `${JSON.stringify(target)} is not host:port`;
  if (Number(port) < 1 || Number(port) > 65535)
    return `${JSON.stringify(target)}: port ${port} is not from 1 to 65535`;
  if (!HOST.test(host))
    return `${JSON.stringify(target)}: ${JSON.stringify(host)} is not a DNS name or IPv4 address (IPv6 is not supported)`;
  if (isContainerSelfHost(host)) {
    return `${JSON.stringify(target)} is loopback, which inside the Prometheus container is the container itself: use ${DOCKER_HOST_NAME}:${port} for a service on the Docker host, or the container name of a service on the stack network`;
  }
  return undefined;
}

/**
 * Validates a parsed `scrapeTargets` value; returns the targets and every problem found, each
 * naming the entry and what is allowed.
 */
export function checkScrapeTargets(value: unknown): { targets: ScrapeTarget[]; problems: string[] } {
  if (!Array.isArray(value)) return { targets: [], problems: [`expected ${SCRAPE_TARGETS_ALLOWED}`] };
  const problems: string[] = [];
  const targets: ScrapeTarget[] = [];
  const seen = new Set<string>();
  value.forEach((entry: unknown, i) => {
    const where = `entry ${i}`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      problems.push(
        `${where} is ${JSON.stringify(entry)}, not an object; expected ${SCRAPE_TARGETS_ALLOWED}`,
      );
      return;
    }
    const e = entry as Record<string, unknown>;
    const unknown = Object.keys(e).filter((k) => !["job", "targets", "metricsPath", "scheme"].includes(k));
    if (unknown.length > 0)
      problems.push(
        `${where} has unknown fields ${unknown.join(", ")}; allowed: job, targets, metricsPath, scheme`,
      );
    const job = e.job;
    if (typeof job !== "string" || !JOB.test(job)) {
      problems.push(
        `${where}: job ${JSON.stringify(job)} is not a name of 1-63 letters, digits, '_', '.', '-' starting with a letter or '_'`,
      );
    } else if ((RESERVED_JOBS as readonly string[]).includes(job)) {
      problems.push(
        `${where}: job ${JSON.stringify(job)} is reserved for the stack's own scrape jobs (${RESERVED_JOBS.join(", ")})`,
      );
    } else if (seen.has(job)) {
      problems.push(
        `${where}: job ${JSON.stringify(job)} appears twice; list all of a job's instances in one entry's targets`,
      );
    }
    if (typeof job === "string") seen.add(job);
    const list = e.targets;
    if (!Array.isArray(list) || list.length === 0 || !list.every((t) => typeof t === "string")) {
      problems.push(
        `${where}: targets ${JSON.stringify(list)} is not a non-empty array of "host:port" strings`,
      );
    } else {
      for (const t of list as string[]) {
        const p = targetProblem(t);
        if (p !== undefined) problems.push(`${where}: target ${p}`);
      }
      if (new Set(list).size !== list.length)
        problems.push(`${where}: targets ${JSON.stringify(list)} lists an instance twice`);
    }
    if (e.metricsPath !== undefined && (typeof e.metricsPath !== "string" || !PATH.test(e.metricsPath))) {
      problems.push(
        `${where}: metricsPath ${JSON.stringify(e.metricsPath)} is not an absolute URL path such as /metrics`,
      );
    }
    if (e.scheme !== undefined && e.scheme !== "http" && e.scheme !== "https") {
      problems.push(`${where}: scheme ${JSON.stringify(e.scheme)} is not "http" or "https"`);
    }
    targets.push(e as unknown as ScrapeTarget);
  });
  return { targets: problems.length === 0 ? targets : [], problems };
}

/**
 * Prometheus' file_sd document for the targets: one group per job. Discovered labels win over the
 * job's defaults, so `job`, `__metrics_path__` and `__scheme__` set here are what each series
 * carries and how it is scraped.
 */
export function targetGroups(
  targets: readonly ScrapeTarget[],
): { targets: string[]; labels: Record<string, string> }[] {
  return targets.map((t) => ({
    targets: [...t.targets],
    labels: {
      job: t.job,
      __metrics_path__: t.metricsPath ?? "/metrics",
      __scheme__: t.scheme ?? "http",
    },
  }));
}

/** Text of {@link TARGETS_FILE}. */
export function renderTargetGroups(targets: readonly ScrapeTarget[]): string {
  return `${JSON.stringify(targetGroups(targets), null, 2)}\n`;
}
