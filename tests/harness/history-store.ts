// A second real Prometheus standing in for a long-term store (Thanos receive, Mimir,
// VictoriaMetrics, a hosted Prometheus all speak the same remote-write protocol): the pinned
// binary with the remote-write receiver and basic auth (a web config), so a stack's
// remote_write can be checked end to end, including a refused password. Shared by the
// integration test and the benchmark.
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROMETHEUS_IMAGE } from "../../model/images";
import { prometheusFlags, renderPrometheusConfig } from "../../model/prometheus";
import {
  RemoteWriteTarget,
  remoteWriteSecretFiles,
  remoteWriteSection,
  withRemoteWrite,
} from "../../model/remote-write";
import { TrendMode } from "../../model/trend-mode";
import { PrometheusServer, RULES_DIR, ResultSeries, freePort, sleep, startPrometheus } from "./prometheus";
import { stackDefault } from "./stack-defaults";
import { Tools } from "./tools";

/** The store's one user. */
export const STORE_USER = "history";
/** Its password, and the bcrypt hash of it in the store's web config (golang.org/x/crypto/bcrypt, cost 10). */
export const STORE_PASSWORD = "history-store-pw-7Kq2";
const STORE_PASSWORD_BCRYPT = "$2a$10$BPA4arB7XdtGFJ5dKR/yC.6jiV3jMsfE.uyVYk7ihZCexpzUs9CnW";

/**
 * A stack Prometheus whose config is the committed one plus remote_write to `targets`, their
 * credentials as private files in its work dir (as the stack uploads them).
 */
export async function startRemoteWriteSender(opts: {
  readonly tools: Tools;
  readonly trendMode: TrendMode;
  readonly targets: readonly RemoteWriteTarget[];
  readonly scrapeInterval?: string;
}): Promise<PrometheusServer> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-rw-sender-"));
  const secretsDir = path.join(workDir, "secrets");
  fs.mkdirSync(secretsDir, { mode: 0o700 });
  for (const f of remoteWriteSecretFiles(opts.targets, secretsDir))
    fs.writeFileSync(f.path, f.content, { mode: 0o600 });
  return startPrometheus({
    tools: opts.tools,
    trendMode: opts.trendMode,
    workDir,
    scrapeInterval: opts.scrapeInterval,
    editConfig: (text) =>
      withRemoteWrite(text, remoteWriteSection(opts.targets, { trendMode: opts.trendMode, secretsDir })),
  });
}

/** A receiving Prometheus that requires basic auth on every endpoint. */
export class HistoryStore {
  public logs = "";
  private readonly exited: Promise<number | null>;
  private constructor(
    /** `http://<host>:<port>`. */
    public readonly url: string,
    public readonly workDir: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on("data", (d: Buffer) => (this.logs += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (this.logs += d.toString()));
    this.exited = new Promise((resolve) => child.once("exit", resolve));
  }

  /** Remote-write endpoint. */
  get remoteWriteUrl(): string {
    return `${this.url}/api/v1/write`;
  }

  /** Starts one; `host` is the address it listens on (127.0.0.1, or a Docker bridge gateway for containers). */
  static async start(tools: Tools, host = "127.0.0.1"): Promise<HistoryStore> {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-history-store-"));
    const port = await freePort();
    const targetsDir = path.join(workDir, "targets");
    fs.mkdirSync(targetsDir);
    const configFile = path.join(workDir, "prometheus.yml");
    // Its own self-scrape is unauthenticated and fails (up 0): harmless, and its series carry its
    // own instance label, apart from any sender's.
    fs.writeFileSync(
      configFile,
      renderPrometheusConfig({
        selfTarget: `${host}:${port}`,
        grafanaTarget: "",
        alertmanagerTarget: "",
        rulesDir: RULES_DIR,
        targetsDir,
      }),
    );
    const webConfig = path.join(workDir, "web.yml");
    fs.writeFileSync(webConfig, `basic_auth_users:\n  ${STORE_USER}: "${STORE_PASSWORD_BCRYPT}"\n`);
    const flags = [
      ...prometheusFlags({
        version: PROMETHEUS_IMAGE.tag,
        trendMode: "nativeHistogram",
        retentionTime: stackDefault("prometheusRetentionTime"),
        retentionSize: stackDefault("prometheusRetentionSize"),
        configFile,
        dataDir: path.join(workDir, "data"),
        listenAddress: `${host}:${port}`,
      }),
      `--web.config.file=${webConfig}`,
    ];
    const store = new HistoryStore(
      `http://${host}:${port}`,
      workDir,
      spawn(tools.prometheus, flags, { stdio: ["ignore", "pipe", "pipe"] }),
    );
    const deadline = Date.now() + 60_000;
    for (;;) {
      const status = await store.fetch("/-/ready").then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return store;
      if (store.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`history store not ready (last status ${status}):\n${store.logs.slice(-3000)}`);
      }
      await sleep(200);
    }
  }

  /** GET with the store's credentials (or others, to show a refusal). */
  fetch(apiPath: string, auth = `${STORE_USER}:${STORE_PASSWORD}`): Promise<Response> {
    return fetch(`${this.url}${apiPath}`, {
      headers: { Authorization: `Basic ${Buffer.from(auth).toString("base64")}` },
    });
  }

  /** Instant query with the store's credentials. */
  async query(expr: string): Promise<ResultSeries[]> {
    const res = await this.fetch(`/api/v1/query?${new URLSearchParams({ query: expr }).toString()}`);
    const json = (await res.json()) as { status: string; error?: string; data: { result: ResultSeries[] } };
    if (json.status !== "success") throw new Error(`store query ${expr} failed: ${json.error ?? res.status}`);
    return json.data.result;
  }

  /** Sum of an instant query's values (0 for no result). */
  async scalar(expr: string): Promise<number> {
    return (await this.query(expr)).reduce((sum, s) => sum + Number(s.value?.[1] ?? 0), 0);
  }

  /** Stops the process and removes its directory. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((resolve) => (timer = setTimeout(resolve, 30_000)))]);
    clearTimeout(timer);
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}
