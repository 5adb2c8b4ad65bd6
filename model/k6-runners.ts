/**
 * Extra k6 runner hosts (the `k6Runners` stack setting): their rules, the local runner's name, and
 * each runner's k6 flags. Pure, so the config, the components and the tests share it. The split of
 * the load is k6's own execution segments (./segments).
 */
import { isLoopbackIp, isUnspecifiedIp, urlHost } from "./net";
import { RunnerSegment, runnerSegments } from "./segments";

/** One extra Docker host that runs a share of the k6 test. */
export interface K6RunnerHost {
  /** Runner name: the `runner` tag on its samples, its container's label and name suffix. */
  readonly name: string;
  /** Docker host URL of its engine: `ssh://user@host[:port]`, `tcp://host:port`, `unix:///path`. */
  readonly host: string;
  /** Share of the load relative to the other runners (default 1; the local runner has 1). */
  readonly weight: number;
}

/** Name of the runner on the stack's own Docker host (the one that always exists). */
export const LOCAL_RUNNER = "local";

/** Docker host URL of a local engine when neither DOCKER_HOST nor docker:host says otherwise. */
export const DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";

/** What the setting allows, for error messages. */
export const K6_RUNNERS_ALLOWED =
  'an array of {"name": "<runner>", "host": "ssh://user@host | tcp://host:port | unix:///path/docker.sock", "weight"?: 1-100}';

const NAME = /^[a-z0-9][a-z0-9_-]{0,29}$/;
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * A Docker host URL in one spelling, for comparing hosts: scheme and host lower-cased, default
 * ports made explicit (ssh 22, tcp 2375), `unix://` paths with `/var/run` = `/run` (a symlink on
 * every current distribution). Undefined when the URL is not one Docker takes.
 */
export function normaliseDockerHost(host: string): string | undefined {
  const unix = /^unix:\/\/(\/[^\s?#]+)$/.exec(host);
  if (unix) return `unix://${unix[1]!.replace(/^\/var\/run\//, "/run/").replace(/\/+$/, "")}`;
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    return undefined;
  }
  const scheme = url.protocol.replace(/:$/, "");
  if (scheme !== "ssh" && scheme !== "tcp") return undefined;
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  if (!(HOSTNAME.test(hostname) || /^[0-9a-f:.]+$/i.test(hostname))) return undefined;
  if (url.pathname !== "" && url.pathname !== "/") return undefined;
  if (url.search !== "" || url.hash !== "" || url.password !== "") return undefined;
  if (scheme === "tcp" && url.username !== "") return undefined;
  const port = url.port || (scheme === "ssh" ? "22" : "2375");
  const user = url.username === "" ? "" : `${url.username}@`;
  return `${scheme}://${user}${urlHost(hostname.toLowerCase())}:${port}`;
}

/** True when a Docker host URL names this machine's engine by loopback (tcp://127.0.0.1, ssh://localhost). */
function isThisMachine(normalised: string): boolean {
  const m = /^(?:ssh|tcp):\/\/(?:[^@]+@)?\[?([^\]]+?)\]?:\d+$/.exec(normalised);
  if (!m) return false;
  const h = m[1]!;
  return h === "localhost" || isLoopbackIp(h) || isUnspecifiedIp(h);
}

/** Result of {@link checkK6Runners}. */
export interface K6RunnersCheck {
  /** The runners when valid (empty otherwise). */
  readonly runners: readonly K6RunnerHost[];
  /** One line per problem, each saying what is allowed. */
  readonly problems: readonly string[];
}

/**
 * Validates the parsed `k6Runners` value against the stack's own Docker host (`localHost`, the
 * provider's host: docker:host, DOCKER_HOST or the default socket): names Docker-safe and unique
 * and not `local`, hosts well-formed and unique, and none the stack's own host again (its load
 * would run twice on one engine, and the container names would collide).
 */
export function checkK6Runners(value: unknown, localHost: string): K6RunnersCheck {
  const problems: string[] = [];
  if (!Array.isArray(value)) return { runners: [], problems: [K6_RUNNERS_ALLOWED] };
  const runners: K6RunnerHost[] = [];
  const names = new Set<string>();
  const hosts = new Map<string, string>();
  const local = normaliseDockerHost(localHost) ?? localHost;
  value.forEach((entry: unknown, i) => {
    const at = `runner #${i + 1}`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      problems.push(`${at} is ${JSON.stringify(entry)}; each runner is ${K6_RUNNERS_ALLOWED.slice(12)}`);
      return;
    }
    const e = entry as Record<string, unknown>;
    const unknown = Object.keys(e).filter((k) => !["name", "host", "weight"].includes(k));
    if (unknown.length > 0)
      problems.push(`${at} has unknown field(s) ${unknown.join(", ")}: only name, host, weight`);
    const name = e.name;
    if (typeof name !== "string" || !NAME.test(name)) {
      problems.push(
        `${at}: name ${JSON.stringify(name)} is not 1-30 lower-case letters, digits, '_' or '-' starting with a letter or digit (it names a container and tags samples)`,
      );
    } else if (name === LOCAL_RUNNER) {
      problems.push(`${at}: name "${LOCAL_RUNNER}" is the stack's own Docker host's runner; choose another`);
    } else if (names.has(name)) {
      problems.push(`${at}: name ${JSON.stringify(name)} is used twice; runner names are unique`);
    } else {
      names.add(name);
    }
    const host = e.host;
    const norm = typeof host === "string" ? normaliseDockerHost(host) : undefined;
    if (typeof host !== "string" || norm === undefined) {
      problems.push(
        `${at}: host ${JSON.stringify(host)} is not a Docker host URL: ssh://user@host[:port], tcp://host:port or unix:///path/to/docker.sock`,
      );
    } else if (norm === local || isThisMachine(norm)) {
      problems.push(
        `${at}: host ${JSON.stringify(host)} is the stack's own Docker host (${localHost}), which runs the "${LOCAL_RUNNER}" runner already; list only other hosts`,
      );
    } else if (hosts.has(norm)) {
      problems.push(
        `${at}: host ${JSON.stringify(host)} is the same Docker host as runner ${JSON.stringify(hosts.get(norm))}; each host runs one runner (use weight for a bigger share)`,
      );
    } else {
      hosts.set(norm, typeof name === "string" ? name : at);
    }
    const weight = e.weight ?? 1;
    if (typeof weight !== "number" || !Number.isInteger(weight) || weight < 1 || weight > 100) {
      problems.push(`${at}: weight ${JSON.stringify(e.weight)} is not a whole number from 1 to 100`);
    }
    if (typeof name === "string" && typeof host === "string" && typeof weight === "number")
      runners.push({ name, host, weight });
  });
  return problems.length > 0 ? { runners: [], problems } : { runners, problems };
}

/** One runner as the program declares it: the local one first, then the extra hosts in order. */
export interface K6RunnerPlan {
  /** Runner name (`local` for the stack's own host). */
  readonly name: string;
  /** Docker host URL; undefined for the local runner (the stack's own provider). */
  readonly host?: string;
  /** Its k6 flags; undefined when it runs the whole test alone. */
  readonly segment?: RunnerSegment;
}

/** The local runner plus `extra`, each with its execution segment (weights in order; local 1). */
export function planK6Runners(extra: readonly K6RunnerHost[]): [K6RunnerPlan, ...K6RunnerPlan[]] {
  const segments = runnerSegments([1, ...extra.map((r) => r.weight)]);
  return [
    { name: LOCAL_RUNNER, segment: segments?.[0] },
    ...extra.map((r, i) => ({ name: r.name, host: r.host, segment: segments?.[i + 1] })),
  ];
}

/**
 * k6 flags of one runner, appended before the script: its segment of the shared sequence and
 * `--tag runner=<name>`. Without extra runners nothing is added (a stack without runners runs
 * exactly the argv it always did).
 */
export function runnerArgs(plan: K6RunnerPlan): string[] {
  if (plan.segment === undefined) return [];
  return [
    "--execution-segment",
    plan.segment.segment,
    "--execution-segment-sequence",
    plan.segment.sequence,
    "--tag",
    `runner=${plan.name}`,
  ];
}

/** Inputs of {@link checkRunnerPrometheus}. */
export interface RunnerPrometheusInputs {
  /** How many extra runners are configured. */
  readonly runners: number;
  /** Host address Prometheus is published on. */
  readonly bindAddress: string;
  /** Whether Prometheus requires basic auth. */
  readonly auth: boolean;
  /** Prometheus' host port. */
  readonly port: number;
  /** The raw k6RunnerPrometheusUrl ("" to derive it). */
  readonly url: string;
}

/**
 * Whether runners on other hosts can and may remote-write to the stack's Prometheus, and the base
 * URL they use: Prometheus must be published on a non-loopback address (the runners are not on
 * this host) and require basic auth (an exposed receiver would take anyone's samples). The URL is
 * the given one or `http://<bind address>:<port>`, which cannot be derived from 0.0.0.0.
 * Problems are `[key, what is allowed]`.
 */
export function checkRunnerPrometheus(p: RunnerPrometheusInputs): {
  readonly url?: string;
  readonly problems: readonly ["k6Runners" | "k6RunnerPrometheusUrl", string][];
} {
  const problems: ["k6Runners" | "k6RunnerPrometheusUrl", string][] = [];
  let url: string | undefined;
  if (p.url !== "") {
    let u: URL | undefined;
    try {
      u = new URL(p.url);
    } catch {
      u = undefined;
    }
    const h = u?.hostname.replace(/^\[|\]$/g, "") ?? "";
    if (!u || (u.protocol !== "http:" && u.protocol !== "https:") || u.username !== "" || u.search !== "") {
      problems.push([
        "k6RunnerPrometheusUrl",
        "an absolute http:// or https:// base URL of Prometheus without credentials, e.g. http://10.0.0.5:9090 (empty to derive it from the Prometheus bind address)",
      ]);
    } else if (h === "localhost" || isLoopbackIp(h) || isUnspecifiedIp(h)) {
      problems.push([
        "k6RunnerPrometheusUrl",
        "an address the runner hosts reach Prometheus at; loopback or 0.0.0.0 there is the runner host itself",
      ]);
    }
    url = p.url.replace(/\/+$/, "");
  }
  if (p.runners === 0) return { url: undefined, problems };
  if (isLoopbackIp(p.bindAddress)) {
    problems.push([
      "k6Runners",
      `runners only while Prometheus is published on an address the runner hosts reach: it is bound to loopback ${p.bindAddress}; publish it on a non-loopback address (with its consent key) first`,
    ]);
  } else if (!p.auth) {
    problems.push([
      "k6Runners",
      `runners only while Prometheus requires basic auth: on ${p.bindAddress} without auth it would accept remote writes from anyone; turn on Prometheus auth first`,
    ]);
  }
  if (url === undefined) {
    if (isUnspecifiedIp(p.bindAddress)) {
      problems.push([
        "k6RunnerPrometheusUrl",
        `a URL the runner hosts reach Prometheus at, e.g. http://<this host's address>:${p.port}; it cannot be derived while Prometheus is bound to all interfaces (${p.bindAddress})`,
      ]);
    } else {
      url = `http://${urlHost(p.bindAddress)}:${p.port}`;
    }
  }
  return { url, problems };
}
