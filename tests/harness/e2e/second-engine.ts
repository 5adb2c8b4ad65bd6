/**
 * A second dedicated Docker Engine beside the suite's first one, for stories with a k6 runner on
 * "another host" (tests/e2e/runners.test.ts): tests/harness/docker-engine.sh with its own socket,
 * data root, exec root, pid file, containerd namespace, bridge and subnet. Stopped by its pid file.
 */
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { engineEnv } from "../setup/prerequisites";
import { DockerEngine, REPO, say, sh } from "./harness";

/** The second engine's fixed layout (disjoint from the first engine's defaults in docker-engine.sh). */
export const SECOND_ENGINE = {
  run: "/run/k6obs-e2e-runner",
  root: path.join(
    process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"),
    "k6-observatory",
    "e2e-docker-runner",
  ),
  subnet: "10.214.0.0/16",
  bridge: "k6obse2e1",
  namespace: "k6obs-e2e-runner",
  /** The bridge's address on this machine: the second engine's containers reach the host there. */
  gateway: "10.214.0.1",
} as const;

/** Starts (or finds) the second engine; only as root, like the first dedicated engine. */
export function startSecondDocker(): DockerEngine {
  if (process.getuid?.() !== 0) {
    throw new Error(
      "a second Docker Engine needs root (tests/harness/docker-engine.sh); run the e2e suite as root",
    );
  }
  const script = path.join(REPO, "tests", "harness", "docker-engine.sh");
  const out = sh("bash", [script, "start"], engineEnv(SECOND_ENGINE)).trim().split("\n");
  const host = out[out.length - 1] ?? "";
  say(
    `Docker: a second dedicated engine at ${host} (bridge ${SECOND_ENGINE.bridge}, ${SECOND_ENGINE.subnet})`,
  );
  return {
    mode: "dedicated",
    host,
    stop: () => say(sh("bash", [script, "stop"], engineEnv(SECOND_ENGINE)).trim() || "second engine stopped"),
  };
}

/** Copies an image from one engine to another (no registry here): docker save | docker load. */
export function copyImage(image: string, fromHost: string, toHost: string): void {
  const saved = spawnSync("docker", ["save", image], {
    env: { ...process.env, DOCKER_HOST: fromHost },
    maxBuffer: 2 * 1024 * 1024 * 1024,
  });
  if (saved.status !== 0) throw new Error(`docker save ${image}: ${saved.stderr.toString()}`);
  const loaded = spawnSync("docker", ["load"], {
    env: { ...process.env, DOCKER_HOST: toHost },
    input: saved.stdout,
  });
  if (loaded.status !== 0)
    throw new Error(`docker load ${image} into ${toHost}: ${loaded.stderr.toString()}`);
}
