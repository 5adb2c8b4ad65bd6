/** What backup and restore ask the Docker host, and stopping/starting the containers that use a volume. */
import { isStringRecord } from "../lib/json";
import { DockerError, DockerRunner } from "./docker";

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
 * when `fn` throws, unless `restartAfter(err)` says the error leaves their volume unfit to run on.
 * A failure to restart is reported without hiding `fn`'s own error.
 */
export async function withContainersStopped<T>(
  docker: DockerRunner,
  names: readonly string[],
  log: Log,
  fn: (stopped: readonly string[]) => Promise<T>,
  restartAfter: (err: unknown) => boolean = () => true,
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
    if (!restartAfter(err)) {
      log(`not starting ${stopped.join(", ") || "any container"} again: its volume may be inconsistent`);
      throw err;
    }
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
