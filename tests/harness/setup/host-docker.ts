/**
 * What the suite must leave as it found it on the host: the user's own Docker Engine (its bridge,
 * iptables chains, images, containers, volumes, networks) and the set of running dockerd
 * processes. Snapshotted before the first test and compared after the last one.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";

/** The host's Docker state, as plain sorted lists. */
export interface HostDocker {
  readonly dockerdPids: string[];
  readonly bridges: string[];
  readonly iptablesChains: string[];
  /** The default engine's objects; empty when it does not answer. */
  readonly objects: string[];
}

function lines(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  try {
    return execFileSync(cmd, args, {
      encoding: "utf8",
      env,
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 20_000,
    })
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .sort();
  } catch {
    return [];
  }
}

function readCmdline(pid: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

/**
 * The host's bridges, less the suite's own engines' ones (k6obse2e*, and br-* addressed in their
 * subnets 10.213-10.231): those come and go with a tier that runs beside this one, and
 * docker-engine.sh removes them when it stops its engine.
 */
function hostBridges(): string[] {
  const suite = new Set(
    lines("ip", ["-4", "-o", "addr", "show"])
      .map((l) => l.split(/\s+/))
      .filter(([, , , addr]) => /^10\.(21[3-9]|22\d|23[01])\./.test(addr ?? ""))
      .map(([, name]) => name),
  );
  return lines("ip", ["-o", "link", "show", "type", "bridge"])
    .map((l) => l.split(":")[1]?.trim() ?? l)
    .filter((name) => !name.startsWith("k6obse2e") && !suite.has(name));
}

/** The host's Docker state now. The default engine is asked at its default socket only. */
export function snapshotHostDocker(): HostDocker {
  const env = { ...process.env, DOCKER_HOST: "unix:///var/run/docker.sock" };
  const answers =
    fs.existsSync("/var/run/docker.sock") && lines("docker", ["version", "--format", "ok"], env).length > 0;
  const list = (kind: string, args: string[]) => lines("docker", args, env).map((l) => `${kind} ${l}`);
  return {
    // The suite's own engines (containerd namespace k6obs-e2e*) come and go with the tiers.
    dockerdPids: lines("pgrep", ["-x", "dockerd"]).filter(
      (pid) => !readCmdline(pid).includes("--containerd-namespace\0k6obs-e2e"),
    ),
    bridges: hostBridges(),
    iptablesChains: lines("iptables", ["-S"]).filter((l) => l.startsWith("-N ")),
    objects: answers
      ? [
          ...list("image", ["image", "ls", "-q", "--no-trunc"]),
          ...list("container", ["ps", "-a", "--format", "{{.ID}} {{.Status}}"]).map((l) =>
            l.replace(/ (Up|Exited \(\d+\)) .*$/, " $1"),
          ),
          ...list("volume", ["volume", "ls", "-q"]),
          ...list("network", ["network", "ls", "-q"]),
        ]
      : [],
  };
}

/** What changed between two snapshots, one line per difference; empty when nothing did. */
export function hostDockerChanges(before: HostDocker, after: HostDocker): string[] {
  const changes: string[] = [];
  for (const key of Object.keys(before) as (keyof HostDocker)[]) {
    const was = new Set(before[key]);
    const is = new Set(after[key]);
    for (const x of is) if (!was.has(x)) changes.push(`${key}: + ${x}`);
    for (const x of was) if (!is.has(x)) changes.push(`${key}: - ${x}`);
  }
  return changes;
}
