/**
 * Grafana STAND-IN for the e2e suite (Grafana is AGPL: it is never built or downloaded here). It
 * honours only the contracts the program relies on, so a test against it proves the program's
 * wiring, not Grafana's behaviour (tests/e2e/README.md lists what it cannot prove):
 *
 * - `/run.sh` starts the server on GF_SERVER_HTTP_PORT (3000) as whatever user the container runs as;
 * - `grafana cli [--homepath H] [--config C] admin reset-admin-password --password-from-stdin|<pw>`
 *   changes the admin password in an existing `grafana.db` and fails when there is none;
 * - the admin user/password from GF_SECURITY_ADMIN_USER / GF_SECURITY_ADMIN_PASSWORD (or its
 *   `__FILE` variant) apply only when `grafana.db` is created, as in Grafana;
 * - `grafana.db` (JSON here, SQLite in Grafana) in GF_PATHS_DATA holds users and API-saved dashboards;
 * - GF_PATHS_PROVISIONING is read: datasources and dashboard providers (YAML), the providers' JSON
 *   files on every request (Grafana polls every 30 s); a YAML that does not parse stops the start;
 * - GET /api/health and /metrics (no login), basic-auth login, GET /api/user, /api/datasources, /api/search,
 *   GET /api/dashboards/uid/<uid>, POST /api/dashboards/db;
 * - `curl -fsS -o <file> <url>` for the healthcheck (busybox has no curl).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { parse as parseYaml } from "yaml";

const VERSION = "13.0.1-standin";

interface StoredUser {
  login: string;
  salt: string;
  hash: string;
}
interface StoredDashboard {
  dashboard: Record<string, unknown>;
  version: number;
  folderUid: string;
  updated: string;
}
interface Db {
  standin: string;
  createdAt: string;
  users: StoredUser[];
  dashboards: Record<string, StoredDashboard>;
}
interface Provisioned {
  uid: string;
  title: string;
  provider: string;
  file: string;
  allowUiUpdates: boolean;
  dashboard: Record<string, unknown>;
}

const env = process.env;
const dataDir = env.GF_PATHS_DATA ?? "/var/lib/grafana";
const provisioningDir = env.GF_PATHS_PROVISIONING ?? "/etc/grafana/provisioning";
const dbFile = path.join(dataDir, "grafana.db");

function log(msg: string): void {
  console.log(`logger=standin t=${new Date().toISOString()} msg=${JSON.stringify(msg)}`);
}

/** Grafana's `__FILE` convention: GF_X__FILE names a file whose content is the value of GF_X. */
function envValue(name: string): string | undefined {
  const file = env[`${name}__FILE`];
  if (file !== undefined && file !== "") return fs.readFileSync(file, "utf8").replace(/\r?\n$/, "");
  return env[name];
}

function hashPassword(password: string, salt: string): string {
  return crypto.createHash("sha256").update(`${salt}:${password}`).digest("hex");
}

function newUser(login: string, password: string): StoredUser {
  const salt = crypto.randomBytes(8).toString("hex");
  return { login, salt, hash: hashPassword(password, salt) };
}

function readDb(): Db | undefined {
  if (!fs.existsSync(dbFile)) return undefined;
  return JSON.parse(fs.readFileSync(dbFile, "utf8")) as Db;
}

function writeDb(db: Db): void {
  const tmp = `${dbFile}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(db, null, 2));
  fs.renameSync(tmp, dbFile);
}

function yamlFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => path.join(dir, f));
}

function jsonFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return jsonFiles(p);
    return e.name.endsWith(".json") ? [p] : [];
  });
}

interface ProviderDoc {
  providers?: { name?: string; allowUiUpdates?: boolean; options?: { path?: string } }[];
}
interface DatasourceDoc {
  datasources?: Record<string, unknown>[];
}

function readProviders(): ProviderDoc["providers"] & object {
  return yamlFiles(path.join(provisioningDir, "dashboards")).flatMap(
    (f) => (parseYaml(fs.readFileSync(f, "utf8")) as ProviderDoc | null)?.providers ?? [],
  );
}

function readDatasources(): Record<string, unknown>[] {
  return yamlFiles(path.join(provisioningDir, "datasources")).flatMap(
    (f) => (parseYaml(fs.readFileSync(f, "utf8")) as DatasourceDoc | null)?.datasources ?? [],
  );
}

function provisionedDashboards(): Provisioned[] {
  return readProviders().flatMap((p) =>
    jsonFiles(p.options?.path ?? "").flatMap((file) => {
      try {
        const dashboard = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
        const uid = typeof dashboard.uid === "string" ? dashboard.uid : "";
        const title = typeof dashboard.title === "string" ? dashboard.title : "";
        return [
          { uid, title, provider: p.name ?? "", file, allowUiUpdates: p.allowUiUpdates === true, dashboard },
        ];
      } catch (e) {
        log(`provisioning: cannot read ${file}: ${String(e)}`);
        return [];
      }
    }),
  );
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

function authenticated(req: http.IncomingMessage, db: Db): StoredUser | undefined {
  const m = /^Basic (.+)$/.exec(req.headers.authorization ?? "");
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const login = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const user = db.users.find((u) => u.login === login);
  return user && user.hash === hashPassword(password, user.salt) ? user : undefined;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = "";
    req.on("data", (d: Buffer) => (s += d.toString("utf8")));
    req.on("end", () => resolve(s));
    req.on("error", reject);
  });
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (req.method === "GET" && url.pathname === "/api/health") {
    send(res, 200, { database: "ok", version: VERSION, commit: "k6obs-standin" });
    return;
  }
  // Grafana serves /metrics without a login by default ([metrics] enabled, no basic auth); the
  // stack scrapes it, and its GrafanaDown alert reads that scrape's `up`.
  if (req.method === "GET" && url.pathname === "/metrics") {
    res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" });
    res.end(`# TYPE grafana_build_info gauge\ngrafana_build_info{version="${VERSION}"} 1\n`);
    return;
  }
  const db = readDb();
  if (!db) {
    send(res, 500, { message: "grafana.db is gone" });
    return;
  }
  const user = authenticated(req, db);
  if (!user) {
    send(res, 401, { message: "Unauthorized" });
    return;
  }
  if (req.method === "GET" && url.pathname === "/api/user") {
    send(res, 200, { login: user.login, isGrafanaAdmin: db.users[0]?.login === user.login });
    return;
  }
  if (req.method === "GET" && url.pathname === "/api/datasources") {
    send(res, 200, readDatasources());
    return;
  }
  if (req.method === "GET" && url.pathname === "/api/search") {
    const q = (url.searchParams.get("query") ?? "").toLowerCase();
    const hits = [
      ...provisionedDashboards().map((d) => ({
        uid: d.uid,
        title: d.title,
        type: "dash-db",
        provisioned: true,
      })),
      ...Object.entries(db.dashboards).map(([uid, d]) => ({
        uid,
        title: String(d.dashboard.title ?? ""),
        type: "dash-db",
        provisioned: false,
      })),
    ].filter((h) => h.title.toLowerCase().includes(q));
    send(res, 200, hits);
    return;
  }
  const byUid = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(url.pathname);
  if (req.method === "GET" && byUid?.[1]) {
    const uid = decodeURIComponent(byUid[1]);
    const p = provisionedDashboards().find((d) => d.uid === uid);
    if (p) {
      send(res, 200, { dashboard: p.dashboard, meta: { provisioned: true, provisionedExternalId: p.file } });
      return;
    }
    const d = db.dashboards[uid];
    if (!d) {
      send(res, 404, { message: "Dashboard not found" });
      return;
    }
    send(res, 200, {
      dashboard: { ...d.dashboard, version: d.version },
      meta: { provisioned: false, folderUid: d.folderUid },
    });
    return;
  }
  if (req.method === "POST" && url.pathname === "/api/dashboards/db") {
    const body = JSON.parse(await readBody(req)) as {
      dashboard?: Record<string, unknown>;
      overwrite?: boolean;
      folderUid?: string;
    };
    const dashboard = body.dashboard;
    const uid =
      typeof dashboard?.uid === "string" && dashboard.uid !== "" ? dashboard.uid : crypto.randomUUID();
    if (!dashboard || typeof dashboard.title !== "string") {
      send(res, 400, { message: "Dashboard title cannot be empty" });
      return;
    }
    const p = provisionedDashboards().find((d) => d.uid === uid);
    if (p && !p.allowUiUpdates) {
      send(res, 400, { message: "Cannot save provisioned dashboard", status: "provisioned-dashboard" });
      return;
    }
    const existing = db.dashboards[uid];
    if (existing && body.overwrite !== true) {
      send(res, 412, { message: "A dashboard with the same uid already exists", status: "name-exists" });
      return;
    }
    const version = (existing?.version ?? 0) + 1;
    db.dashboards[uid] = {
      dashboard: { ...dashboard, uid },
      version,
      folderUid: body.folderUid ?? "",
      updated: new Date().toISOString(),
    };
    writeDb(db);
    send(res, 200, { status: "success", uid, version, url: `/d/${uid}` });
    return;
  }
  send(res, 404, { message: "Not found" });
}

function server(): void {
  const port = Number(env.GF_SERVER_HTTP_PORT ?? "3000");
  fs.mkdirSync(dataDir, { recursive: true });
  // Like Grafana: a provisioning file that does not parse stops the start.
  const providers = readProviders();
  const datasources = readDatasources();
  if (!readDb()) {
    const login = env.GF_SECURITY_ADMIN_USER ?? "admin";
    writeDb({
      standin: "k6-observatory Grafana stand-in",
      createdAt: new Date().toISOString(),
      users: [newUser(login, envValue("GF_SECURITY_ADMIN_PASSWORD") ?? "admin")],
      dashboards: {},
    });
    log(`created ${dbFile} with admin user ${login}`);
  } else {
    log(`using existing ${dbFile}`);
  }
  log(
    `provisioning ${provisioningDir}: ${datasources.length} datasource(s), ${providers.length} dashboard provider(s), ${provisionedDashboards().length} dashboard(s)`,
  );
  const srv = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, 500, { message: String(e) }));
  });
  srv.listen(port, () => log(`HTTP Server Listen address=[::]:${port} version=${VERSION}`));
  // PID 1 gets no default signal handling: stop cleanly on docker stop.
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    process.on(sig, () => {
      log(`${sig}: shutting down`);
      srv.close(() => process.exit(0));
      setTimeout(() => process.exit(0), 2000).unref();
    });
  }
}

function cli(args: string[]): number {
  const rest = args.filter(
    (a, i) =>
      !a.startsWith("--homepath") &&
      !a.startsWith("--config") &&
      !/^--(homepath|config)$/.test(args[i - 1] ?? ""),
  );
  const at = rest.indexOf("reset-admin-password");
  if (rest[0] !== "admin" || at < 0) {
    console.error(
      `grafana cli (stand-in): only 'admin reset-admin-password' is implemented, got: ${args.join(" ")}`,
    );
    return 2;
  }
  const fromStdin = rest.includes("--password-from-stdin");
  const password = fromStdin ? fs.readFileSync(0, "utf8").replace(/\r?\n$/, "") : rest[at + 1];
  if (!password) {
    console.error("grafana cli (stand-in): no password given");
    return 1;
  }
  const db = readDb();
  const admin = db?.users[0];
  if (!db || !admin) {
    console.error(`Error: ✗ failed to reset admin password: ${dbFile} does not exist (new database)`);
    return 1;
  }
  db.users[0] = newUser(admin.login, password);
  writeDb(db);
  console.log("Admin password changed successfully ✔");
  return 0;
}

/** `curl -f -s -S -o <file> <url>`, as much as the healthcheck uses. */
async function curl(args: string[]): Promise<number> {
  let out: string | undefined;
  let fail = false;
  let url: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (a === "-o") out = args[++i];
    else if (/^-[a-zA-Z]+$/.test(a)) fail ||= a.includes("f");
    else url = a;
  }
  if (!url) {
    console.error("curl (stand-in): no URL");
    return 2;
  }
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const body = Buffer.from(await res.arrayBuffer());
    if (out !== undefined) fs.writeFileSync(out, body);
    else process.stdout.write(body);
    if (fail && res.status >= 400) {
      console.error(`curl: (22) The requested URL returned error: ${res.status}`);
      return 22;
    }
    return 0;
  } catch (e) {
    console.error(`curl: (7) ${String(e)}`);
    return 7;
  }
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === "server") server();
  else if (mode === "cli") process.exitCode = cli(args);
  else if (mode === "curl") process.exitCode = await curl(args);
  else {
    console.error(`grafana stand-in: unknown mode ${mode ?? ""} (server | cli | curl)`);
    process.exitCode = 2;
  }
}

void main();
