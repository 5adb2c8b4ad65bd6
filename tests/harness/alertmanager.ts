import { ChildProcess, execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import {
  AlertmanagerConfigArgs,
  alertmanagerFlags,
  renderAlertmanagerConfig,
} from "../../model/alertmanager";
import { freePort, sleep } from "./prometheus";
import { REPO_DIR, TOOLS_TIMEOUT_MS } from "./tools";

/** Paths of alertmanager and amtool built by `tools/install-tools.sh alertmanager`. */
export interface AlertmanagerTools {
  readonly dir: string;
  readonly alertmanager: string;
  readonly amtool: string;
}

let pending: Promise<AlertmanagerTools> | undefined;

/** Builds (first run) or finds the pinned Alertmanager binaries, once per test worker. */
export function installAlertmanager(): Promise<AlertmanagerTools> {
  pending ??= new Promise<AlertmanagerTools>((resolve, reject) => {
    execFile(
      "bash",
      [path.join(REPO_DIR, "tools/install-tools.sh"), "alertmanager"],
      { cwd: REPO_DIR, timeout: TOOLS_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(
            new Error(`tools/install-tools.sh alertmanager failed: ${err.message}\n${stderr.slice(-4000)}`),
          );
          return;
        }
        const dir = stdout.trim().split("\n").pop() ?? "";
        const tools = { dir, alertmanager: path.join(dir, "alertmanager"), amtool: path.join(dir, "amtool") };
        for (const bin of [tools.alertmanager, tools.amtool]) {
          if (!fs.existsSync(bin)) {
            reject(new Error(`install-tools.sh printed "${dir}" but ${bin} does not exist`));
            return;
          }
        }
        resolve(tools);
      },
    );
  });
  return pending;
}

/** A real Alertmanager process started with the project's flags and a config from its builder. */
export class AlertmanagerServer {
  /** Stdout + stderr of the process, for failure messages. */
  public logs = "";
  private readonly exited: Promise<number | null>;

  private constructor(
    /** `http://127.0.0.1:<port>`. */
    public readonly url: string,
    /** `127.0.0.1:<port>`, what Prometheus' alerting config targets. */
    public readonly hostPort: string,
    public readonly workDir: string,
    /** The rendered config file. */
    public readonly configFile: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on("data", (d: Buffer) => (this.logs += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (this.logs += d.toString()));
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  static async start(tools: AlertmanagerTools, config: AlertmanagerConfigArgs): Promise<AlertmanagerServer> {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-am-"));
    const port = await freePort();
    const configFile = path.join(workDir, "alertmanager.yml");
    fs.writeFileSync(configFile, renderAlertmanagerConfig(config));
    const flags = alertmanagerFlags({
      configFile,
      dataDir: path.join(workDir, "data"),
      listenAddress: `127.0.0.1:${port}`,
    });
    const child = spawn(tools.alertmanager, flags, { stdio: ["ignore", "pipe", "pipe"] });
    const server = new AlertmanagerServer(
      `http://127.0.0.1:${port}`,
      `127.0.0.1:${port}`,
      workDir,
      configFile,
      child,
    );
    await server.waitReady(30_000);
    return server;
  }

  /** Waits for GET /-/ready to answer 200. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    while (Date.now() < deadline) {
      if (exitCode !== undefined) {
        throw new Error(
          `Alertmanager exited with ${exitCode} before it was ready:\n${this.logs.slice(-3000)}`,
        );
      }
      try {
        if ((await fetch(`${this.url}/-/ready`)).status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`Alertmanager not ready after ${timeoutMs} ms:\n${this.logs.slice(-3000)}`);
  }

  /** Alerts Alertmanager currently holds (GET /api/v2/alerts). */
  async alerts(): Promise<{ labels: Record<string, string>; status: { state: string } }[]> {
    const res = await fetch(`${this.url}/api/v2/alerts`);
    return (await res.json()) as { labels: Record<string, string>; status: { state: string } }[];
  }

  /** Sends SIGTERM and waits for the process to exit, then removes its directory. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.exited,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("Alertmanager did not exit")), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}

/** One notification as Alertmanager's webhook integration posts it (version 4 payload). */
export interface WebhookNotification {
  readonly receiver: string;
  readonly status: "firing" | "resolved";
  readonly alerts: {
    readonly status: "firing" | "resolved";
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
  }[];
  readonly groupLabels: Record<string, string>;
  readonly commonLabels: Record<string, string>;
}

/** A local HTTP endpoint standing in for the user's webhook: records every POST it receives. */
export class WebhookReceiver {
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: http.Server,
    /** URL to give Alertmanager. */
    public readonly url: string,
    /** Every notification received, in arrival order, with its arrival time (ms). */
    public readonly received: { at: number; body: WebhookNotification }[],
  ) {
    server.on("connection", (s) => {
      this.sockets.add(s);
      s.once("close", () => this.sockets.delete(s));
    });
  }

  static async start(): Promise<WebhookReceiver> {
    const received: WebhookReceiver["received"] = [];
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        if (req.method === "POST")
          received.push({ at: Date.now(), body: JSON.parse(body) as WebhookNotification });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    return new WebhookReceiver(server, `http://127.0.0.1:${port}/k6obs-hook/s3cr3t`, received);
  }

  /** Waits until a notification matching `match` arrives; throws after `timeoutMs`. */
  async waitFor(
    match: (n: WebhookNotification) => boolean,
    timeoutMs: number,
  ): Promise<{ at: number; body: WebhookNotification }> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const hit = this.received.find((r) => match(r.body));
      if (hit) return hit;
      await sleep(200);
    }
    throw new Error(
      `no matching notification within ${timeoutMs} ms; received: ${JSON.stringify(this.received.map((r) => r.body))}`,
    );
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A plain HTTP server answering /metrics, standing in for Grafana's scrape endpoint (not Grafana). */
export class MetricsEndpoint {
  private readonly sockets = new Set<net.Socket>();
  private constructor(
    private readonly server: http.Server,
    /** `127.0.0.1:<port>`. */
    public readonly hostPort: string,
  ) {
    server.on("connection", (s) => {
      this.sockets.add(s);
      s.once("close", () => this.sockets.delete(s));
    });
  }

  static async start(port = 0): Promise<MetricsEndpoint> {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" }).end("k6obs_standin_up 1\n");
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    const addr = server.address() as net.AddressInfo;
    return new MetricsEndpoint(server, `127.0.0.1:${addr.port}`);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
