/**
 * The liveness supervisor around the REAL Prometheus binary (pinned version, tools/install-tools.sh)
 * under busybox ash, as in the Prometheus image, with the stack's own probe command (busybox
 * `timeout 5 wget` on /-/healthy) pointed at a free port: a SIGSTOPped Prometheus is killed and the supervisor
 * exits 70 (Docker's restart policy then restarts the container, proven in tests/e2e/hardening);
 * SIGTERM reaches Prometheus, which shuts down cleanly (exit 0); and Prometheus' Go runtime takes the
 * GOMEMLIMIT the container gets. No container here: the container-level story is the e2e one.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { goMemLimit } from "../../model/container-limits";
import { PROMETHEUS_INTERNAL_PORT, prometheusFlags } from "../../model/prometheus";
import {
  PROMETHEUS_LIVENESS,
  SUPERVISOR_KILL_EXIT,
  SUPERVISOR_KILL_LOG,
  supervisorScript,
} from "../../model/supervisor";
import { freePort, sleep } from "../harness/prometheus";
import { installTools as installPrerequisites } from "../harness/setup/prerequisites";
import { TOOLS_TIMEOUT_MS, Tools, installTools } from "../harness/tools";

/** Debian's busybox-static, as in the Prometheus image (tools/install-tools.sh busybox). */
const BUSYBOX = installPrerequisites(["busybox"]).busybox;
let tools: Tools;

beforeAll(async () => {
  tools = await installTools();
}, TOOLS_TIMEOUT_MS);

interface Supervised {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<{ code: number | null; output: string }>;
  readonly dir: string;
}

async function supervisedPrometheus(env: NodeJS.ProcessEnv = {}, startSeconds = 60): Promise<Supervised> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-supprom-"));
  fs.writeFileSync(path.join(dir, "prometheus.yml"), "global:\n  scrape_interval: 15s\n");
  const port = await freePort();
  const probe = PROMETHEUS_LIVENESS.probe.replace(`:${PROMETHEUS_INTERNAL_PORT}/`, `:${port}/`);
  expect(probe).not.toBe(PROMETHEUS_LIVENESS.probe);
  const script = supervisorScript({
    ...PROMETHEUS_LIVENESS,
    probe,
    intervalSeconds: 1,
    failures: 2,
    startSeconds,
  });
  const flags = prometheusFlags({
    version: "v3.15.1",
    trendMode: "stats",
    retentionTime: "1d",
    retentionSize: "1GB",
    configFile: path.join(dir, "prometheus.yml"),
    dataDir: path.join(dir, "data"),
    listenAddress: `127.0.0.1:${port}`,
  });
  const child = spawn(BUSYBOX, ["ash", "-c", script, "prometheus", tools.prometheus, ...flags], {
    // busybox's applets (wget, sleep) come from PATH, as in the image.
    env: { PATH: appletDir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on("exit", (code) => resolve({ code, output })),
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 120; i++) {
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { child, url, exited, dir };
    await sleep(250);
  }
  child.kill("SIGKILL");
  throw new Error(`Prometheus under the supervisor did not become ready:\n${output}`);
}

/** The Prometheus process: the supervisor's child whose cmdline is the binary. */
function prometheusPid(sup: ChildProcess): number {
  for (const p of fs.readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, "utf8");
      const ppid = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1];
      if (
        ppid === String(sup.pid) &&
        fs.readFileSync(`/proc/${p}/cmdline`, "utf8").startsWith(tools.prometheus)
      ) {
        return Number(p);
      }
    } catch {
      // gone meanwhile
    }
  }
  throw new Error("no Prometheus child of the supervisor");
}

/** busybox ash finds applets by name on PATH: links to busybox, as the image has them. */
let appletDir = "";
beforeAll(() => {
  appletDir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-applets-"));
  for (const applet of ["wget", "sleep", "timeout"]) fs.symlinkSync(BUSYBOX, path.join(appletDir, applet));
});
afterAll(() => fs.rmSync(appletDir, { recursive: true, force: true }));

describe("the liveness supervisor around the real Prometheus", () => {
  test("a SIGSTOPped Prometheus is SIGKILLed by the stack's own probe and the supervisor exits 70", async () => {
    const s = await supervisedPrometheus();
    try {
      await sleep(1500);
      const pid = prometheusPid(s.child);
      const t0 = Date.now();
      process.kill(pid, "SIGSTOP");
      const done = await s.exited;
      const seconds = (Date.now() - t0) / 1000;
      expect(done.code).toBe(SUPERVISOR_KILL_EXIT);
      expect(done.output).toContain(SUPERVISOR_KILL_LOG);
      // 2 probes x (1 s interval + the probe's 5 s timeout).
      expect(seconds).toBeLessThan(20);
      expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      s.child.kill("SIGKILL");
      fs.rmSync(s.dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("a healthy Prometheus passes the stack's probe: no probe fails, nothing is killed", async () => {
    // With no start period every failed probe counts: a probe that cannot pass (e.g. busybox
    // `wget -T`, which segfaults) would kill a healthy server within 2 probes.
    const s = await supervisedPrometheus({}, 0);
    try {
      await sleep(6000);
      expect(s.child.exitCode).toBeNull();
      s.child.kill("SIGTERM");
      const done = await s.exited;
      expect(done.output).not.toContain("probe failed");
      expect(done.code).toBe(0);
    } finally {
      s.child.kill("SIGKILL");
      fs.rmSync(s.dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("SIGTERM reaches Prometheus through the supervisor: clean shutdown, exit 0", async () => {
    const s = await supervisedPrometheus();
    try {
      s.child.kill("SIGTERM");
      const done = await s.exited;
      expect(done.output).toContain("See you next time!");
      expect(done.code).toBe(0);
      expect(done.output).not.toContain(SUPERVISOR_KILL_LOG);
    } finally {
      s.child.kill("SIGKILL");
      fs.rmSync(s.dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("Prometheus' Go runtime takes the GOMEMLIMIT the container gets (90% of the limit)", async () => {
    const s = await supervisedPrometheus({ GOMEMLIMIT: goMemLimit(2048) });
    try {
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      const line = metrics.split("\n").find((l) => l.startsWith("go_gc_gomemlimit_bytes "));
      expect(Number(line?.split(" ")[1])).toBe(1843 * 1024 * 1024);
    } finally {
      s.child.kill("SIGTERM");
      await s.exited;
      fs.rmSync(s.dir, { recursive: true, force: true });
    }
  }, 60_000);
});
