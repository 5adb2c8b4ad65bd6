/**
 * A liveness supervisor for a server container, as a POSIX sh script (busybox ash in the Prometheus
 * image, the image's /bin/sh in Grafana's). Docker never restarts a container that runs but is
 * unhealthy, and an autoheal container would need docker.sock (which the policy forbids), so the
 * container heals itself: the script runs the server as its child, probes it, and after `failures`
 * consecutive failed probes SIGKILLs it and exits non-zero, so `restart: unless-stopped` starts a
 * fresh container on the same volumes. SIGTERM/SIGINT (docker stop, the provider's destroy with
 * destroyGraceSeconds) and SIGHUP (Prometheus' config reload) are passed to the server, and once
 * stopping the script only waits for the server's own exit status: no probe can kill it mid-shutdown.
 */
import { GRAFANA_INTERNAL_PORT } from "./grafana";
import { PROMETHEUS_INTERNAL_PORT, authenticatedWgetUrl } from "./prometheus";

/** Inputs of {@link supervisorScript}. */
export interface SupervisorArgs {
  /** What the logs call the server. */
  readonly name: string;
  /**
   * Shell command that exits 0 while the server is alive. It must bound its own time (e.g. `timeout 5
   * wget ...`, `curl -m 5`): a hung server accepts connections (the kernel does) and never answers.
   */
  readonly probe: string;
  /** Seconds between probes. */
  readonly intervalSeconds: number;
  /** Consecutive failed probes that make the server count as hung. */
  readonly failures: number;
  /**
   * Seconds after start during which failed probes are not counted unless the server has passed
   * one already (start-up, e.g. a WAL replay, is not a hang).
   */
  readonly startSeconds: number;
}

/** Exit status of the supervisor when it killed a hung server (EX_SOFTWARE). */
export const SUPERVISOR_KILL_EXIT = 70;

/** Line the supervisor logs when it kills the server; tests and docs grep for it. */
export const SUPERVISOR_KILL_LOG = "killing the hung server";

function positiveInt(what: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new Error(`supervisorScript: ${what} is ${n}; allowed: a whole number >= 1`);
  }
  return n;
}

/**
 * The script, for `sh -c <script> <name> <server argv...>`: the server argv comes from the
 * positional parameters (`"$@"`), so the flags stay separate arguments in `docker inspect`.
 */
export function supervisorScript(args: SupervisorArgs): string {
  const interval = positiveInt("intervalSeconds", args.intervalSeconds);
  const failures = positiveInt("failures", args.failures);
  const start = args.startSeconds === 0 ? 0 : positiveInt("startSeconds", args.startSeconds);
  if (!/^[A-Za-z0-9._-]+$/.test(args.name)) {
    throw new Error(
      `supervisorScript: name is ${JSON.stringify(args.name)}; allowed: letters, digits, '.', '_', '-'`,
    );
  }
  const log = `echo "k6obs-supervisor(${args.name}):`;
  return [
    '"$@" &',
    "child=$!",
    "stopping=0",
    // A trap runs as soon as the shell's current `wait` returns, so signals reach the server at once.
    `trap 'stopping=1; kill -TERM "$child" 2>/dev/null' TERM INT`,
    `trap 'kill -HUP "$child" 2>/dev/null' HUP`,
    "fails=0",
    "passed=0",
    "elapsed=0",
    'while [ "$stopping" = 0 ] && kill -0 "$child" 2>/dev/null; do',
    `  sleep ${interval} &`,
    '  wait "$!"',
    `  elapsed=$((elapsed + ${interval}))`,
    '  if [ "$stopping" = 1 ] || ! kill -0 "$child" 2>/dev/null; then break; fi',
    `  if ${args.probe}; then`,
    "    fails=0",
    "    passed=1",
    `  elif [ "$passed" = 1 ] || [ "$elapsed" -ge ${start} ]; then`,
    "    fails=$((fails + 1))",
    `    ${log} probe failed ($fails/${failures})" >&2`,
    `    if [ "$fails" -ge ${failures} ] && [ "$stopping" = 0 ]; then`,
    `      ${log} ${SUPERVISOR_KILL_LOG} pid $child after $fails failed probes; exiting ${SUPERVISOR_KILL_EXIT} so Docker restarts the container" >&2`,
    '      kill -KILL "$child" 2>/dev/null',
    '      wait "$child" 2>/dev/null',
    `      exit ${SUPERVISOR_KILL_EXIT}`,
    "    fi",
    "  fi",
    "done",
    // `wait` returns early when a trap fires; the server's own status is the one to exit with.
    "while :; do",
    '  wait "$child"',
    "  status=$?",
    '  kill -0 "$child" 2>/dev/null || break',
    "done",
    'exit "$status"',
  ].join("\n");
}

/**
 * Docker entrypoint that runs `server` (argv) under the supervisor: `["/bin/sh", "-c", script,
 * name, ...server]`. A container `command` is appended to it, i.e. becomes more server arguments.
 */
export function supervisedEntrypoint(args: SupervisorArgs, server: readonly string[]): string[] {
  return ["/bin/sh", "-c", supervisorScript(args), args.name, ...server];
}

/**
 * Prometheus' liveness: `/-/healthy` answers as soon as the web server runs, during a WAL replay
 * too (unlike `/-/ready`, the Docker healthcheck, which waits for the TSDB). busybox wget has no
 * working read timeout here (Debian's 1.35 `wget -T` segfaults, on an IP too: measured), so busybox
 * `timeout` bounds the probe against a hung server that accepts connections but never answers.
 */
export const PROMETHEUS_LIVENESS: SupervisorArgs = {
  name: "prometheus",
  // Always with the stack's credentials (the password file is uploaded on every stack): with auth
  // on, an unauthenticated probe gets 401 and would kill a healthy server; without it they are ignored.
  probe: `timeout 5 wget -q -O /dev/null ${authenticatedWgetUrl(`127.0.0.1:${PROMETHEUS_INTERNAL_PORT}`, "/-/healthy")}`,
  intervalSeconds: 10,
  failures: 3,
  startSeconds: 60,
};

/**
 * Grafana's liveness: `/api/health` (also its Docker healthcheck). It answers only once the
 * database migrations have run, which after a Grafana upgrade can take minutes: failed probes
 * count from 5 minutes after start unless one passed before.
 */
export const GRAFANA_LIVENESS: SupervisorArgs = {
  name: "grafana",
  probe: `curl -fsS -m 5 -o /dev/null http://127.0.0.1:${GRAFANA_INTERNAL_PORT}/api/health`,
  intervalSeconds: 10,
  failures: 3,
  startSeconds: 300,
};
