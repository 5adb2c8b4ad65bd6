import { ChildProcess, spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { PROMETHEUS_IMAGE } from "../../model/images";
import { hashSync } from "bcryptjs";
import {
  PROMETHEUS_AUTH_USER,
  PROMETHEUS_SELF_JOB,
  prometheusFlags,
  prometheusWebConfig,
  renderPrometheusConfig,
} from "../../model/prometheus";
import { ScrapeTarget, TARGETS_FILE, renderTargetGroups } from "../../model/scrape-targets";
import { TrendMode } from "../../model/trend-mode";
import { stackDefault } from "./stack-defaults";
import { REPO_DIR, Tools } from "./tools";

/** The repo's rule files; the tests load them from here instead of the container's /etc/prometheus/rules. */
export const RULES_DIR = path.join(REPO_DIR, "provisioning/prometheus/rules");

/** The flag whose absence makes Prometheus answer remote writes with 404 (negative control). */
export const REMOTE_WRITE_RECEIVER_FLAG = "--web.enable-remote-write-receiver";

/** Options of {@link startPrometheus}. */
export interface PrometheusOptions {
  readonly tools: Tools;
  readonly trendMode: TrendMode;
  /** Working directory (config + data); a new temporary one by default. Reuse it to restart on the same TSDB. */
  readonly workDir?: string;
  /** Listen port on 127.0.0.1; a free one by default. */
  readonly port?: number;
  /** Post-process the project's flags (negative controls only). */
  readonly editFlags?: (flags: string[]) => string[];
  /** Extra flags appended after the project's (benchmarks only: the admin API for snapshots). */
  readonly extraFlags?: readonly string[];
  /** Rule files directory; the repo's provisioning/prometheus/rules by default (benchmarks add candidates). */
  readonly rulesDir?: string;
  /** The user's scrape targets (stack setting scrapeTargets), written as the stack writes them (file_sd). */
  readonly scrapeTargets?: readonly ScrapeTarget[];
  /** Global scrape interval (default the project's 15s). */
  readonly scrapeInterval?: string;
  /** `host:port` scraped as the Grafana job (default none). */
  readonly grafanaTarget?: string;
  /** `host:port` of an Alertmanager to send alerts to and scrape (default none). */
  readonly alertmanagerTarget?: string;
  /**
   * Require basic auth as a stack with prometheusAuth does: the project's web config (bcrypt hash
   * of a random password) and `--web.config.file`. The server's own requests then authenticate.
   */
  readonly auth?: boolean;
  /** Post-process the rendered config text, as the stack does for remote_write (model/remote-write.ts). */
  readonly editConfig?: (text: string) => string;
}

/** Basic-auth credentials of a {@link PrometheusServer}. */
export interface BasicAuth {
  readonly user: string;
  readonly password: string;
}

/** The `Authorization` header value of basic auth. */
export function basicAuthHeader(auth: BasicAuth): string {
  return `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString("base64")}`;
}

/** A JSON answer of Prometheus' HTTP API. */
export interface ApiResponse<T> {
  status: "success" | "error";
  data: T;
  error?: string;
  warnings?: string[];
  infos?: string[];
}

/** One series of an instant or range query result. */
export interface ResultSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
  histogram?: [number, unknown];
  histograms?: [number, unknown][];
}

/** Result data of /api/v1/query and /api/v1/query_range. */
export interface QueryData {
  resultType: "matrix" | "vector" | "scalar" | "string";
  result: ResultSeries[] | [number, string];
}

/** A Prometheus server started from the tools' binary with the project's flags and config. */
export class PrometheusServer {
  /** Stdout + stderr of the process, for failure messages. */
  public logs = "";
  /** When the process was started (ms since the epoch). */
  public readonly startedAt = Date.now();
  private exited: Promise<number | null>;

  private constructor(
    /** Base URL, `http://127.0.0.1:<port>`. */
    public readonly url: string,
    public readonly port: number,
    public readonly workDir: string,
    public readonly dataDir: string,
    public readonly flags: readonly string[],
    private readonly child: ChildProcess,
    /** The credentials every client must send, when started with `auth`. */
    public readonly auth?: BasicAuth,
  ) {
    child.stdout?.on("data", (d: Buffer) => (this.logs += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (this.logs += d.toString()));
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  /** Remote-write endpoint as k6 on the host sees it. */
  get remoteWriteUrl(): string {
    return `${this.url}/api/v1/write`;
  }

  /** Headers of the server's own requests: basic auth when it requires it. */
  get headers(): Record<string, string> {
    return this.auth ? { Authorization: basicAuthHeader(this.auth) } : {};
  }

  static async start(options: PrometheusOptions): Promise<PrometheusServer> {
    const workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-prom-"));
    const port = options.port ?? (await freePort());
    const dataDir = path.join(workDir, "data");
    const configFile = path.join(workDir, "prometheus.yml");
    const targetsDir = path.join(workDir, "targets");
    fs.mkdirSync(targetsDir, { recursive: true });
    writeTargetsFile(targetsDir, options.scrapeTargets ?? []);
    // The self-scrape always sends the stack's basic auth from this file, as in the container.
    const password = crypto.randomBytes(24).toString("base64url").replace(/[-_]/g, "x");
    const passwordFile = path.join(workDir, "password");
    fs.writeFileSync(passwordFile, password, { mode: 0o600 });
    const webConfigFile = path.join(workDir, "web.yml");
    if (options.auth) {
      fs.writeFileSync(
        webConfigFile,
        prometheusWebConfig({ [PROMETHEUS_AUTH_USER]: hashSync(password, 10) }),
        {
          mode: 0o600,
        },
      );
    }
    // Only host-specific values are mapped: the self-scrape target, Grafana and Alertmanager (none
    // unless given), the rules' and targets' paths.
    fs.writeFileSync(
      configFile,
      (options.editConfig ?? ((text: string) => text))(
        renderPrometheusConfig({
          selfTarget: `127.0.0.1:${port}`,
          grafanaTarget: options.grafanaTarget ?? "",
          alertmanagerTarget: options.alertmanagerTarget ?? "",
          rulesDir: options.rulesDir ?? RULES_DIR,
          targetsDir,
          scrapeInterval: options.scrapeInterval,
          passwordFile,
        }),
      ),
    );
    let flags = prometheusFlags({
      version: PROMETHEUS_IMAGE.tag,
      trendMode: options.trendMode,
      retentionTime: stackDefault("prometheusRetentionTime"),
      retentionSize: stackDefault("prometheusRetentionSize"),
      configFile,
      dataDir,
      listenAddress: `127.0.0.1:${port}`,
      webConfigFile: options.auth ? webConfigFile : undefined,
    });
    if (options.editFlags) {
      flags = options.editFlags(flags);
    }
    flags = [...flags, ...(options.extraFlags ?? [])];
    const child = spawn(options.tools.prometheus, flags, { stdio: ["ignore", "pipe", "pipe"] });
    const server = new PrometheusServer(
      `http://127.0.0.1:${port}`,
      port,
      workDir,
      dataDir,
      flags,
      child,
      options.auth ? { user: PROMETHEUS_AUTH_USER, password } : undefined,
    );
    await server.waitReady(60_000);
    return server;
  }

  /**
   * Rewrites the scrape targets file the way the program does on `up` (beside, then
   * renamed); Prometheus picks it up without a reload.
   */
  writeScrapeTargets(targets: readonly ScrapeTarget[]): void {
    writeTargetsFile(path.join(this.workDir, "targets"), targets);
  }

  /** Waits for GET /-/ready to answer 200. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    while (Date.now() < deadline) {
      if (exitCode !== undefined) {
        throw new Error(`Prometheus exited with ${exitCode} before it was ready:\n${this.logs.slice(-3000)}`);
      }
      try {
        const res = await fetch(`${this.url}/-/ready`, { headers: this.headers });
        if (res.status === 200) {
          return;
        }
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`Prometheus not ready after ${timeoutMs} ms:\n${this.logs.slice(-3000)}`);
  }

  /**
   * Waits until Prometheus has scraped itself `count` times, so that rate() over its own counters
   * (the self-health dashboard) has data. Self-scrapes happen every scrape_interval (15s).
   */
  async waitForSelfScrapes(count: number, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const n = await this.scalar(`count_over_time(up{job="${PROMETHEUS_SELF_JOB}"}[1h])`);
      if (n >= count) {
        return;
      }
      await sleep(1000);
    }
    throw new Error(`Prometheus did not scrape itself ${count} times within ${timeoutMs} ms`);
  }

  /** GET an API path and return the parsed body; throws unless status is success. */
  async api<T>(apiPath: string, params: Record<string, string>): Promise<ApiResponse<T>> {
    const res = await fetch(`${this.url}${apiPath}?${new URLSearchParams(params).toString()}`, {
      headers: this.headers,
    });
    const json = (await res.json()) as ApiResponse<T>;
    if (json.status !== "success") {
      throw new Error(`${apiPath} ${JSON.stringify(params)} failed: ${json.error ?? res.status}`);
    }
    return json;
  }

  /** Instant query; returns the result series. */
  async query(expr: string, time?: number): Promise<ResultSeries[]> {
    const params: Record<string, string> = { query: expr };
    if (time !== undefined) {
      params.time = String(time);
    }
    const json = await this.api<QueryData>("/api/v1/query", params);
    return json.data.resultType === "vector" || json.data.resultType === "matrix"
      ? (json.data.result as ResultSeries[])
      : [{ metric: {}, value: json.data.result as [number, string] }];
  }

  /** Range query; returns the result series. */
  async queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<ResultSeries[]> {
    const json = await this.api<QueryData>("/api/v1/query_range", {
      query: expr,
      start: String(start),
      end: String(end),
      step: String(stepSeconds),
    });
    return json.data.result as ResultSeries[];
  }

  /** Sum of an instant query's values (0 for no result). */
  async scalar(expr: string, time?: number): Promise<number> {
    const series = await this.query(expr, time);
    return series.reduce((sum, s) => sum + Number(s.value?.[1] ?? 0), 0);
  }

  /** Sends a signal and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 30_000): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(signal);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Prometheus did not exit within ${timeoutMs} ms of ${signal}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Removes the working directory (call after stop). */
  removeWorkDir(): void {
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}

export function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  return PrometheusServer.start(options);
}

/** A free TCP port on 127.0.0.1 (released before returning; racy only against other processes). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function writeTargetsFile(dir: string, targets: readonly ScrapeTarget[]): void {
  const file = path.join(dir, TARGETS_FILE);
  fs.writeFileSync(`${file}.tmp`, renderTargetGroups(targets));
  fs.renameSync(`${file}.tmp`, file);
}
