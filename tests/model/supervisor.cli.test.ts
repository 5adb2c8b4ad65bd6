import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SUPERVISOR_KILL_EXIT, SUPERVISOR_KILL_LOG, supervisorScript } from "../../model/supervisor";
import { installTools } from "../harness/setup/prerequisites";

/**
 * The supervisor script run by real shells (the host's sh and busybox ash, as in the Prometheus
 * image) around a real HTTP server (node) probed with curl.
 */
// Required, never skipped: tools/install-tools.sh busybox (idempotent; the cli tier's globalSetup
// already ran it) prints the binary's path, or this throws with the command that installs it.
const BUSYBOX = installTools(["busybox"]).busybox;
const SHELLS: [string, string[]][] = [
  ["sh", ["sh"]],
  ["busybox ash", [BUSYBOX, "ash"]],
];

/** A server that answers 200, logs signals to a file, exits 0 on SIGTERM (after 300 ms) and `code` on /exit. */
const SERVER = `
const fs = require("fs");
const [port, log] = process.argv.slice(1);
require("http").createServer((req, res) => {
  if (req.url === "/exit") process.exit(3);
  res.end("ok");
}).listen(Number(port), "127.0.0.1", () => fs.appendFileSync(log, "listening\\n"));
process.on("SIGHUP", () => fs.appendFileSync(log, "HUP\\n"));
process.on("SIGTERM", () => { fs.appendFileSync(log, "TERM\\n"); setTimeout(() => process.exit(0), 300); });
`;

let nextPort = 20000 + Math.floor(Math.random() * 20000);

interface Run {
  readonly sup: ChildProcess;
  readonly exited: Promise<{ code: number | null; seconds: number; stderr: string }>;
  readonly log: string;
  readonly port: number;
  serverPid(): number;
}

function startSupervised(shell: string[], opts: { startSeconds?: number; delayServer?: number } = {}): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-sup-"));
  const log = path.join(dir, "server.log");
  fs.writeFileSync(log, "");
  const port = nextPort++;
  const script = supervisorScript({
    name: "testserver",
    probe: `curl -fsS -m 1 -o /dev/null http://127.0.0.1:${port}/`,
    intervalSeconds: 1,
    failures: 2,
    startSeconds: opts.startSeconds ?? 0,
  });
  const server = opts.delayServer
    ? [
        "sh",
        "-c",
        `sleep ${opts.delayServer}; exec "$@"`,
        "delay",
        process.execPath,
        "-e",
        SERVER,
        String(port),
        log,
      ]
    : [process.execPath, "-e", SERVER, String(port), log];
  const [cmd, ...pre] = shell;
  const started = Date.now();
  const sup = spawn(cmd ?? "sh", [...pre, "-c", script, "testserver", ...server], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  sup.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; seconds: number; stderr: string }>((resolve) =>
    sup.on("exit", (code) => resolve({ code, seconds: (Date.now() - started) / 1000, stderr })),
  );
  return {
    sup,
    exited,
    log,
    port,
    serverPid: () => {
      // The supervisor's only long-lived child besides `sleep`: the node process.
      const out = fs
        .readdirSync("/proc")
        .filter((p) => /^\d+$/.test(p))
        .find((p) => {
          try {
            const stat = fs.readFileSync(`/proc/${p}/stat`, "utf8");
            const ppid = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1];
            return ppid === String(sup.pid) && fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes(log);
          } catch {
            return false;
          }
        });
      if (!out) throw new Error("server process not found");
      return Number(out);
    },
  };
}

async function until(what: string, fn: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.each(SHELLS)("supervisor script under %s", (_name, shell) => {
  jest.setTimeout(30_000);

  test("a hung (SIGSTOPped) server is SIGKILLed and the supervisor exits non-zero within a bounded time", async () => {
    const r = startSupervised(shell);
    await until("server listening", () => fs.readFileSync(r.log, "utf8").includes("listening"));
    await new Promise((res) => setTimeout(res, 1500)); // at least one probe passes
    const pid = r.serverPid();
    const stoppedAt = Date.now();
    process.kill(pid, "SIGSTOP");
    const done = await r.exited;
    const afterStop = (Date.now() - stoppedAt) / 1000;
    expect(done.code).toBe(SUPERVISOR_KILL_EXIT);
    expect(done.stderr).toContain(SUPERVISOR_KILL_LOG);
    expect(done.stderr).toContain("probe failed (2/2)");
    // 2 failures x (1 s interval + 1 s probe timeout), plus scheduling slack.
    expect(afterStop).toBeLessThan(8);
    await until("server gone", () => !alive(pid), 2000);
  });

  test("SIGTERM reaches the server, which stops gracefully; the supervisor exits with its status", async () => {
    const r = startSupervised(shell);
    await until("server listening", () => fs.readFileSync(r.log, "utf8").includes("listening"));
    const pid = r.serverPid();
    r.sup.kill("SIGTERM");
    const done = await r.exited;
    expect(fs.readFileSync(r.log, "utf8")).toContain("TERM");
    expect(done.code).toBe(0);
    expect(done.stderr).not.toContain(SUPERVISOR_KILL_LOG);
    expect(alive(pid)).toBe(false);
  });

  test("SIGHUP (Prometheus' reload signal) is passed on and the server keeps running", async () => {
    const r = startSupervised(shell);
    await until("server listening", () => fs.readFileSync(r.log, "utf8").includes("listening"));
    r.sup.kill("SIGHUP");
    await until("HUP logged", () => fs.readFileSync(r.log, "utf8").includes("HUP"));
    expect(alive(r.serverPid())).toBe(true);
    r.sup.kill("SIGTERM");
    expect((await r.exited).code).toBe(0);
  });

  test("a server that exits by itself ends the supervisor with the server's status", async () => {
    const r = startSupervised(shell);
    await until("server listening", () => fs.readFileSync(r.log, "utf8").includes("listening"));
    await fetch(`http://127.0.0.1:${r.port}/exit`).catch(() => undefined);
    const done = await r.exited;
    expect(done.code).toBe(3);
  });

  test("a slow start is not a hang: failed probes within startSeconds are not counted", async () => {
    const r = startSupervised(shell, { startSeconds: 6, delayServer: 3 });
    await until("server listening", () => fs.readFileSync(r.log, "utf8").includes("listening"), 10_000);
    await new Promise((res) => setTimeout(res, 1500));
    expect(r.sup.exitCode).toBeNull();
    r.sup.kill("SIGTERM");
    const done = await r.exited;
    expect(done.stderr).not.toContain("probe failed");
    expect(done.code).toBe(0);
  });
});

test("the busybox ash tests run a real busybox, not the host's shell", () => {
  expect(fs.statSync(BUSYBOX).isFile()).toBe(true);
  const out = execFileSync(BUSYBOX, ["ash", "-c", "echo $0; busybox 2>&1 | head -1"], {
    encoding: "utf8",
    env: { ...process.env, PATH: path.dirname(BUSYBOX) },
  });
  expect(out).toMatch(/^ash\nBusyBox v\d+\.\d+/);
});

describe("supervisorScript arguments", () => {
  test("refuses nonsense with the field, value and what is allowed", () => {
    const base = { name: "p", probe: "true", intervalSeconds: 1, failures: 1, startSeconds: 0 };
    expect(() => supervisorScript({ ...base, failures: 0 })).toThrow(
      "supervisorScript: failures is 0; allowed: a whole number >= 1",
    );
    expect(() => supervisorScript({ ...base, intervalSeconds: 1.5 })).toThrow("intervalSeconds is 1.5");
    expect(() => supervisorScript({ ...base, name: "a b" })).toThrow('name is "a b"');
  });
});
