/**
 * Whether each extra k6 runner's Docker host answers (k6Runners), asked by index.ts before any
 * resource is declared. Without it an unreachable host surfaces as the Docker provider's
 * "failed to connect to any docker daemon" from Configure, which names neither the runner nor the
 * setting (seen on the real engine in tests/e2e/runners.test.ts).
 */
import * as net from "net";
import { K6RunnerHost } from "../model/k6-runners";
import { CONFIG_NAMESPACE, ConfigError } from "./schema";

/** How long a TCP connect to a runner host may take before it counts as unreachable. */
export const RUNNER_HOST_TIMEOUT_MS = 5_000;

/** Where to connect for a Docker host URL; undefined for schemes this check cannot open (ssh). */
export function dockerHostEndpoint(
  host: string,
): { path: string } | { host: string; port: number } | undefined {
  const unix = /^unix:\/\/(\/.+)$/.exec(host);
  if (unix) return { path: unix[1]! };
  const tcp = /^tcp:\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(host);
  if (tcp) return { host: tcp[1]!.replace(/^\[|\]$/g, ""), port: Number(tcp[2] ?? 2375) };
  return undefined;
}

/** Opens and closes one connection; resolves with the error's code/message, or undefined when it connected. */
export function connectProblem(
  endpoint: { path: string } | { host: string; port: number },
  timeoutMs = RUNNER_HOST_TIMEOUT_MS,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(endpoint);
    const done = (problem: string | undefined): void => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs / 1000}s`));
    socket.once("connect", () => done(undefined));
    socket.once("error", (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

/**
 * One message per runner whose Docker host cannot be connected to, naming key, value and what is
 * needed. ssh:// hosts are not probed here (the Docker provider runs ssh itself and reports). A
 * host that never answers is reported after RUNNER_HOST_TIMEOUT_MS (not tested: no black-holed
 * address is a permitted target on the build machine).
 */
export async function runnerHostProblems(runners: readonly K6RunnerHost[]): Promise<string[]> {
  const results = await Promise.all(
    runners.map(async (r, i) => {
      const endpoint = dockerHostEndpoint(r.host);
      if (endpoint === undefined) return undefined;
      const problem = await connectProblem(endpoint);
      if (problem === undefined) return undefined;
      const where = "path" in endpoint ? `socket ${endpoint.path}` : `${endpoint.host}:${endpoint.port}`;
      return `${CONFIG_NAMESPACE}:k6Runners[${i}].host = ${JSON.stringify(r.host)} (runner "${r.name}") is not reachable: cannot connect to ${where} (${problem}); allowed: the URL of a running Docker Engine this machine can reach, or remove the runner`;
    }),
  );
  return results.filter((p): p is string => p !== undefined);
}

/** Throws a {@link ConfigError} when a runner host does not answer. */
export async function checkRunnerHosts(runners: readonly K6RunnerHost[]): Promise<void> {
  const problems = await runnerHostProblems(runners);
  if (problems.length > 0) throw new ConfigError(problems, "k6Runners: runner host unreachable");
}
