/**
 * The Grafana HTTP client: listing with Grafana's documented API (GET /api/search?type=dash-db,
 * GET /api/folders), through global fetch. How dashboards themselves are read: dashboard-api.ts.
 */
import { isObject } from "../lib/json";
import { GrafanaApiError, UNREACHABLE_CODES, grafanaMessage } from "./grafana-errors";

export interface GrafanaConnection {
  /** Base URL, e.g. http://127.0.0.1:3000 (a sub-path such as /grafana is kept). */
  readonly url: string;
  readonly user: string;
  readonly password: string;
  /** Per-request timeout; default 15 s. */
  readonly timeoutMs?: number;
  /** Page size for search and folders (Grafana's maxima: 5000 and 1000); tests use small pages. */
  readonly pageSize?: number;
}

/** An entry of GET /api/search?type=dash-db (fields this exporter reads). */
export interface SearchHit {
  readonly uid: string;
  readonly title: string;
  readonly type?: string;
  readonly folderUid?: string;
  readonly folderTitle?: string;
}

/** An entry of GET /api/folders, or GET /api/folders/:uid. */
export interface FolderSummary {
  readonly uid: string;
  readonly title: string;
  readonly parentUid?: string;
}

/** GET requests to Grafana's HTTP API with basic auth, errors that say what to do. */
export class GrafanaClient {
  private readonly base: URL;

  constructor(private readonly conn: GrafanaConnection) {
    let base: URL;
    try {
      base = new URL(conn.url);
    } catch {
      throw new GrafanaApiError(
        `Grafana URL "${conn.url}" is not a URL (expected e.g. http://127.0.0.1:3000)`,
        "invalid-response",
      );
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new GrafanaApiError(`Grafana URL "${conn.url}" must be http:// or https://`, "invalid-response");
    }
    base.pathname = base.pathname.endsWith("/") ? base.pathname : `${base.pathname}/`;
    base.search = "";
    base.hash = "";
    this.base = base;
  }

  /** The base URL as given, without a trailing slash, for messages. */
  get url(): string {
    return this.base.toString().replace(/\/$/, "");
  }

  /** Every dashboard (not folder), following Grafana's limit/page paging. */
  async searchDashboards(): Promise<SearchHit[]> {
    const limit = this.conn.pageSize ?? 5000;
    const hits: SearchHit[] = [];
    for (let page = 1; ; page++) {
      const batch = await this.getJson(
        `api/search?type=dash-db&limit=${limit}&page=${page}`,
        "the dashboard list",
      );
      if (!Array.isArray(batch)) {
        throw this.invalid("GET /api/search", "an array");
      }
      for (const hit of batch) {
        if (
          isObject(hit) &&
          typeof hit.uid === "string" &&
          (hit.type === undefined || hit.type === "dash-db")
        ) {
          hits.push({
            uid: hit.uid,
            title: typeof hit.title === "string" ? hit.title : hit.uid,
            ...(typeof hit.folderUid === "string" ? { folderUid: hit.folderUid } : {}),
            ...(typeof hit.folderTitle === "string" ? { folderTitle: hit.folderTitle } : {}),
          });
        }
      }
      if (batch.length < limit) {
        return hits;
      }
    }
  }

  /** Folders visible to the user at the root level (nested ones: getFolder). */
  async listFolders(): Promise<FolderSummary[]> {
    const limit = Math.min(this.conn.pageSize ?? 1000, 1000);
    const folders: FolderSummary[] = [];
    for (let page = 1; ; page++) {
      const batch = await this.getJson(`api/folders?limit=${limit}&page=${page}`, "the folder list");
      if (!Array.isArray(batch)) {
        throw this.invalid("GET /api/folders", "an array");
      }
      for (const folder of batch) {
        if (isObject(folder) && typeof folder.uid === "string" && typeof folder.title === "string") {
          folders.push({
            uid: folder.uid,
            title: folder.title,
            ...(typeof folder.parentUid === "string" ? { parentUid: folder.parentUid } : {}),
          });
        }
      }
      if (batch.length < limit) {
        return folders;
      }
    }
  }

  /** One folder by uid (GET /api/folders/:uid); undefined if it is gone or hidden from the user. */
  async getFolder(uid: string): Promise<FolderSummary | undefined> {
    let body: unknown;
    try {
      body = await this.getJson(`api/folders/${encodeURIComponent(uid)}`, `folder ${uid}`);
    } catch (err) {
      if (err instanceof GrafanaApiError && (err.status === 404 || err.status === 403)) {
        return undefined;
      }
      throw err;
    }
    return isObject(body) && typeof body.title === "string" ? { uid, title: body.title } : undefined;
  }

  /** An `invalid-response` error: `request` did not return `expected`. */
  invalid(request: string, expected: string): GrafanaApiError {
    return new GrafanaApiError(
      `${request} at ${this.url} did not return ${expected}; is ${this.url} a Grafana server?`,
      "invalid-response",
    );
  }

  /** The JSON of GET `relative`; `what` and `dashboardUid` name it in errors. */
  async getJson(relative: string, what: string, dashboardUid?: string): Promise<unknown> {
    const { status, body } = await this.request(relative);
    return this.parseOrThrow(status, body, relative, what, dashboardUid);
  }

  /** The JSON of a 200 answer, else the error that says what went wrong and what to do. */
  parseOrThrow(status: number, body: string, relative: string, what: string, dashboardUid?: string): unknown {
    const pathname = new URL(relative, this.base).pathname;
    if (status === 200) {
      try {
        return JSON.parse(body) as unknown;
      } catch {
        throw this.invalid(`GET ${pathname}`, "JSON");
      }
    }
    const detail = grafanaMessage(body);
    const suffix = detail ? `: ${detail}` : "";
    const withDetail = detail ? [detail] : [];
    if (status === 401) {
      throw new GrafanaApiError(
        `Grafana at ${this.url} rejected the credentials of user "${this.conn.user}" (HTTP 401${suffix}). ` +
          "Pass the right ones with --user/--password or GRAFANA_USER/GRAFANA_PASSWORD; the stack's admin " +
          "password is `npm run pulumi -- stack output grafanaAdminPassword --show-secrets`.",
        "unauthorized",
        status,
        ...withDetail,
      );
    }
    if (status === 403) {
      throw new GrafanaApiError(
        `User "${this.conn.user}" may not read ${what} in Grafana at ${this.url} (HTTP 403${suffix}).`,
        "forbidden",
        status,
        ...withDetail,
      );
    }
    if (status === 404 && dashboardUid !== undefined) {
      throw new GrafanaApiError(
        `Dashboard uid "${dashboardUid}" not found in Grafana at ${this.url} (HTTP 404${suffix}).`,
        "not-found",
        status,
        ...withDetail,
      );
    }
    if (status === 406) {
      throw new GrafanaApiError(
        `GET ${pathname} at ${this.url}: Grafana cannot give ${what} in the form this endpoint serves ` +
          `(HTTP 406 Not Acceptable${suffix}).`,
        "not-acceptable",
        status,
        ...withDetail,
      );
    }
    if (status >= 300 && status < 400) {
      throw new GrafanaApiError(
        `GET ${pathname} at ${this.url} redirected (HTTP ${status}); check that --url is Grafana's root URL.`,
        "http",
        status,
      );
    }
    throw new GrafanaApiError(
      `GET ${pathname} at ${this.url} failed with HTTP ${status}${suffix}.`,
      "http",
      status,
      ...withDetail,
    );
  }

  /**
   * GET `relative` (resolved against the base URL) with basic auth; the status and body as text.
   * Nothing answering, or no answer within the timeout, is an `unreachable` error saying what to
   * check. Redirects are not followed: {@link parseOrThrow} reports them.
   */
  async request(relative: string): Promise<{ status: number; body: string }> {
    const auth = Buffer.from(`${this.conn.user}:${this.conn.password}`).toString("base64");
    const timeoutMs = this.conn.timeoutMs ?? 15_000;
    try {
      const res = await fetch(new URL(relative, this.base), {
        headers: {
          Accept: "application/json",
          Authorization: `Basic ${auth}`,
          "User-Agent": "k6-observatory-dashboards-export",
        },
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: res.status, body: await res.text() };
    } catch (err) {
      throw this.transportError(err, timeoutMs);
    }
  }

  /** fetch's failure as the error the export reports. */
  private transportError(err: unknown, timeoutMs: number): Error {
    // Checked by name, not instanceof: fetch's errors come from undici's realm, not the caller's
    // (under jest they are not instances of the test's Error).
    const failure = err as { name?: string; cause?: NodeJS.ErrnoException & { errors?: unknown[] } };
    let cause: NodeJS.ErrnoException;
    if (failure?.name === "TimeoutError") {
      cause = Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" });
    } else if (failure?.name === "TypeError" && typeof failure.cause?.message === "string") {
      // undici: TypeError("fetch failed") with the socket's error as cause; an AggregateError
      // (one error per address tried) carries the code of the first.
      cause = failure.cause;
      const first = failure.cause.errors?.[0] as NodeJS.ErrnoException | undefined;
      if (cause.code === undefined && first !== undefined) {
        cause = Object.assign(new Error(first.message), { code: first.code });
      }
    } else {
      return err instanceof Error ? err : new Error(String(err));
    }
    if (cause.message === "bad port") {
      // The Fetch standard blocks some ports (e.g. 6000, 6665-6669, 10080) whatever the server.
      return new GrafanaApiError(
        `Cannot reach Grafana at ${this.url}: Node's fetch refuses port ${this.base.port} (a port the ` +
          "Fetch standard blocks); publish Grafana on another port (grafanaPort).",
        "unreachable",
      );
    }
    const code = cause.code ?? "";
    if (!UNREACHABLE_CODES.has(code)) {
      return cause;
    }
    return new GrafanaApiError(
      `Cannot reach Grafana at ${this.url} (${code}: ${cause.message}). Is the stack up (npm run up)? ` +
        "Check the URL with `npm run pulumi -- stack output grafanaUrl`, or pass --url / GRAFANA_URL.",
      "unreachable",
    );
  }
}
